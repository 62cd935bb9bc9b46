/**
 * WebSocket upgrades for /sync/<mapId>?key=<key>. Authentication happens before the
 * handshake completes, and a refused socket is accepted and closed with a 44xx code
 * (rather than an HTTP error) because that is what tells y-websocket to stop retrying.
 * A refused socket never creates a room, a doc or a row.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { isMapId } from '../src/lib/doc/ids.ts';
import type { Role } from '../src/lib/doc/model.ts';
import { roleForKey } from './auth.ts';
import type { AtlasConfig } from './config.ts';
import { isAllowedOrigin } from './origin.ts';
import type { DocStore } from './persistence/doc-store.ts';
import {
	CLOSE_FORBIDDEN_ORIGIN,
	CLOSE_MALFORMED,
	CLOSE_UNAUTHORIZED,
	type Connection,
	type Logger,
	type Rooms
} from './rooms.ts';

/**
 * Measured: the first sync of a 10,000-asset map shaped like shared/DESIGN.md encodes to
 * 6,114,351 bytes (bench/fixtures.ts, one Y.encodeStateAsUpdate). About 4x that leaves
 * room for long descriptions and edit history while staying far below ws's 100 MiB default.
 */
export const MAX_PAYLOAD_BYTES = 24 * 1024 * 1024;

/** A client this far behind on reading is not coming back; dropping it protects memory. */
const MAX_BUFFERED_BYTES = 4 * MAX_PAYLOAD_BYTES;
const CLOSE_TOO_SLOW = 1013;

const SYNC_PATH = /^\/sync(\/|$)/;

export function syncPathOf(req: IncomingMessage): { pathname: string; key: string | null } {
	const url = new URL(req.url ?? '/', 'http://placeholder');
	return { pathname: url.pathname, key: url.searchParams.get('key') };
}

export function isSyncPath(pathname: string): boolean {
	return SYNC_PATH.test(pathname);
}

function toBytes(data: RawData): Uint8Array {
	if (Array.isArray(data)) return Buffer.concat(data);
	if (data instanceof ArrayBuffer) return new Uint8Array(data);
	return data;
}

class SocketConnection implements Connection {
	constructor(
		private readonly ws: WebSocket,
		readonly role: Role
	) {}

	send(message: Uint8Array): void {
		if (this.ws.readyState !== this.ws.OPEN) return;
		if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
			this.close(CLOSE_TOO_SLOW, 'client too slow');
			return;
		}
		this.ws.send(message);
	}

	close(code: number, reason: string): void {
		if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
	}
}

export function createSyncServer(ctx: { config: AtlasConfig; store: DocStore; rooms: Rooms; logger: Logger }) {
	const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD_BYTES });
	let closing = false;

	function acceptAndClose(req: IncomingMessage, socket: Duplex, head: Buffer, code: number, reason: string): void {
		wss.handleUpgrade(req, socket, head, (ws) => {
			ws.on('error', () => {});
			ws.close(code, reason);
		});
	}

	function attach(ws: WebSocket, mapId: string, role: Role): void {
		const conn = new SocketConnection(ws, role);
		const room = ctx.rooms.join(mapId, conn);
		ws.on('error', (error) => {
			// ws has already closed the socket (bad frame, too large, ...); never log the URL, it holds the key.
			ctx.logger.warn(`map ${mapId}: socket error: ${error.message}`);
		});
		ws.on('message', (data, isBinary) => {
			if (!isBinary) {
				conn.close(CLOSE_MALFORMED, 'binary messages only');
				return;
			}
			room.receive(conn, toBytes(data));
		});
		ws.on('close', () => room.leave(conn));
	}

	async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
		socket.on('error', () => socket.destroy());
		if (closing) {
			socket.destroy();
			return;
		}
		const { pathname, key } = syncPathOf(req);
		const mapId = pathname.replace(SYNC_PATH, '');
		if (!isAllowedOrigin(req, ctx.config)) return acceptAndClose(req, socket, head, CLOSE_FORBIDDEN_ORIGIN, 'origin not allowed');
		if (!isMapId(mapId)) return acceptAndClose(req, socket, head, CLOSE_MALFORMED, 'malformed map id');
		let role: Role | null = null;
		try {
			const record = await ctx.store.getMap(mapId);
			role = record ? roleForKey(record.keyHashes, key) : null;
		} catch (error) {
			ctx.logger.error(`map ${mapId}: key lookup failed: ${error instanceof Error ? error.message : String(error)}`);
			socket.destroy();
			return;
		}
		if (!role) return acceptAndClose(req, socket, head, CLOSE_UNAUTHORIZED, 'unauthorized');
		const granted = role;
		wss.handleUpgrade(req, socket, head, (ws) => attach(ws, mapId, granted));
	}

	return {
		handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
			handleUpgrade(req, socket, head).catch((error: unknown) => {
				ctx.logger.error(`upgrade failed: ${error instanceof Error ? error.message : String(error)}`);
				socket.destroy();
			});
		},
		async close(): Promise<void> {
			closing = true;
			for (const client of wss.clients) client.terminate();
			await new Promise<void>((resolve) => wss.close(() => resolve()));
		}
	};
}
