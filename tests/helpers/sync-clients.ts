/**
 * Stock y-websocket clients and raw sockets against a test server, plus event-driven
 * waits (no sleeps: each wait resolves on an event and fails at a deadline).
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { WebsocketProvider } from 'y-websocket';
import WebSocket from 'ws';
import * as Y from 'yjs';

export const DEFAULT_DEADLINE_MS = 15_000;

export interface MapKeys {
	facilitator: string;
	editor: string;
	viewer: string;
}

export interface CreatedMap {
	id: string;
	keys: MapKeys;
	links: MapKeys;
}

function keyOf(link: string): string {
	const key = new URL(link).hash.replace(/^#key=/, '');
	if (!key) throw new Error(`no key in link ${link}`);
	return key;
}

export async function createMap(baseUrl: string, body: unknown = { title: 'Test map', place: 'Testville' }): Promise<CreatedMap> {
	const response = await fetch(`${baseUrl}/api/maps`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify(body)
	});
	if (response.status !== 201) throw new Error(`create map: ${response.status} ${await response.text()}`);
	const json = (await response.json()) as { id: string; links: MapKeys };
	return {
		id: json.id,
		links: json.links,
		keys: { facilitator: keyOf(json.links.facilitator), editor: keyOf(json.links.editor), viewer: keyOf(json.links.viewer) }
	};
}

export interface Client {
	doc: Y.Doc;
	provider: WebsocketProvider;
	synced: Promise<void>;
	destroy(): void;
}

export function connectClient(
	syncUrl: string,
	mapId: string,
	key: string,
	doc = new Y.Doc(),
	options: { maxBackoffTime?: number; params?: Record<string, string>; localAddress?: string; syncDeadlineMs?: number } = {}
): Client {
	const { params, localAddress, syncDeadlineMs, ...rest } = options;
	// From another loopback address (127.0.0.x), as a separate device on the network would be.
	const Socket = localAddress
		? class extends WebSocket {
				constructor(url: string, protocols?: string | string[]) {
					super(url, protocols, { localAddress });
				}
			}
		: WebSocket;
	const provider = new WebsocketProvider(syncUrl, mapId, doc, {
		...rest,
		params: { ...params, key },
		WebSocketPolyfill: Socket as unknown as typeof globalThis.WebSocket,
		// BroadcastChannel exists in Node too: without this, clients in one test process
		// would talk to each other directly and hide what the server does.
		disableBc: true
	});
	const synced = new Promise<void>((resolve) => {
		if (provider.synced) return resolve();
		const onSync = (state: boolean) => {
			if (!state) return;
			provider.off('sync', onSync);
			resolve();
		};
		provider.on('sync', onSync);
	});
	return {
		doc,
		provider,
		synced: withDeadline(synced, 'client sync', syncDeadlineMs),
		destroy() {
			provider.destroy();
			doc.destroy();
		}
	};
}

export function withDeadline<T>(promise: Promise<T>, what: string, ms = DEFAULT_DEADLINE_MS): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const deadline = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
	});
	return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Resolves once predicate(doc) holds, re-checking on every doc update. */
export function waitForDoc(doc: Y.Doc, predicate: (doc: Y.Doc) => boolean, what = 'document state', ms = DEFAULT_DEADLINE_MS): Promise<void> {
	if (predicate(doc)) return Promise.resolve();
	let handler = () => {};
	const done = new Promise<void>((resolve) => {
		handler = () => {
			if (predicate(doc)) resolve();
		};
		doc.on('update', handler);
	});
	return withDeadline(done, what, ms).finally(() => doc.off('update', handler));
}

/** Polls until check() is true; for conditions that have no event to listen to. */
export async function pollUntil(check: () => boolean | Promise<boolean>, what: string, ms = DEFAULT_DEADLINE_MS): Promise<void> {
	const deadline = Date.now() + ms;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

export function openSocket(syncUrl: string, mapId: string, key: string | null): WebSocket {
	const query = key === null ? '' : `?key=${encodeURIComponent(key)}`;
	const ws = new WebSocket(`${syncUrl}/${mapId}${query}`);
	ws.on('error', () => {});
	return ws;
}

export function waitForClose(ws: WebSocket): Promise<{ code: number; reason: string }> {
	return withDeadline(
		new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
		'socket close'
	);
}

export function waitForOpen(ws: WebSocket): Promise<void> {
	if (ws.readyState === ws.OPEN) return Promise.resolve();
	return withDeadline(new Promise((resolve) => ws.once('open', () => resolve())), 'socket open');
}

export function syncMessage(step: 0 | 1 | 2, payload: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, 0);
	encoding.writeVarUint(encoder, step);
	encoding.writeVarUint8Array(encoder, payload);
	return encoding.toUint8Array(encoder);
}

/** Sends sync step 1 with an empty state vector and resolves with the server's full state. */
export function requestFullState(ws: WebSocket): Promise<Uint8Array> {
	const reply = new Promise<Uint8Array>((resolve) => {
		const onMessage = (data: Buffer) => {
			const decoder = decoding.createDecoder(new Uint8Array(data));
			if (decoding.readVarUint(decoder) !== 0 || decoding.readVarUint(decoder) !== 1) return;
			ws.off('message', onMessage);
			resolve(decoding.readVarUint8Array(decoder));
		};
		ws.on('message', onMessage);
	});
	ws.send(syncMessage(0, Y.encodeStateVector(new Y.Doc())));
	return withDeadline(reply, 'sync step 2');
}
