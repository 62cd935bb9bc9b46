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
 *
 * Every message is sealed with an HMAC under a key derived from the server secret, bound to
 * its channel (bus.ts); what does not verify is dropped and counted (one warning a minute).
 *
 * A Redis that keeps the TCP connection open and never answers is found by a PING on each
 * connection every 2 s: no answer within 3 s and the connection is dropped and opened
 * again (publishes are dropped meanwhile; the 'ready' path subscribes again and resyncs).
 * Publishes waiting for Redis's answer are capped at 32 MiB: past it they are dropped and
 * counted, not queued.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Role } from '../../src/lib/doc/model.ts';
import type { Logger } from '../room/runner.ts';
import {
	busKey,
	decodeMapMessage,
	decodeRevoke,
	encodeMapMessage,
	openBusMessage,
	sealBusMessage,
	type ClusterBus,
	type MapListener,
	type MapMessage
} from './bus.ts';

export interface RedisBusOptions {
	url: string;
	/** Prepended to every channel: deployments (or test files) sharing one Redis stay apart. */
	prefix: string;
	/** The server secret: every message is authenticated with a key derived from it. */
	secret: Uint8Array;
	logger: Logger;
	/** How long opening may wait for Redis before it fails (the server then does not start). */
	connectTimeoutMs?: number;
	/** How often each connection is sent a PING (tests shorten it). */
	healthIntervalMs?: number;
	/** A PING (or a connection's ready check) unanswered this long: Redis is taken as hung. */
	healthTimeoutMs?: number;
	/** Bytes of publishes sent and not yet answered, past which further ones are dropped. */
	maxInFlightBytes?: number;
}

/** What the bus counted since it opened (diagnostics and tests). */
export interface RedisBusStats {
	/** Publishes dropped: Redis down or hung, or the in-flight cap reached. */
	dropped: number;
	/** Of those, dropped because the in-flight cap was reached. */
	droppedOverCap: number;
	/** Received messages whose HMAC did not verify. */
	unauthenticated: number;
	/** Connections dropped because a PING or ready check went unanswered. */
	hangs: number;
	/** Bytes of publishes sent and not yet answered. */
	inFlightBytes: number;
}

export interface RedisBus extends ClusterBus {
	readonly stats: Readonly<RedisBusStats>;
}

