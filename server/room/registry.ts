/**
 * The open rooms and the connections in them. Rooms are made on first join and dropped
 * when they unload or fail; key rotation and the API reach connections through here.
 */
import type { Role } from '../../src/lib/doc/model.ts';
import type { Generations } from '../auth.ts';
import { CLOSE } from '../../src/lib/sync/close-codes.ts';
import { noCluster, type ClusterBus } from '../cluster/bus.ts';
import type { DocStore } from '../persistence/doc-store.ts';
import type { ServerWrite } from './core.ts';
import {
	DEFAULT_COMPACT_THRESHOLD,
	DEFAULT_MAX_DOC_BYTES,
	DEFAULT_PRESENCE_TICK_MS,
	DEFAULT_UNLOAD_GRACE_MS,
	RoomGone,
	RoomRunner,
	type Connection,
	type Logger,
	type RunnerOptions,
	type Timing
} from './runner.ts';

/** A connection that knows which generation of its role's key it authenticated with. */
export interface KeyedConnection extends Connection {
	readonly keyGeneration: number;
}

export interface RegistryOptions {
	store: DocStore;
	logger?: Logger;
	compactThreshold?: number;
	maxDocBytes?: number;
	presenceTickMs?: number;
	unloadGraceMs?: number;
	storageFull?: () => boolean;
	memoryTight?: () => boolean;
	onTiming?: Timing;
	/** The other instances serving this database (server/cluster/); none by default. */
	cluster?: ClusterBus;
	/** How often loaded rooms compare their place with the store's head, with other instances. */
	clusterPollMs?: number;
	/** A monotonic clock in ms (tests stand in for a stalled process). */
	clock?: () => number;
	/** How long a read of the key generations is trusted (default: the poll and KEY_LEASE_EXTRA_MS). */
	keyLeaseMs?: number;
}

/**
 * With other instances: how often every loaded map's head is read from the store (one
 * query for all of them), so a lost message is found even when no later one comes.
 */
export const DEFAULT_CLUSTER_POLL_MS = 2000;

/**
 * With other instances, how long a read of a map's key generations is trusted to judge its
 * sockets' writes by: one poll and a second. The poll renews it every 2 s, so writes never
 * wait for it while the process runs; after a longer stall the first write waits for a read.
 */
export const KEY_LEASE_EXTRA_MS = 1000;

/** A map could not be opened now (memory is tight); the client should try again later. */
export class RoomsBusy extends Error {}

export class RoomRegistry {
	private readonly rooms = new Map<string, RoomRunner>();
	private readonly options: RunnerOptions;
	/** Latest key generation per map and role; older keys are closed (4401). */
	private readonly generations = new Map<string, Record<Role, number>>();
	private readonly cluster: ClusterBus;
	private readonly pollTimer: NodeJS.Timeout | null = null;
	private polling = false;
	/** Maps whose keys are being read again after a revoke message (and whether another came meanwhile). */
	private readonly rechecks = new Map<string, { again: boolean }>();
	/** When each loaded map's key generations were last read from the store (clock ms, taken before the read). */
	private readonly keysReadAt = new Map<string, number>();
	/** Reads of a map's keys that writes are waiting for. */
	private readonly leaseReads = new Map<string, Promise<void>>();
	private readonly clock: () => number;
	private readonly keyLeaseMs: number;

