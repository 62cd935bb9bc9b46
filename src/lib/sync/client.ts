/**
 * Connects one map's Y.Doc to the server (y-websocket) and to this device (y-indexeddb),
 * so a reload works offline and edits made offline reach everyone later.
 */
import { IndexeddbPersistence } from 'y-indexeddb';
import { WebsocketProvider } from 'y-websocket';
import type { Affiliation } from '../doc/model.ts';
import type { AtlasDoc } from '../doc/schema.ts';
import { CLOSE } from './close-codes.ts';
import { deviceToken, randomToken } from './device.ts';

export type ConnectionStatus = 'connecting' | 'live' | 'offline' | 'refused';

export interface SyncState {
	status: ConnectionStatus;
	/** Local transactions made since the connection was last in sync with the server. */
	pending: number;
	/** True once this device's stored copy has been loaded (the map can be shown offline). */
	loadedFromDevice: boolean;
	/** Close code when the server turned the connection away for good (4401: key no longer valid). */
	refusedCode: number | null;
	/** The server could not store changes; they are kept here and retried. */
	saveFailed: boolean;
}

export interface Identity {
	name: string;
	affiliation: Affiliation;
}

export interface SyncClient {
	readonly provider: WebsocketProvider;
	readonly awareness: WebsocketProvider['awareness'];
	state(): SyncState;
	subscribe(listener: () => void): () => void;
	/** The server stamps presence with the name given at connect time, so a new name reconnects. */
	setIdentity(identity: Identity | null): void;
	/** Forgets this device's copy of the map, e.g. after the server refused a write (4409). */
	discardDeviceCopy(): Promise<void>;
	/** Tries again after the server turned the connection away for being busy (4429). */
	retry(): void;
	destroy(): void;
}

/** Our keepalive frame (server/room/protocol.ts): the server echoes it to us. */
const MESSAGE_KEEPALIVE = 100;
const KEEPALIVE_FRAME = new Uint8Array([MESSAGE_KEEPALIVE]);
/** Quiet this long, we ask the server for a keepalive echo. */
const KEEPALIVE_AFTER_MS = 3000;
/** Quiet this long (two unanswered keepalives), the connection is gone even if the socket says open. */
const SILENCE_LIMIT_MS = 8000;

/** How many local changes the server has not confirmed, kept across reloads. */
function pendingStore(mapId: string) {
	const key = `asset-atlas:pending:${mapId}`;
	return {
		read(): number {
			try {
				const value = Number(globalThis.localStorage?.getItem(key));
				return Number.isSafeInteger(value) && value > 0 ? value : 0;
			} catch {
				return 0;
			}
		},
		write(count: number) {
			try {
				if (count > 0) globalThis.localStorage?.setItem(key, String(count));
				else globalThis.localStorage?.removeItem(key);
			} catch {
				// private mode or full storage: the count is only a hint
			}
		}
	};
}

export function syncServerUrl(location: Location): string {
	const protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
	return `${protocol}//${location.host}/sync`;
}

/**
 * `session` is random per tab: the server lets a socket with the same token take over
 * this tab's presence id when it reconnects (server/room/presence-gate.ts), and nobody
 * else. `device` is this device's lasting token (device.ts).
 */
function identityParams(key: string, session: string, device: string, identity: Identity | null): Record<string, string> {
	const base = { key, session, device };
	return identity ? { ...base, name: identity.name, affiliation: identity.affiliation } : base;
}