/** A subscription that Redis does not confirm in this long is left to the resync. */
const SUBSCRIBE_WAIT_MS = 1000;
const REVOKE_RETRY_MS = 500;
export const DEFAULT_HEALTH_INTERVAL_MS = 2000;
export const DEFAULT_HEALTH_TIMEOUT_MS = 3000;
/** Redis disconnects a subscriber 8 MiB behind; a publisher this far ahead of Redis is not being heard. */
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 32 * 1024 * 1024;
/** Messages that fail authentication are reported at most this often. */
const UNAUTHENTICATED_REPORT_MS = 60_000;

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
export async function createRedisBus(options: RedisBusOptions): Promise<RedisBus> {
	const { url, prefix, logger } = options;
	const where = describeRedis(url);
	const instanceId = randomBytes(8).toString('hex');
	const key = busKey(options.secret);
	const healthIntervalMs = options.healthIntervalMs ?? DEFAULT_HEALTH_INTERVAL_MS;
	const healthTimeoutMs = options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
	const maxInFlightBytes = options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES;
	const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
	const revokeChannel = `${prefix}revoke`;
	const mapChannel = (mapId: string) => `${prefix}map:${mapId}`;
	const common = {
		// Reconnect quickly and forever: instances catch up from the database once it is back.
		retryStrategy: (times: number) => Math.min(100 * times, 2000),
		connectTimeout: connectTimeoutMs,
		lazyConnect: true,
		// Commands fail at once while disconnected instead of piling up to be sent late.
		enableOfflineQueue: false,
		// Nor are the ones a dropped connection left unanswered sent again on the next.
		autoResendUnfulfilledCommands: false,
		// A connection being dropped is closed for good this soon, answered or not (a hung
		// Redis never answers the FIN).
		disconnectTimeout: 100,
		maxRetriesPerRequest: 1
	};
	const pub = new Redis(url, { ...common, connectionName: `atlas-pub-${instanceId}` });
	const sub = new Redis(url, { ...common, connectionName: `atlas-sub-${instanceId}`, autoResubscribe: false });

	const listeners = new Map<string, Set<MapListener>>();
	const revokeHandlers: Array<(mapId: string, role: Role, generation: number) => void> = [];
	const resyncHandlers: Array<() => void> = [];
	/** Sealed revoke messages not yet confirmed by Redis, oldest first. */
	const pendingRevokes: Buffer[] = [];
	let revokeTimer: NodeJS.Timeout | null = null;
	let closed = false;
	let down = false;
	let readyOnce = false;
	const stats: RedisBusStats = { dropped: 0, droppedOverCap: 0, unauthenticated: 0, hangs: 0, inFlightBytes: 0 };
	/** Bumped when the publishing connection drops: answers to what the old one sent count for nothing. */
	let pubEpoch = 0;
	let unauthenticatedReported = 0;
	let unauthenticatedAt = -Infinity;
	let firstSubscribed = () => {};
	const subscribed = new Promise<void>((resolve) => (firstSubscribed = resolve));

	const reportDown = (which: string, error: Error) => {
		if (down || closed) return;
		down = true;
		logger.error(`Redis at ${where} (${which}): ${error.message}; instances catch up from the database when it is back`);
	};
	pub.on('error', (error: Error) => reportDown('publishing', error));
	sub.on('error', (error: Error) => reportDown('subscribing', error));

	/** Someone publishes on our channels without the key: dropped, counted, said once a minute. */
	const unauthenticated = () => {
		stats.unauthenticated++;
		const now = performance.now();
		if (now - unauthenticatedAt < UNAUTHENTICATED_REPORT_MS) return;
		const count = stats.unauthenticated - unauthenticatedReported;
		unauthenticatedReported = stats.unauthenticated;
		unauthenticatedAt = now;
		logger.warn(
			`Redis at ${where}: dropped ${count} message${count === 1 ? '' : 's'} on ${prefix}… that failed authentication ` +
				'(an instance with another server secret, or someone else publishing on this Redis)'
		);
	};

	sub.on('messageBuffer', (channelBuffer: Buffer, data: Buffer) => {
		const channel = channelBuffer.toString();
		const payload = openBusMessage(key, channel, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
		if (payload === null) return unauthenticated();
		if (channel === revokeChannel) {
			const message = decodeRevoke(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString());
			if (!message || message.from === instanceId) return;
			for (const handler of revokeHandlers) handler(message.mapId, message.role, message.generation);
			return;
		}
		const mapId = channel.slice(prefix.length + 'map:'.length);
		const set = listeners.get(mapId);
		if (!set || set.size === 0) return;
		const message = decodeMapMessage(payload);
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
	/** The publishing connection went unanswered: nothing is sent on it until it is ready again. */
	let pubHung = false;
	pub.on('ready', () => {
		pubHung = false;
		// Only this connection had dropped (the subscribing one says so for both otherwise).
		if (down && readyOnce && sub.status === 'ready') {
			down = false;
			logger.warn(`Redis at ${where} answers again (publishing)`);
		}
		if (pendingRevokes.length > 0) flushRevokes();
	});
	/** What the publishing connection had sent is answered by nobody now (and not sent again). */
	const forgetInFlight = () => {
		pubEpoch++;
		stats.inFlightBytes = 0;
	};
	pub.on('close', forgetInFlight);

	function publish(channel: string, data: Uint8Array): void {
		if (closed) return;
		if (pub.status !== 'ready' || pubHung) {
			stats.dropped++;
			return;
		}
		const sealed = sealBusMessage(key, channel, data);
		// A Redis that stopped answering must not grow the command queue without bound.
		if (stats.inFlightBytes + sealed.byteLength > maxInFlightBytes) {
			stats.dropped++;
			stats.droppedOverCap++;
			return;
		}
		const epoch = pubEpoch;
		stats.inFlightBytes += sealed.byteLength;
		const settle = () => {
			if (epoch === pubEpoch) stats.inFlightBytes -= sealed.byteLength;
		};
		pub.publish(channel, sealed).then(settle, () => {
			settle();
			stats.dropped++;
		});
	}

	function publishMap(mapId: string, message: MapMessage): void {
		publish(mapChannel(mapId), encodeMapMessage(message));
	}

	/**
	 * Each connection answers a PING every healthIntervalMs, or is dropped and opened again;
	 * so is one whose ready check (after TCP connected) goes unanswered as long.
	 */
	function watchHealth(connection: Redis, which: string, onHung: () => void = () => {}): NodeJS.Timeout {
		let waiting: { since: number; epoch: number } | null = null;
		let epoch = 0;
		let connectedAt = performance.now();
		connection.on('connect', () => (connectedAt = performance.now()));
		connection.on('close', () => {
			epoch++;
			waiting = null;
		});
		const hung = (what: string) => {
			waiting = null;
			stats.hangs++;
			onHung();
			reportDown(which, new Error(`${what} within ${healthTimeoutMs} ms; reconnecting`));
			connection.disconnect(true);
		};
		const timer = setInterval(() => {
			if (closed) return;
			const now = performance.now();
			if (waiting !== null) {
				if (now - waiting.since >= healthTimeoutMs) hung('no answer to PING');
				return;
			}
			// TCP is up but Redis has not answered the ready check.
			if (connection.status === 'connect' && now - connectedAt >= healthTimeoutMs) return hung('no answer after connecting');
			if (connection.status !== 'ready') return;
			const mine = (waiting = { since: now, epoch });
			const answered = () => {
				if (waiting === mine) waiting = null;
			};
			connection.ping().then(answered, answered);
			// Checked again at the timeout, not only on the next tick.
			setTimeout(() => {
				if (!closed && waiting === mine && mine.epoch === epoch) hung('no answer to PING');
			}, healthTimeoutMs).unref();
		}, healthIntervalMs);
		timer.unref();
		return timer;
	}

	function flushRevokes(): void {
		if (revokeTimer) clearTimeout(revokeTimer);
		revokeTimer = null;
		if (closed || pendingRevokes.length === 0) return;
		const next = pendingRevokes[0];
		const retry = () => {
			if (!closed && revokeTimer === null) revokeTimer = setTimeout(flushRevokes, REVOKE_RETRY_MS);
		};
		if (pub.status !== 'ready' || pubHung) return retry();
		pub.publish(revokeChannel, next).then(
			() => {
				if (pendingRevokes[0] === next) pendingRevokes.shift();
				flushRevokes();
			},
			() => retry()
		);
	}

	try {
		// Connecting waits for Redis to answer its ready check, which a hung Redis never does:
		// the whole opening shares one deadline. The first 'ready' subscribes the revoke
		// channel; waited for, so a rotation right after start reaches this instance.
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([
			Promise.all([pub.connect(), sub.connect()]).then(() => subscribed),
			new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${connectTimeoutMs} ms`)), connectTimeoutMs)))
		]).finally(() => clearTimeout(timer));
	} catch (error) {
		closed = true;
		pub.disconnect();
		sub.disconnect();
		throw new Error(`Redis at ${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
	}

	const health = [
		watchHealth(pub, 'publishing', () => {
			pubHung = true;
			forgetInFlight();
		}),
		watchHealth(sub, 'subscribing')
	];

	return {
		enabled: true,
		instanceId,
		stats,
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
			pendingRevokes.push(sealBusMessage(key, revokeChannel, Buffer.from(JSON.stringify({ from: instanceId, mapId, role, generation }))));
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
			for (const timer of health) clearInterval(timer);
			if (stats.dropped > 0) logger.warn(`Redis at ${where}: ${stats.dropped} messages could not be published (the database had them all)`);
			const unreported = stats.unauthenticated - unauthenticatedReported;
			if (unreported > 0) logger.warn(`Redis at ${where}: dropped ${unreported} more messages that failed authentication`);
			// A hung Redis never answers QUIT: the connections are dropped after a second.
			const quit = (connection: Redis) =>
				Promise.race([connection.quit().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 1000).unref())]).then(() => connection.disconnect());
			await Promise.all([quit(pub), quit(sub)]);
		}
	};
}