	constructor(options: RegistryOptions) {
		this.cluster = options.cluster ?? noCluster;
		this.clock = options.clock ?? (() => performance.now());
		this.keyLeaseMs = options.keyLeaseMs ?? (options.clusterPollMs ?? DEFAULT_CLUSTER_POLL_MS) + KEY_LEASE_EXTRA_MS;
		this.options = {
			store: options.store,
			logger: options.logger ?? console,
			compactThreshold: options.compactThreshold ?? DEFAULT_COMPACT_THRESHOLD,
			maxDocBytes: options.maxDocBytes ?? DEFAULT_MAX_DOC_BYTES,
			presenceTickMs: options.presenceTickMs ?? DEFAULT_PRESENCE_TICK_MS,
			unloadGraceMs: options.unloadGraceMs ?? DEFAULT_UNLOAD_GRACE_MS,
			storageFull: options.storageFull,
			memoryTight: options.memoryTight,
			onTiming: options.onTiming,
			cluster: this.cluster,
			keysFresh: this.cluster.enabled ? (mapId) => this.keysFresh(mapId) : undefined
		};
		if (this.cluster.enabled) {
			// Another instance replaced a key: its sockets here close too, up to the generation
			// the store holds (the message carries no authority of its own).
			this.cluster.onRevoke((mapId) => this.remoteRevoke(mapId));
			// Redis was away: every room catches up, and every loaded map's keys are read again.
			this.cluster.onResync(() => {
				for (const room of this.rooms.values()) room.resync();
				void this.recheckKeys();
			});
			this.pollTimer = setInterval(() => void this.poll(), options.clusterPollMs ?? DEFAULT_CLUSTER_POLL_MS);
			this.pollTimer.unref();
		}
	}

	/** Every loaded map's head from the store, handed to its room (and a turn for presence expiry). */
	private async poll(): Promise<void> {
		if (this.polling || this.rooms.size === 0) return;
		this.polling = true;
		const rooms = [...this.rooms.values()].filter((room) => room.isUsable);
		const readAt = this.clock();
		try {
			const heads = await this.options.store.logHeads(rooms.map((room) => room.mapId));
			for (const room of rooms) {
				const head = heads.get(room.mapId) ?? null;
				// The same read brings the map's key generations: a replaced key whose message
				// never came (Redis away, or an instance on another bus) closes its sockets here
				// within one poll.
				if (head) {
					this.revokeUpTo(room.mapId, head.generations);
					this.keysRead(room.mapId, readAt);
				}
				room.clusterTick(head);
			}
		} catch (error) {
			// The rooms still expire presence; the next poll tries again.
			for (const room of rooms) room.clusterTick(null);
			this.options.logger.warn(`reading the maps' heads failed: ${error instanceof Error ? error.message : String(error)}`);
		} finally {
			this.polling = false;
		}
	}

	/** Reads the key generations of every loaded map and closes sockets on replaced keys. */
	private async recheckKeys(): Promise<void> {
		for (const mapId of [...this.rooms.keys()]) await this.recheckMap(mapId);
	}

	/**
	 * Another instance says a key of this map was replaced. The message only says where to
	 * look: the generations come from the store, so a message nobody should have sent (a
	 * huge generation) closes nothing that is still valid. Reads for one map do not pile up:
	 * messages that come while one is in flight cost one more read after it.
	 */
	private remoteRevoke(mapId: string): void {
		const state = this.rechecks.get(mapId);
		if (state) {
			state.again = true;
			return;
		}
		const run = (entry: { again: boolean }): void => {
			void this.recheckMap(mapId).finally(() => {
				if (!entry.again) return void this.rechecks.delete(mapId);
				entry.again = false;
				run(entry);
			});
		};
		const entry = { again: false };
		this.rechecks.set(mapId, entry);
		run(entry);
	}

	private async recheckMap(mapId: string): Promise<void> {
		const readAt = this.clock();
		try {
			const record = await this.options.store.getMap(mapId);
			if (record) {
				this.revokeUpTo(mapId, record.keyGenerations);
				this.keysRead(mapId, readAt);
			}
		} catch (error) {
			this.options.logger.warn(`map ${mapId}: reading its keys again failed: ${error instanceof Error ? error.message : String(error)}`);
		}
	}

	private keysRead(mapId: string, at: number): void {
		if (this.rooms.has(mapId)) this.keysReadAt.set(mapId, Math.max(at, this.keysReadAt.get(mapId) ?? -Infinity));
	}

	/**
	 * Null while the map's key generations were read within the lease (the poll renews it),
	 * else a read of them that the room's writes wait for (one per map at a time). A failed
	 * read lets the writes through: they would reach the same unreachable store to commit.
	 */
	private keysFresh(mapId: string): Promise<void> | null {
		const readAt = this.keysReadAt.get(mapId);
		if (readAt !== undefined && this.clock() - readAt <= this.keyLeaseMs) return null;
		let read = this.leaseReads.get(mapId);
		if (!read) {
			read = this.recheckMap(mapId).finally(() => this.leaseReads.delete(mapId));
			this.leaseReads.set(mapId, read);
		}
		return read;
	}

