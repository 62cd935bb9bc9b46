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
import { cleanDisplayName } from '../src/lib/doc/names.ts';
import { AFFILIATIONS, type Affiliation, type Role } from '../src/lib/doc/model.ts';
import { roleForKey } from './auth.ts';
import type { AtlasConfig } from './config.ts';
import { CLOSE } from '../src/lib/sync/close-codes.ts';
import { Heartbeat, HEARTBEAT_INTERVAL_MS } from './heartbeat.ts';
import { addressBucket, clientAddress } from './http/client-address.ts';
import { AddressWork, FailureLimiter, OpenCounter, TokenBucket } from './limits.ts';
import { isAllowedOrigin } from './origin.ts';
import type { DocStore } from './persistence/doc-store.ts';
import { deviceIdFor } from './room/client-ids.ts';
import type { Identity } from './room/core.ts';
import { RoomsBusy, type KeyedConnection, type RoomRegistry } from './room/registry.ts';
import type { Logger } from './room/runner.ts';

/**
 * The largest frame a client may send. Measured: the first sync of a 10,000-asset map
 * shaped like shared/DESIGN.md encodes to 6,114,351 bytes (bench/fixtures.ts), and a client
 * sends the server only what it lacks. Each inbound byte can cost the server tens of bytes
 * while it is judged and applied, so this stays near the largest real update.
 */
export const MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;

/**
 * A socket may have at most this much queued: the whole map once (a first sync, up to the
 * map cap plus the merged updates since) and some. A client that asks for the whole map
 * again and again without reading is dropped instead of holding a copy per request.
 */
export function maxBufferedBytes(maxMapBytes: number): number {
	return Math.max(32 * 1024 * 1024, Math.ceil(1.5 * maxMapBytes) + 4 * 1024 * 1024);
}
/** All sockets together; past it, the ones with the most queued are closed first. */
export const MAX_TOTAL_BUFFERED_BYTES = 512 * 1024 * 1024;
const BUFFER_SWEEP_MS = 1000;

const SYNC_PATH = /^\/sync(\/|$)/;

/**
 * Throttling: a connection over its message budget (server/limits.ts) has its messages
 * queued and its socket paused (TCP pushes back on the sender); only if it stays over
 * budget this long, or the queue grows past MAX_BACKLOG, is it closed with 4429.
 */
const THROTTLE_GRACE_MS = 10_000;
const MAX_BACKLOG = 1000;

export const MAX_NAME_LENGTH = 80;
/** At least 96 bits of base64url, so another tab's token cannot be guessed. */
const SESSION_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export function syncPathOf(req: IncomingMessage): { pathname: string; key: string | null; identity: Identity } {
	const url = new URL(req.url ?? '/', 'http://placeholder');
	return { pathname: url.pathname, key: url.searchParams.get('key'), identity: identityOf(url.searchParams) };
}

/** Name and affiliation from the connect parameters, cleaned; presence shows these. */
export function identityOf(params: URLSearchParams): Identity {
	// Invisible, control and bidi characters would let a name pose as another or fake line breaks.
	const name = cleanDisplayName(params.get('name') ?? '', MAX_NAME_LENGTH);
	const affiliation = params.get('affiliation');
	const session = params.get('session');
	return {
		session: session !== null && SESSION_PATTERN.test(session) ? session : null,
		device: deviceIdFor(params.get('device')),
		name,
		affiliation: (AFFILIATIONS as readonly unknown[]).includes(affiliation) ? (affiliation as Affiliation) : 'other'
	};
}

export function isSyncPath(pathname: string): boolean {
	return SYNC_PATH.test(pathname);
}

function toBytes(data: RawData): Uint8Array {
	if (Array.isArray(data)) return Buffer.concat(data);
	if (data instanceof ArrayBuffer) return new Uint8Array(data);
	return data;
}

class SocketConnection implements KeyedConnection {
	/** Told how long the room spent on each of this socket's messages (room/runner.ts). */
	onCharge: ((ms: number) => void) | null = null;

	constructor(
		private readonly ws: WebSocket,
		readonly role: Role,
		readonly identity: Identity,
		readonly mapId: string,
		/** The generation of the role's key this socket authenticated with. */
		readonly keyGeneration: number,
		private readonly sendCap: number
	) {}