export function connectMap(options: {
	doc: AtlasDoc;
	mapId: string;
	key: string;
	serverUrl: string;
	identity: Identity | null;
	/**
	 * A read-only screen (the present view): no copy on this device (it would share the
	 * facilitator tab's copy and could send its unsent edits under another key), no pending
	 * count, and no presence of its own, so it never shows up as a person in the room.
	 */
	readOnlyScreen?: boolean;
}): SyncClient {
	const { doc, mapId, key, serverUrl } = options;
	const screen = options.readOnlyScreen === true;
	const pendingCount = screen ? { read: () => 0, write: () => {} } : pendingStore(mapId);
	const state: SyncState = { status: 'connecting', pending: pendingCount.read(), loadedFromDevice: false, refusedCode: null, saveFailed: false };
	const listeners = new Set<() => void>();
	let storedPending = state.pending;
	const notify = () => {
		if (state.pending !== storedPending) {
			storedPending = state.pending;
			pendingCount.write(state.pending);
		}
		listeners.forEach((listener) => listener());
	};

	const local = screen ? null : new IndexeddbPersistence(`asset-atlas:${mapId}`, doc);
	local?.whenSynced.then(() => {
		state.loadedFromDevice = true;
		notify();
	});

	const session = randomToken();
	const device = deviceToken();
	const provider = new WebsocketProvider(serverUrl, mapId, doc, {
		params: identityParams(key, session, device, options.identity),
		// The server may be restarting; do not back off so far that a workshop waits.
		maxBackoffTime: 5000
	});
	// Before the socket opens, so the server never hears a state from this screen.
	if (screen) provider.awareness.setLocalState(null);

	// y-websocket drops everyone else's presence on disconnect but keeps their clocks, so on
	// reconnect the server's copy of an unchanged state (same clock) would be ignored and
	// people would stay invisible until they next move. Forgetting the clocks lets them back in.
	const forgetDepartedPeers = () => {
		const awareness = provider.awareness;
		for (const id of [...awareness.meta.keys()]) {
			if (id !== awareness.clientID && !awareness.states.has(id)) awareness.meta.delete(id);
		}
	};

	provider.on('status', ({ status }) => {
		if (status === 'connected') state.status = provider.synced ? 'live' : 'connecting';
		else if (status === 'connecting') state.status = state.status === 'offline' ? 'offline' : 'connecting';
		else state.status = 'offline';
		if (status === 'disconnected') forgetDepartedPeers();
		notify();
	});
	provider.on('sync', (synced: boolean) => {
		if (synced) {
			// The sync exchange sent the server everything this doc had, queued edits included.
			state.pending = 0;
			state.status = 'live';
			state.saveFailed = false;
		}
		notify();
	});
	provider.on('connection-close', (event) => {
		if (event?.code === CLOSE.storageFailed) {
			state.saveFailed = true;
			notify();
		}
	});
	provider.on('closed', ({ code }: { code: number }) => {
		state.status = 'refused';
		state.refusedCode = code;
		notify();
	});

	const onUpdate = (_update: Uint8Array, origin: unknown) => {
		const remote = origin === provider || (local !== null && origin === local);
		if (remote) return;
		if (!(state.status === 'live' && provider.wsconnected)) {
			state.pending += 1;
			notify();
		}
	};
	doc.on('update', onUpdate);

	// Hearing the echo is all it is for: y-websocket notes the time of every message.
	provider.messageHandlers[MESSAGE_KEEPALIVE] = () => {};
	let lastKeepalive = 0;
	const watchdog = setInterval(() => {
		const ws = provider.ws;
		if (!provider.wsconnected || !ws || ws.readyState !== ws.OPEN) return;
		const now = Date.now();
		const quiet = now - provider.wsLastMessageReceived;
		if (quiet > SILENCE_LIMIT_MS) {
			// A socket that went silent (Wi-Fi dropped without telling the browser). Say so
			// now; y-websocket's own check then closes it and keeps trying to reconnect.
			if (state.status !== 'offline' && state.status !== 'refused') {
				state.status = 'offline';
				notify();
			}
			provider.wsLastMessageReceived = 0;
		} else if (quiet > KEEPALIVE_AFTER_MS && now - lastKeepalive > KEEPALIVE_AFTER_MS) {
			lastKeepalive = now;
			ws.send(KEEPALIVE_FRAME);
		}
	}, 1000);

	// A phone that loses Wi-Fi says so at once; without this the socket looks open until
	// y-websocket's 30 s silence timeout, and the status would claim "live" meanwhile.
	const goOffline = () => {
		if (state.status === 'refused') return;
		provider.disconnect();
		state.status = 'offline';
		notify();
	};
	const goOnline = () => {
		if (state.status !== 'refused') provider.connect();
	};
	globalThis.addEventListener?.('offline', goOffline);
	globalThis.addEventListener?.('online', goOnline);

	let identityKey = JSON.stringify(options.identity);
	return {
		provider,
		awareness: provider.awareness,
		state: () => state,
		subscribe(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		setIdentity(identity) {
			const next = JSON.stringify(identity);
			if (next === identityKey) return;
			identityKey = next;
			provider.params = identityParams(key, session, device, identity);
			if (provider.shouldConnect) {
				provider.disconnect();
				provider.connect();
			}
		},
		retry() {
			state.status = 'connecting';
			state.refusedCode = null;
			notify();
			provider.connect();
		},
		async discardDeviceCopy() {
			provider.disconnect();
			await local?.clearData();
		},
		destroy() {
			clearInterval(watchdog);
			globalThis.removeEventListener?.('offline', goOffline);
			globalThis.removeEventListener?.('online', goOnline);
			doc.off('update', onUpdate);
			provider.destroy();
			void local?.destroy();
			listeners.clear();
		}
	};
}