	/** Closes the sockets of every role whose key the store has since replaced. */
	private revokeUpTo(mapId: string, generations: Generations): void {
		const latest = this.generations.get(mapId);
		for (const role of ['facilitator', 'editor', 'viewer'] as const) {
			if (generations[role] > (latest?.[role] ?? 0)) this.revoke(mapId, role, generations[role]);
		}
	}

	get size(): number {
		return this.rooms.size;
	}

	has(mapId: string): boolean {
		return this.rooms.get(mapId)?.isUsable === true;
	}

	/** The room of a map, if loaded (tests and diagnostics). */
	room(mapId: string): RoomRunner | undefined {
		return this.rooms.get(mapId);
	}

	/** Whether a key of this generation has since been replaced. */
	isRevoked(mapId: string, role: Role, generation: number): boolean {
		const latest = this.generations.get(mapId);
		return latest !== undefined && latest[role] > generation;
	}

	/**
	 * Joins the map's room, loading it if needed. With memory tight, a map not already
	 * loaded is not loaded (RoomsBusy) and empty rooms unload at once, so the maps in use
	 * keep working instead of the process running out of heap.
	 */
	join(mapId: string, conn: KeyedConnection): RoomRunner {
		const room = this.open(mapId);
		room.join(conn);
		return room;
	}

	private open(mapId: string): RoomRunner {
		let room = this.rooms.get(mapId);
		if (!room || !room.isUsable) {
			if (this.options.memoryTight?.()) {
				for (const other of this.rooms.values()) other.unloadNowIfIdle();
				throw new RoomsBusy('server memory is tight');
			}
			room = new RoomRunner(mapId, this.options, (gone) => {
				if (this.rooms.get(mapId) !== gone) return;
				this.rooms.delete(mapId);
				this.keysReadAt.delete(mapId);
			});
			this.rooms.set(mapId, room);
			// The joining socket's key was checked against the store just now.
			this.keysReadAt.set(mapId, this.clock());
		}
		return room;
	}

	/**
	 * A change the server makes itself to a map (room/core.ts serverWrite), loading the map
	 * if it is not open (it unloads after the grace period if nobody joins). Resolves once
	 * the change is durable and sent. A room that unloads just as the write is queued is
	 * opened again once.
	 */
	async serverWrite<T>(mapId: string, write: ServerWrite<T>): Promise<T> {
		for (let attempt = 0; ; attempt++) {
			const room = this.open(mapId);
			try {
				return await room.serverWrite(write);
			} catch (error) {
				// Unloaded before the write ran: nothing was written, so a fresh room takes it.
				if (!(error instanceof RoomGone) || error.ran || attempt > 0) throw error;
			}
		}
	}

	/**
	 * The facilitator replaced a role's key here: its sockets close at once, on this instance
	 * and (through the cluster bus) on every other.
	 */
	keyReplaced(mapId: string, role: Role, generation: number): void {
		this.revoke(mapId, role, generation);
		this.cluster.publishRevoke(mapId, role, generation);
	}

	/** A role's key was replaced: every socket still on an older one is closed at once (4401). */
	revoke(mapId: string, role: Role, generation: number): void {
		const latest = this.generations.get(mapId) ?? { facilitator: 0, editor: 0, viewer: 0 };
		latest[role] = Math.max(latest[role], generation);
		this.generations.set(mapId, latest);
		this.rooms.get(mapId)?.closeWhere(
			(conn) => conn.role === role && (conn as KeyedConnection).keyGeneration < generation,
			CLOSE.unauthorized,
			'key replaced'
		);
	}

	async closeAll(): Promise<void> {
		if (this.pollTimer) clearInterval(this.pollTimer);
		await Promise.all([...this.rooms.values()].map((room) => room.shutdown()));
	}
}