	charge(ms: number): void {
		this.onCharge?.(ms);
	}

	get bufferedBytes(): number {
		return this.ws.bufferedAmount;
	}

	send(message: Uint8Array): void {
		if (this.ws.readyState !== this.ws.OPEN) return;
		if (this.ws.bufferedAmount + message.byteLength > this.sendCap) {
			// It is not reading, so it would not read a close frame either: drop the socket and
			// what is queued for it now. A stock client reconnects (1006) and syncs afresh.
			this.ws.terminate();
			return;
		}
		this.ws.send(message);
	}

	get closing(): boolean {
		return this.ws.readyState !== this.ws.OPEN;
	}

	close(code: number, reason: string): void {
		if (this.ws.readyState !== this.ws.OPEN && this.ws.readyState !== this.ws.CONNECTING) return;
		this.ws.close(code, reason);
		// A throttled socket is paused; unless it reads again it never sees the peer's close
		// frame, and the client waits for ws's 30 s close timeout instead of getting our code.
		// Whatever else it reads is dropped (the 'message' handler only takes open sockets).
		this.ws.resume();
	}
}

export interface MessageBudget {
	/** Messages per second, sustained (default MESSAGES_PER_SECOND). */
	rate: number;
	/** Messages allowed at once (default MESSAGE_BURST). */
	burst: number;
	/** How long a connection may stay over budget before it is closed (default THROTTLE_GRACE_MS). */
	graceMs?: number;
}

/**
 * What the room may spend on one connection's messages (deciding, applying, answering),
 * in milliseconds of event-loop time: 100 ms a second sustained, 2 s at once. A person's
 * edits cost well under a millisecond each and a phone's first sync a few tens; an editor
 * sending updates that each cost tens of milliseconds, again and again, is slowed (its
 * socket stops being read until the budget refills) and then closed (4429).
 */
export interface WorkBudget {
	msPerSecond: number;
	burstMs: number;
	/** Times a connection may run out within WORK_STRIKE_WINDOW_MS before it is closed. */
	strikes: number;
}

export const DEFAULT_WORK_BUDGET: WorkBudget = { msPerSecond: 100, burstMs: 2000, strikes: 3 };
/** Room time all sockets from one address share (limits.ts AddressWork): four sockets' worth. */
export const ADDRESS_WORK_MS_PER_SECOND = 400;
export const ADDRESS_WORK_BURST_MS = 4000;
const WORK_STRIKE_WINDOW_MS = 60_000;

export interface SyncServerContext {
	config: AtlasConfig;
	store: DocStore;
	rooms: RoomRegistry;
	logger: Logger;
	failures: FailureLimiter;
	/** Per-connection message budget; tests pass a small one. */
	messageBudget?: MessageBudget;
	workBudget?: WorkBudget;
	heartbeatMs?: number;
}

