/**
 * The cluster bus over Redis pub/sub (ioredis): one channel per map
 * (`<prefix>map:<mapId>`, subscribed while the map is loaded here) and one for replaced
 * keys (`<prefix>revoke`, always). Two connections: one subscribes, one publishes.
 *
 * Publishing never waits for Redis: while it is unreachable, updates and presence are
 * dropped (the other instances read the updates from the database when Redis is back), and
 * replaced keys are kept and sent when it answers again. When the subscribing connection
 * comes back, every channel is subscribed again and `onResync` handlers run: each room
 * catches up from the store and the key generations of every loaded map are read again.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Role } from '../../src/lib/doc/model.ts';
import type { Logger } from '../room/runner.ts';
import { decodeMapMessage, decodeRevoke, encodeMapMessage, type ClusterBus, type MapListener, type MapMessage } from './bus.ts';

export interface RedisBusOptions {
	url: string;
	/** Prepended to every channel: deployments (or test files) sharing one Redis stay apart. */
	prefix: string;
	logger: Logger;
	/** How long opening may wait for Redis before it fails (the server then does not start). */
	connectTimeoutMs?: number;
}

/** A subscription that Redis does not confirm in this long is left to the resync. */
const SUBSCRIBE_WAIT_MS = 1000;
const REVOKE_RETRY_MS = 500;

/** host:port of a redis:// URL, never its password. */
export function describeRedis(url: string): string {
	try {
		const parsed = new URL(url);
		return `${parsed.hostname || 'localhost'}:${parsed.port || '6379'}${parsed.pathname && parsed.pathname !== '/' ? parsed.pathname : ''}`;
	} catch {
		return 'an unparsable URL';
	}
}