export function createSyncServer(ctx: SyncServerContext) {
	const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD_BYTES });
	const sendCap = maxBufferedBytes(ctx.config.maxMapBytes);
	// Like every other response (server/http/security-headers.ts).
	wss.on('headers', (headers) => headers.push('Referrer-Policy: no-referrer'));
	let closing = false;
	const heartbeat = new Heartbeat<WebSocket>(ctx.heartbeatMs ?? HEARTBEAT_INTERVAL_MS);
	heartbeat.start();
	const perAddress = new OpenCounter();
	const perKey = new OpenCounter();
	const workBudget = ctx.workBudget ?? DEFAULT_WORK_BUDGET;
	const addressWork = new AddressWork(
		ctx.workBudget ? ctx.workBudget.msPerSecond * 4 : ADDRESS_WORK_MS_PER_SECOND,
		ctx.workBudget ? ctx.workBudget.burstMs * 2 : ADDRESS_WORK_BURST_MS
	);

	// Sockets that stop reading hold what was sent to them. Past the total, close the
	// greediest first; a phone on weak Wi-Fi holds far less than the worst offenders.
	const sweep = setInterval(() => {
		addressWork.sweep();
		let total = 0;
		for (const client of wss.clients) total += client.bufferedAmount;
		if (total <= MAX_TOTAL_BUFFERED_BYTES) return;
		const greedy = [...wss.clients].sort((a, b) => b.bufferedAmount - a.bufferedAmount);
		for (const client of greedy) {
			if (total <= MAX_TOTAL_BUFFERED_BYTES) break;
			total -= client.bufferedAmount;
			ctx.logger.warn(`dropping a socket holding ${client.bufferedAmount} unread bytes (server total over ${MAX_TOTAL_BUFFERED_BYTES})`);
			client.terminate();
		}
	}, BUFFER_SWEEP_MS);
	sweep.unref();

	function acceptAndClose(req: IncomingMessage, socket: Duplex, head: Buffer, code: number, reason: string): void {
		wss.handleUpgrade(req, socket, head, (ws) => {
			ws.on('error', () => {});
			ws.close(code, reason);
		});
	}

	function attach(ws: WebSocket, mapId: string, role: Role, identity: Identity, generation: number, address: string): void {
		const conn = new SocketConnection(ws, role, identity, mapId, generation, sendCap);
		// The key may have been replaced while we looked it up.
		if (ctx.rooms.isRevoked(mapId, role, generation)) {
			ws.on('error', () => {});
			ws.close(CLOSE.unauthorized, 'key replaced');
			return;
		}
		let room: ReturnType<RoomRegistry['join']>;
		try {
			room = ctx.rooms.join(mapId, conn);
		} catch (error) {
			if (!(error instanceof RoomsBusy)) throw error;
			// 1013 (try again later) invites the stock client to reconnect with its backoff.
			ws.on('error', () => {});
			ws.close(CLOSE.tryAgainLater, 'server busy; try again shortly');
			return;
		}
		const keyId = `${mapId}:${role}:${generation}`;
		perAddress.add(address);
		perKey.add(keyId);
		heartbeat.add(ws);
		const bucket = new TokenBucket(ctx.messageBudget?.rate, ctx.messageBudget?.burst);
		const backlog: Uint8Array[] = [];
		let throttledSince = 0;
		let timer: NodeJS.Timeout | null = null;

		// The work budget: milliseconds of room time, refilled continuously.
		let workTokens = workBudget.burstMs;
		let workAt = performance.now();
		let workTimer: NodeJS.Timeout | null = null;
		const strikes: number[] = [];
		const refillWork = () => {
			const now = performance.now();
			workTokens = Math.min(workBudget.burstMs, workTokens + ((now - workAt) / 1000) * workBudget.msPerSecond);
			workAt = now;
		};
		/** Read from the socket only while it is within both budgets. */
		const updateFlow = () => {
			if (ws.readyState !== ws.OPEN) return;
			if (backlog.length > 0 || workTimer !== null) ws.pause();
			else ws.resume();
		};
		/** Stops reading until the address's shared pool has refilled (no strike: the socket itself may be fine). */
		const waitForAddress = (waitMs: number) => {
			workTimer = setTimeout(() => {
				workTimer = null;
				refillWork();
				const more = addressWork.waitMs(address);
				if (more > 0) return waitForAddress(more);
				updateFlow();
			}, waitMs);
			updateFlow();
		};
		conn.onCharge = (ms) => {
			if (conn.closing) return;
			refillWork();
			workTokens -= ms;
			const addressWait = addressWork.charge(address, ms);
			if (workTimer !== null) return;
			if (workTokens >= 0) {
				if (addressWait > 0) waitForAddress(addressWait);
				return;
			}
			const now = performance.now();
			strikes.push(now);
			while (strikes.length > 0 && strikes[0] < now - WORK_STRIKE_WINDOW_MS) strikes.shift();
			if (strikes.length > workBudget.strikes) {
				ctx.logger.warn(`map ${mapId}: closing a socket that kept using more than its work budget`);
				backlog.length = 0;
				conn.close(CLOSE.rateLimited, 'too much work');
				return;
			}
			workTimer = setTimeout(() => {
				workTimer = null;
				refillWork();
				const more = addressWork.waitMs(address);
				if (more > 0) return waitForAddress(more);
				updateFlow();
			}, Math.max(addressWait, Math.ceil((-workTokens / workBudget.msPerSecond) * 1000)));
			updateFlow();
		};

		const drain = () => {
			timer = null;
			while (backlog.length > 0 && bucket.take()) room.receive(conn, backlog.shift()!);
			if (backlog.length === 0) {
				throttledSince = 0;
				updateFlow();
				return;
			}
			if (performance.now() - throttledSince > (ctx.messageBudget?.graceMs ?? THROTTLE_GRACE_MS)) {
				backlog.length = 0;
				ctx.logger.warn(`map ${mapId}: closing a socket that stayed over its message budget`);
				conn.close(CLOSE.rateLimited, 'too many messages');
				return;
			}
			timer = setTimeout(drain, Math.max(bucket.waitMs(), 10));
		};

		ws.on('error', (error) => {
			// ws has already closed the socket (bad frame, too large, ...); never log the URL, it holds the key.
			ctx.logger.warn(`map ${mapId}: socket error: ${error.message}`);
		});
		ws.on('pong', () => heartbeat.heard(ws));
		ws.on('message', (data, isBinary) => {
			heartbeat.heard(ws);
			if (ws.readyState !== ws.OPEN) return; // closing: nothing more from it counts
			if (!isBinary) {
				conn.close(CLOSE.malformed, 'binary messages only');
				return;
			}
			const bytes = toBytes(data);
			if (backlog.length === 0 && bucket.take()) {
				room.receive(conn, bytes);
				return;
			}
			// Over budget: queue in order and stop reading until the budget allows more.
			backlog.push(bytes);
			if (throttledSince === 0) throttledSince = performance.now();
			updateFlow();
			if (backlog.length > MAX_BACKLOG) {
				backlog.length = 0;
				ctx.logger.warn(`map ${mapId}: closing a socket whose message backlog overflowed`);
				conn.close(CLOSE.rateLimited, 'too many messages');
				return;
			}
			timer ??= setTimeout(drain, Math.max(bucket.waitMs(), 10));
		});
		ws.on('close', () => {
			if (timer) clearTimeout(timer);
			if (workTimer) clearTimeout(workTimer);
			backlog.length = 0;
			heartbeat.remove(ws);
			perAddress.remove(address);
			perKey.remove(keyId);
			room.leave(conn);
		});
	}

	async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
		socket.on('error', () => socket.destroy());
		if (closing) {
			socket.destroy();
			return;
		}
		const { pathname, key, identity } = syncPathOf(req);
		const mapId = pathname.replace(SYNC_PATH, '');
		if (!isAllowedOrigin(req, ctx.config)) return acceptAndClose(req, socket, head, CLOSE.forbiddenOrigin, 'origin not allowed');
		if (!isMapId(mapId)) return acceptAndClose(req, socket, head, CLOSE.malformed, 'malformed map id');
		let role: Role | null = null;
		let generation = 0;
		try {
			const record = await ctx.store.getMap(mapId);
			role = record ? roleForKey(record.keyHashes, key) : null;
			if (record && role) generation = record.keyGenerations[role];
		} catch (error) {
			ctx.logger.error(`map ${mapId}: key lookup failed: ${error instanceof Error ? error.message : String(error)}`);
			socket.destroy();
			return;
		}
		const address = addressBucket(clientAddress(req, ctx.config));
		if (!role) {
			// Repeated failures from one address get a growing delay (a timer, never a busy
			// wait); guesses in parallel beyond a few are refused at once.
			if (!ctx.failures.mayTry(address)) return acceptAndClose(req, socket, head, CLOSE.rateLimited, 'too many wrong keys at once');
			await ctx.failures.failAndWait(address);
			if (socket.destroyed) return;
			return acceptAndClose(req, socket, head, CLOSE.unauthorized, 'unauthorized');
		}
		if (perAddress.get(address) >= ctx.config.maxSocketsPerAddress) {
			return acceptAndClose(req, socket, head, CLOSE.rateLimited, 'too many connections from one address');
		}
		if (perKey.get(`${mapId}:${role}:${generation}`) >= ctx.config.maxSocketsPerKey) {
			return acceptAndClose(req, socket, head, CLOSE.rateLimited, 'too many connections with one link');
		}
		const granted = role;
		wss.handleUpgrade(req, socket, head, (ws) => attach(ws, mapId, granted, identity, generation, address));
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
			clearInterval(sweep);
			heartbeat.stop();
			for (const client of wss.clients) client.terminate();
			await new Promise<void>((resolve) => wss.close(() => resolve()));
		}
	};
}