/** Opens both connections; rejects with a clear message when Redis does not answer in time. */
export async function createRedisBus(options: RedisBusOptions): Promise<ClusterBus> {
	const { url, prefix, logger } = options;
	const where = describeRedis(url);
	const instanceId = randomBytes(8).toString('hex');
	const revokeChannel = `${prefix}revoke`;
	const mapChannel = (mapId: string) => `${prefix}map:${mapId}`;
	const common = {
		// Reconnect quickly and forever: instances catch up from the database once it is back.
		retryStrategy: (times: number) => Math.min(100 * times, 2000),
		connectTimeout: options.connectTimeoutMs ?? 10_000,
		lazyConnect: true,
		// Commands fail at once while disconnected instead of piling up to be sent late.
		enableOfflineQueue: false,
		maxRetriesPerRequest: 1
	};
	const pub = new Redis(url, { ...common, connectionName: `atlas-pub-${instanceId}` });
	const sub = new Redis(url, { ...common, connectionName: `atlas-sub-${instanceId}`, autoResubscribe: false });

	const listeners = new Map<string, Set<MapListener>>();
	const revokeHandlers: Array<(mapId: string, role: Role, generation: number) => void> = [];
	const resyncHandlers: Array<() => void> = [];
	const pendingRevokes: string[] = [];
	let revokeTimer: NodeJS.Timeout | null = null;
	let closed = false;
	let down = false;
	let readyOnce = false;
	let dropped = 0;
	let firstSubscribed = () => {};
	const subscribed = new Promise<void>((resolve) => (firstSubscribed = resolve));

	const reportDown = (which: string, error: Error) => {
		if (down || closed) return;
		down = true;
		logger.error(`Redis at ${where} (${which}): ${error.message}; instances catch up from the database when it is back`);
	};
	pub.on('error', (error: Error) => reportDown('publishing', error));
	sub.on('error', (error: Error) => reportDown('subscribing', error));

	sub.on('messageBuffer', (channelBuffer: Buffer, data: Buffer) => {
		const channel = channelBuffer.toString();
		if (channel === revokeChannel) {
			const message = decodeRevoke(data.toString());
			if (!message || message.from === instanceId) return;
			for (const handler of revokeHandlers) handler(message.mapId, message.role, message.generation);
			return;
		}
		const mapId = channel.slice(prefix.length + 'map:'.length);
		const set = listeners.get(mapId);
		if (!set || set.size === 0) return;
		const message = decodeMapMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
		if (!message || message.from === instanceId) return;
		for (const listener of set) {
			if (message.kind === 'update') listener.update(message.message);
			else if (message.kind === 'owners') listener.owners(message.owners);
			else listener.presence(message.frame, message.from);
		}
	});

	sub.on('ready', () => {
		if (closed) return;
		const channels = [revokeChannel, ...[...listeners.keys()].map(mapChannel)];
		sub
			.subscribe(...channels)
			.then(() => {
				if (!readyOnce) {
					readyOnce = true;
					return firstSubscribed();
				}
				logger.warn(`Redis at ${where} answers again; catching up from the database`);
				down = false;
				for (const handler of resyncHandlers) handler();
			})
			.catch((error: Error) => reportDown('subscribing', error));
	});
	pub.on('ready', () => {
		if (pendingRevokes.length > 0) flushRevokes();
	});

	function publish(channel: string, data: Uint8Array | string): void {
		if (closed) return;
		if (pub.status !== 'ready') {
			dropped++;
			return;
		}
		const payload = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
		pub.publish(channel, payload).catch(() => {
			dropped++;
		});
	}

	function publishMap(mapId: string, message: MapMessage): void {
		publish(mapChannel(mapId), encodeMapMessage(message));
	}

	function flushRevokes(): void {
		if (revokeTimer) clearTimeout(revokeTimer);
		revokeTimer = null;
		if (closed || pendingRevokes.length === 0) return;
		const next = pendingRevokes[0];
		const retry = () => {
			if (!closed && revokeTimer === null) revokeTimer = setTimeout(flushRevokes, REVOKE_RETRY_MS);
		};
		if (pub.status !== 'ready') return retry();
		pub.publish(revokeChannel, next).then(
			() => {
				if (pendingRevokes[0] === next) pendingRevokes.shift();
				flushRevokes();
			},
			() => retry()
		);
	}

	try {
		await Promise.all([pub.connect(), sub.connect()]);
		// The first 'ready' subscribes the revoke channel; wait for it so a rotation right
		// after start reaches this instance.
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([
			subscribed,
			new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('subscribing timed out')), options.connectTimeoutMs ?? 10_000)))
		]).finally(() => clearTimeout(timer));
	} catch (error) {
		closed = true;
		pub.disconnect();
		sub.disconnect();
		throw new Error(`Redis at ${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
	}

	return {
		enabled: true,
		instanceId,
		async subscribe(mapId, listener) {
			let set = listeners.get(mapId);
			if (!set) listeners.set(mapId, (set = new Set()));
			set.add(listener);
			if (set.size > 1 || sub.status !== 'ready') return;
			let timer: NodeJS.Timeout | undefined;
			await Promise.race([
				sub.subscribe(mapChannel(mapId)).catch(() => {}),
				new Promise<void>((resolve) => (timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS)))
			]);
			clearTimeout(timer);
		},
		unsubscribe(mapId, listener) {
			const set = listeners.get(mapId);
			if (!set) return;
			set.delete(listener);
			if (set.size > 0) return;
			listeners.delete(mapId);
			if (sub.status === 'ready') sub.unsubscribe(mapChannel(mapId)).catch(() => {});
		},
		publishUpdate(mapId, message) {
			publishMap(mapId, { kind: 'update', from: instanceId, message });
		},
		publishOwners(mapId, owners) {
			publishMap(mapId, { kind: 'owners', from: instanceId, owners });
		},
		publishPresence(mapId, frame) {
			publishMap(mapId, { kind: 'presence', from: instanceId, frame });
		},
		publishRevoke(mapId, role, generation) {
			pendingRevokes.push(JSON.stringify({ from: instanceId, mapId, role, generation }));
			if (pendingRevokes.length === 1) flushRevokes();
		},
		onRevoke(handler) {
			revokeHandlers.push(handler);
		},
		onResync(handler) {
			resyncHandlers.push(handler);
		},
		async close() {
			if (closed) return;
			// Replaced keys still waiting get one last chance.
			if (pendingRevokes.length > 0 && pub.status === 'ready') {
				await Promise.race([
					Promise.all(pendingRevokes.splice(0).map((message) => pub.publish(revokeChannel, message).catch(() => {}))),
					new Promise((resolve) => setTimeout(resolve, 1000))
				]);
			}
			closed = true;
			if (revokeTimer) clearTimeout(revokeTimer);
			if (dropped > 0) logger.warn(`Redis at ${where}: ${dropped} messages could not be published (the database had them all)`);
			await Promise.all([pub.quit().catch(() => pub.disconnect()), sub.quit().catch(() => sub.disconnect())]);
		}
	};
}
