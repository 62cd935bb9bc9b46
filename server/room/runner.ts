/**
 * Runs one room: the serial queue in front of the core (core.ts), durable commits before
 * anything is sent, presence on a steady tick, compaction, and unloading after a grace
 * period.
 *
 * Every event of a room (join, message, leave, presence tick, shutdown) goes through one
 * queue, in arrival order. Tasks run in batches: whatever the batch changed is merged,
 * appended to the store and awaited, and only then is anything from that batch sent,
 * broadcasts and replies to sync step 1 alike. So no client ever sees state that is not
 * on disk, and a batch costs one commit however many messages it held. Between batches
 * the runner yields to the event loop, so closes, reads and other rooms are never starved.
 */
import * as Y from 'yjs';
import { noCluster, type ClusterBus, type MapListener, type RemoteUpdate } from '../cluster/bus.ts';
import { RoomLink, type Ready } from '../cluster/room-link.ts';
import { CompactionConflict, type DocStore, type LogHead } from '../persistence/doc-store.ts';
import type { ClientOwner } from './client-ids.ts';
import { REMOTE_PRESENCE_TIMEOUT_MS } from './presence-gate.ts';
import { SCHEMA_VERSION } from '../../src/lib/doc/model.ts';
import { migrateDoc, schemaVersionOf } from '../../src/lib/doc/migrations.ts';
import { CLOSE } from '../../src/lib/sync/close-codes.ts';
import { RoomCore, type Effects, type Peer, type ServerWrite, type ServerWriteOutcome, type WriteBatch } from './core.ts';
import { encodeSyncUpdate } from './protocol.ts';
import { DurableLog } from './durable-log.ts';

export interface Connection extends Peer {
	/** Must be a no-op once the socket is closing. */
	send(message: Uint8Array): void;
	close(code: number, reason: string): void;
	/** Bytes queued for this socket and not yet written to the network. */
	readonly bufferedBytes: number;
	/** Told how long the room spent on one of its messages (its work budget, sync-server.ts). */
	charge?(ms: number): void;
	/** True once the server has begun closing it. */
	readonly closing?: boolean;
}

export interface Logger {
	error(message: string): void;
	warn(message: string): void;
	/** Expected, client-caused events (dropped writes); optional so console works as is. */
	debug?(message: string): void;
}

/**
 * `ms` is wall-clock time; `cpuMs` is the process's CPU time over the same span, which
 * leaves out time the OS gave to other processes but includes V8's helper threads.
 */
export type Timing = (what: 'message' | 'commit', ms: number, cpuMs: number) => void;

export interface RunnerOptions {
	store: DocStore;
	logger: Logger;
	/** Rows in the log after which it is compacted into one. */
	compactThreshold: number;
	maxDocBytes: number;
	/** How often presence is relayed. */
	presenceTickMs: number;
	/** How long a room stays loaded after its last connection leaves. */
	unloadGraceMs: number;
	/** Whether all maps together have reached the server's storage cap. */
	storageFull?: () => boolean;
	/** Whether the process is near its heap limit (server/memory.ts). */
	memoryTight?: () => boolean;
	onTiming?: Timing;
	now?: () => number;
	/** The other instances serving this database (server/cluster/); none by default. */
	cluster?: ClusterBus;
	/**
	 * With other instances: null while this instance's knowledge of the map's key generations
	 * is recent enough to judge writes by, else a promise that resolves once they have been
	 * read again (and sockets on replaced keys closed). See RoomRegistry.keysFresh.
	 */
	keysFresh?: (mapId: string) => Promise<void> | null;
}

export const DEFAULT_COMPACT_THRESHOLD = 500;
/**
 * A 10,000-asset map encodes to ~6 MB (bench/fixtures.ts); 16 MiB of stored updates is
 * more than twice that plus history. Counted as bytes stored since the last compaction.
 * (64 MiB let four maps filled by one person hold 3.5 GB of heap: a loaded Yjs document
 * costs many times its encoded size.)
 */
export const DEFAULT_MAX_DOC_BYTES = 16 * 1024 * 1024;
/** Presence relayed 12 times a second: smooth enough for cursors, cheap at 500 people. */
export const DEFAULT_PRESENCE_TICK_MS = 80;
/** A phone flapping on Wi-Fi comes back within this and finds its map still loaded. */
export const DEFAULT_UNLOAD_GRACE_MS = 30_000;
/** Bounds the work (and the merged row) of one commit when a client floods us. */
const MAX_BATCH = 256;
/**
 * A batch stops taking tasks after this much work, so other rooms and the network get
 * their turn: 256 messages that each cost 45 ms would otherwise hold the event loop 11 s.
 */
const MAX_BATCH_MS = 25;
/**
 * Bytes of writes one batch may merge: its merged broadcast must fit every socket's send
 * queue (sync-server.ts), or everyone in the room would be dropped at once.
 */
const MAX_BATCH_WRITE_BYTES = 8 * 1024 * 1024;
/** Measured: writing and syncing 20 MiB of rows held the event loop 136 ms. */
const COMMIT_MS_PER_BYTE = 136 / (20 * 1024 * 1024);
/** Other instances' updates due at once are applied in one transaction (and sent as one update) up to this size. */
const MERGE_REMOTE_BYTES = 1024 * 1024;
/** A socket with more than this queued misses presence ticks and gets the latest state later. */
const PRESENCE_BACKLOG_BYTES = 512 * 1024;

type Task =
	| { kind: 'join'; conn: Connection }
	| { kind: 'message'; conn: Connection; data: Uint8Array }
	| { kind: 'leave'; conn: Connection }
	| { kind: 'presence' }
	| { kind: 'finish-loading' }
	| { kind: 'unload' }
	| { kind: 'shutdown'; done: () => void }
	/** A change the server makes itself; `settle` is told once it is durable and sent (or failed). */
	| { kind: 'server-write'; write: ServerWrite<unknown>; settle: (outcome: ServerWriteOutcome<unknown>) => void }
	// From the other instances (server/cluster/):
	| { kind: 'remote-update'; message: RemoteUpdate }
	| { kind: 'remote-owners'; owners: ClientOwner[] }
	| { kind: 'remote-presence'; frame: Uint8Array }
	/** Wakes the room to catch up from the store (RoomLink.wanted is set). */
	| { kind: 'catch-up' }
	| { kind: 'cluster-tick'; head: LogHead | null };

function timed(onTiming: Timing, what: 'message' | 'commit'): () => void {
	const start = performance.now();
	const cpu = process.cpuUsage();
	return () => {
		const used = process.cpuUsage(cpu);
		onTiming(what, performance.now() - start, (used.user + used.system) / 1000);
	};
}

/**
 * A batch with several document updates (many people editing at once) sends them as the one
 * merged update it stored, once to everyone, instead of each update to everyone but its
 * sender: n updates cost n messages per peer otherwise. A sender receiving its own change
 * back is a no-op for Yjs. Other messages keep their order relative to the merged one's
 * place (where the first update was).
 */
function coalesceUpdates(messages: Effects<Connection>['send'], merged: Uint8Array | null): Effects<Connection>['send'] {
	const updates = messages.filter((message) => message.update !== undefined);
	if (updates.length < 2 || merged === null) return messages;
	const out: Effects<Connection>['send'] = [];
	let placed = false;
	for (const message of messages) {
		if (message.update === undefined) out.push(message);
		else if (!placed) {
			out.push({ data: encodeSyncUpdate(merged) });
			placed = true;
		}
	}
	return out;
}

function describe(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/** The room was unloaded or failed before (or while) a server write could be made durable. */
export class RoomGone extends Error {
	constructor(
		/**
		 * Whether the write had been taken from the queue (it may have run, and storing its
		 * batch failed), rather than the room closing before it was reached. Only the latter is
		 * tried again in a fresh room.
		 */
		readonly ran = false
	) {
		super(ran ? 'storing the write failed' : 'the room closed before the write ran');
		this.name = 'RoomGone';
	}
}

export class RoomRunner {
	private core: RoomCore<Connection> | null = null;
	private readonly log: DurableLog;
	private readonly ready: Promise<boolean>;
	private tasks: Task[] = [];
	private running = false;
	private state: 'loading' | 'open' | 'gone' = 'loading';
	/** Joined and not yet left, for closing by the registry (key rotation). */
	private readonly connections = new Set<Connection>();
	/** Connections that missed presence while too slow to read. */
	private readonly missedPresence = new Set<Connection>();
	private presenceTimer: NodeJS.Timeout | null = null;
	/** Size of the state the last compaction wrote (compaction by bytes waits for the log to double it). */
	private lastCompactedBytes = 0;
	private compacting: Promise<void> | null = null;
	/** After a failed compaction, none is tried before this time (backing off, up to a minute). */
	private compactNotBefore = 0;
	private compactFailures = 0;
	private unloadTimer: NodeJS.Timeout | null = null;
	private readonly now: () => number;
	private readonly cluster: ClusterBus;
	/** This room's place in the map's log, with other instances appending (null alone). */
	private readonly link: RoomLink | null;
	private readonly listener: MapListener | null;
	/** Whether the loaded document's schema version has been looked at (migrated once per load if old). */
	private migrationChecked = false;
	/** Server writes of the batch being run and committed, told RoomGone if the room fails first. */
	private readonly unsettled = new Set<Extract<Task, { kind: 'server-write' }>>();

	constructor(
		readonly mapId: string,
		private readonly options: RunnerOptions,
		private readonly onGone: (runner: RoomRunner) => void
	) {
		this.log = new DurableLog(options.store, mapId);
		this.now = options.now ?? Date.now;
		this.cluster = options.cluster ?? noCluster;
		if (this.cluster.enabled) {
			this.link = new RoomLink(options.store, mapId, () => this.enqueue({ kind: 'catch-up' }));
			this.listener = {
				update: (message) => this.enqueue({ kind: 'remote-update', message }),
				owners: (owners) => this.enqueue({ kind: 'remote-owners', owners }),
				presence: (frame) => this.enqueue({ kind: 'remote-presence', frame })
			};
			// Subscribed before loading: whatever is committed after the load's read is heard of
			// (or found by the catch-up that a gap starts).
			this.ready = this.cluster.subscribe(mapId, this.listener).then(() => this.load());
		} else {
			this.link = null;
			this.listener = null;
			this.ready = this.load();
		}
	}

	get connectionCount(): number {
		return this.connections.size;
	}

	/** False once the room has been unloaded or failed; the registry then makes a new one. */
	get isUsable(): boolean {
		return this.state !== 'gone';
	}

	/** The room's document once loaded (tests and diagnostics read it, never write). */
	get doc(): Y.Doc | null {
		return this.core?.doc ?? null;
	}

	join(conn: Connection): void {
		this.connections.add(conn);
		if (this.unloadTimer) {
			clearTimeout(this.unloadTimer);
			this.unloadTimer = null;
		}
		this.enqueue({ kind: 'join', conn });
	}

	receive(conn: Connection, data: Uint8Array): void {
		this.enqueue({ kind: 'message', conn, data });
	}

	leave(conn: Connection): void {
		this.connections.delete(conn);
		this.missedPresence.delete(conn);
		this.enqueue({ kind: 'leave', conn });
	}

	/** Closes every connection `which` picks, at once (their 'leave' follows from the socket). */
	closeWhere(which: (conn: Connection) => boolean, code: number, reason: string): void {
		for (const conn of this.connections) if (which(conn)) conn.close(code, reason);
	}

	/**
	 * A change the server makes itself (server writes, core.ts serverWrite), queued like any
	 * message: applied in its turn, committed with its journal entries and bindings, and only
	 * then sent to every client and published to the other instances. Resolves once that is
	 * done, with what `apply` returned; rejects with what `apply` threw, a ServerWriteRefused,
	 * or RoomGone if the room closed first. A room with nobody in it unloads after the grace
	 * period as usual.
	 */
	serverWrite<T>(write: ServerWrite<T>): Promise<T> {
		if (this.state === 'gone') return Promise.reject(new RoomGone());
		if (this.unloadTimer) {
			clearTimeout(this.unloadTimer);
			this.unloadTimer = null;
		}
		return new Promise<T>((resolve, reject) => {
			this.enqueue({
				kind: 'server-write',
				write: write as ServerWrite<unknown>,
				settle: (outcome) => (outcome.ok ? resolve(outcome.value as T) : reject(outcome.error))
			});
		});
	}

	/** Finishes queued work, compacts and closes every socket with a "server restart" code. */
	shutdown(): Promise<void> {
		if (this.state === 'gone') return Promise.resolve();
		return new Promise((resolve) => this.enqueue({ kind: 'shutdown', done: resolve }));
	}

	private async load(): Promise<boolean> {
		try {
			const loaded = await this.log.load();
			this.core = new RoomCore<Connection>(this.mapId, loaded, {
				maxDocBytes: this.options.maxDocBytes,
				storageFull: this.options.storageFull,
				memoryTight: this.options.memoryTight,
				deferLoad: true,
				relayPresence: this.link !== null
			});
			this.link?.loaded(this.log.seq);
			if (this.state === 'loading') this.state = 'open';
			return true;
		} catch (error) {
			this.fail('load', error);
			return false;
		}
	}

	private enqueue(task: Task): void {
		if (this.state === 'gone') {
			if (task.kind === 'shutdown') task.done();
			if (task.kind === 'server-write') task.settle({ ok: false, error: new RoomGone() });
			return;
		}
		this.tasks.push(task);
		this.schedule();
	}

	private schedule(): void {
		if (this.running) return;
		this.running = true;
		// setImmediate (not a microtask): every frame already read from the network joins this
		// batch, so a burst costs one commit, and I/O runs between batches.
		setImmediate(() => void this.drainSafely());
	}

	/** A bug in here must cost one room, not the process (drain runs detached). */
	private async drainSafely(): Promise<void> {
		try {
			await this.drain();
		} catch (error) {
			this.fail('internal', error);
		}
	}

	/** Runs one batch, commits, sends; the next batch gets its own turn of the event loop. */
	private async drain(): Promise<void> {
		if (!(await this.ready) || this.state !== 'open') return;
		const core = this.core!;
		// With other instances, a key replaced elsewhere reaches this one by a message or the
		// 2 s poll, both of which wait for this event loop. After a stall (paused, starved, a long
		// GC) the writes that queued up meanwhile may come from a replaced key: the keys are read
		// again first, and the sockets on replaced keys are closed before their writes are judged.
		if (this.tasks.some((task) => task.kind === 'message')) {
			const keys = this.options.keysFresh?.(this.mapId);
			if (keys) {
				await keys;
				if (this.state !== 'open') return;
			}
		}
		const batch = this.tasks.splice(0, MAX_BATCH);
		// Out of the queue, a server write is dispose()'s to tell until it is settled or queued again.
		for (const task of batch) if (task.kind === 'server-write') this.unsettled.add(task);
		// With other instances appending: whatever they committed that this room is known to
		// lack comes first, and a joining client finds every update committed before it came
		// (its own copy of one would otherwise be judged as its write). A server write (an
		// anonymous answer) reads the document too: it is judged against every update
		// committed before it, so a round closed on another instance is closed here.
		const barrier = batch.some((task) => task.kind === 'join' || task.kind === 'server-write');
		if (this.link && (this.link.wanted || barrier)) {
			if (!(await this.catchUp(core, barrier))) {
				// The room failed or closed meanwhile (dispose() told this batch's server writes).
				for (const task of batch) if (task.kind === 'shutdown') task.done();
				return;
			}
		}
		const effects: Effects<Connection> = { send: [], close: [], write: null, log: [] };
		const writes: WriteBatch[] = [];
		/** Who made each write and how big it was, to charge them for the commit. */
		const writers: Array<{ conn: Connection; bytes: number }> = [];
		/** Server writes of this batch, told their outcome once it is committed and sent. */
		const settled: Array<() => void> = [];
		let writeBytes = 0;
		let final: Task | null = null;
		let index = 0;
		const batchStart = performance.now();
		while (index < batch.length) {
			if (index > 0 && (performance.now() - batchStart > MAX_BATCH_MS || writeBytes > MAX_BATCH_WRITE_BYTES)) break;
			const task = batch[index++];
			const done = this.options.onTiming && task.kind === 'message' ? timed(this.options.onTiming, 'message') : null;
			const started = performance.now();
			const step = task.kind === 'server-write' ? this.runServerWrite(core, task, settled) : this.runTask(core, task);
			if (task.kind === 'message') task.conn.charge?.(performance.now() - started);
			done?.();
			if (step) {
				effects.send.push(...step.send);
				effects.log.push(...step.log);
				if (step.write) {
					writes.push(step.write);
					const bytes = step.write.update?.byteLength ?? 0;
					writeBytes += bytes;
					if (task.kind === 'message') writers.push({ conn: task.conn, bytes });
				}
				// Closing at once (a refused write, a malformed frame) sends nothing the disk lacks.
				for (const { peer, code, reason } of step.close) peer.close(code, reason);
			}
			if (task.kind === 'shutdown' || task.kind === 'unload') {
				final = task;
				break;
			}
		}
		const rest = batch.slice(index);
		for (const task of rest) if (task.kind === 'server-write') this.unsettled.delete(task);
		this.tasks.unshift(...rest);
		for (const line of effects.log) this.logLine(line.level, line.message);

		const done = this.options.onTiming ? timed(this.options.onTiming, 'commit') : null;
		const committed = await this.commit(writes);
		done?.();
		// A commit holds the event loop too (a 20 MiB write took 136 ms). Each writer pays for
		// its own bytes at that rate: the commit's wall time would also count every other
		// map's rows in the same group commit, and whatever ran while it was awaited.
		for (const { conn, bytes } of writers) conn.charge?.(bytes * COMMIT_MS_PER_BYTE);
		// A failed commit disposed the room, which told this batch's server writes (RoomGone).
		if (committed === false) return;
		this.send(coalesceUpdates(effects.send, committed.update));
		for (const settle of settled) settle();
		// Other instances' updates that waited for this seq follow it.
		if (this.link && committed.seq !== null) this.applyReady(core, this.link.own(committed.seq));
		this.compactInBackground();
		// A room loaded for a server write alone (nobody connected) unloads after the grace period.
		if (settled.length > 0 && this.connections.size === 0) this.scheduleUnload();

		// The stored rows are applied a slice at a time, each its own turn of the event loop,
		// so loading a big map never holds everyone else (and whoever opens it meanwhile is
		// sent the rows as they are).
		if (core.loading) this.enqueue({ kind: 'finish-loading' });
		else if (final === null) this.migrateOnce(core);
		if (final?.kind === 'shutdown') return this.close(final.done);
		if (final?.kind === 'unload' && (await this.unloadIfIdle())) return;
		this.schedulePresence();
		this.running = false;
		if (this.tasks.length > 0 && this.state === 'open') this.schedule();
	}

	/**
	 * Runs a server write; its outcome is kept for after the commit (`settled`). If it fails
	 * before then, dispose() tells it (RoomGone): what it wrote was not stored.
	 */
	private runServerWrite(core: RoomCore<Connection>, task: Extract<Task, { kind: 'server-write' }>, settled: Array<() => void>): Effects<Connection> {
		const { effects, outcome } = core.serverWrite(task.write, this.now());
		settled.push(() => {
			this.unsettled.delete(task);
			task.settle(outcome);
		});
		return effects;
	}

	/**
	 * Once the stored document is fully applied: a document made by an earlier version
	 * (meta.schemaVersion below SCHEMA_VERSION) is migrated (src/lib/doc/migrations.ts), once
	 * per load, as a server write like any other, so it is stored with its journal entries
	 * before anyone is sent it. Clients who joined meanwhile got the old state first and get
	 * the migration as an update.
	 */
	private migrateOnce(core: RoomCore<Connection>): void {
		if (this.migrationChecked) return;
		this.migrationChecked = true;
		const version = schemaVersionOf(core.doc);
		if (version < 1 || version >= SCHEMA_VERSION) return;
		this.tasks.unshift({
			kind: 'server-write',
			write: { apply: (doc) => migrateDoc(doc, this.now()), role: 'server', capped: false },
			settle: (outcome) => {
				if (outcome.ok) this.options.logger.warn(`map ${this.mapId}: migrated from schema version ${version} to ${SCHEMA_VERSION}`);
				else this.options.logger.error(`map ${this.mapId}: migration from schema version ${version} failed: ${describe(outcome.error)}`);
			}
		});
	}

	private runTask(core: RoomCore<Connection>, task: Task): Effects<Connection> | null {
		switch (task.kind) {
			case 'join':
				if (!this.connections.has(task.conn)) return null; // left before it was handled
				return core.join(task.conn);
			case 'message':
				// Closed for what it sent (a refused write, over budget): the rest it sent is not looked at.
				if (task.conn.closing) return null;
				return core.receive(task.conn, task.data, this.now());
			case 'leave': {
				const effects = core.leave(task.conn);
				if (core.memberCount === 0 && this.connections.size === 0) this.scheduleUnload();
				return effects;
			}
			case 'presence': {
				this.resendMissedPresence(core);
				const here = this.link ? core.takePresenceHere() : null;
				if (here) this.cluster.publishPresence(this.mapId, here);
				return core.flushPresence();
			}
			case 'finish-loading':
				return core.finishLoading(MAX_BATCH_MS);
			case 'remote-update':
				return this.link ? this.readyEffects(core, this.link.remote(task.message)) : null;
			case 'remote-owners':
				core.adoptOwners(task.owners);
				return null;
			case 'remote-presence':
				core.receiveRemotePresence(task.frame, this.now());
				return null;
			case 'cluster-tick':
				core.expireRemotePresence(this.now() - REMOTE_PRESENCE_TIMEOUT_MS);
				if (task.head && this.link) {
					this.link.head(task.head.seq);
					// The map's size as stored, every instance's appends and compactions included.
					if (task.head.seq === this.link.applied) core.setStoredBytes(task.head.bytes);
				}
				return null;
			case 'catch-up':
			case 'unload':
			case 'shutdown':
			case 'server-write': // runServerWrite
				return null;
		}
	}

	/** Applies other instances' updates (in seq order) to the document; what they change goes to everyone. */
	private readyEffects(core: RoomCore<Connection>, ready: Ready[]): Effects<Connection> | null {
		if (ready.length === 0) return null;
		// Stored rows still being applied come first, whatever happens to what follows.
		const effects: Effects<Connection> = core.loading ? core.finishLoading() : { send: [], close: [], write: null, log: [] };
		// Many small updates (a catch-up) are applied in one transaction and sent as the one
		// update it made (Y.mergeUpdates of a thousand small ones costs far more). Big rows (a
		// compacted state's chunks) go one at a time: each is a slice that is quick to apply.
		let group: Ready[] = [];
		let bytes = 0;
		let dropped = false;
		const flush = () => {
			if (group.length === 0 || dropped) return;
			let step: Effects<Connection>;
			try {
				step = core.applyRemote(
					group.map(({ update }) => update),
					group.flatMap(({ owners }) => owners)
				);
			} catch (error) {
				// The store's own rows not applying: the room cannot go on (4503).
				if (group[0].stored) throw error;
				// A message from the bus: dropped, with what follows; the store has them all.
				dropped = true;
				this.link!.dropFrom(group[0].seq);
				effects.log.push({ level: 'warn', message: `map ${this.mapId}: an update from another instance (seq ${group[0].seq}) did not apply, reading the store instead: ${describe(error)}` });
				return;
			}
			effects.send.push(...step.send);
			effects.log.push(...step.log);
			group = [];
			bytes = 0;
		};
		for (const item of ready) {
			if (group.length > 0 && (item.stored !== group[0].stored || bytes + item.update.byteLength > MERGE_REMOTE_BYTES)) flush();
			group.push(item);
			bytes += item.update.byteLength;
		}
		flush();
		return effects;
	}

	/** Applies and sends at once: committed elsewhere, so nothing waits for a commit here. */
	private applyReady(core: RoomCore<Connection>, ready: Ready[]): void {
		const effects = this.readyEffects(core, ready);
		if (!effects) return;
		for (const line of effects.log) this.logLine(line.level, line.message);
		this.send(effects.send);
	}

	/** Reads what this room lacks from the store and applies it; false if the room failed. */
	private async catchUp(core: RoomCore<Connection>, barrier: boolean): Promise<boolean> {
		let ready: Ready[];
		let owners: ClientOwner[] = [];
		try {
			const read = await this.link!.catchUp(barrier);
			ready = read.ready;
			// Bindings stored with the rows it missed (a device's client ids) come with them.
			if (read.fromStore) owners = await this.options.store.loadOwners(this.mapId);
		} catch (error) {
			this.fail('load', error);
			return false;
		}
		if (this.state !== 'open') return false;
		core.adoptOwners(owners);
		this.applyReady(core, ready);
		return true;
	}

	/** The store's head as the registry's poll read it (null: unknown), and a turn for presence expiry. */
	clusterTick(head: LogHead | null): void {
		if (this.state !== 'open' || !this.link) return;
		this.enqueue({ kind: 'cluster-tick', head });
	}

	/** Redis came back: messages may have been lost, so catch up from the store. */
	resync(): void {
		if (this.state !== 'open' || !this.link) return;
		this.link.want();
	}

	private logLine(level: 'error' | 'warn' | 'debug', message: string): void {
		if (level === 'debug') this.options.logger.debug?.(message);
		else this.options.logger[level](message);
	}

	/**
	 * Makes the batch's writes durable as one row; returns its merged update and seq (null if
	 * none), or false if it failed. Other instances hear of it only once it is committed.
	 */
	private async commit(writes: WriteBatch[]): Promise<{ update: Uint8Array | null; seq: number | null } | false> {
		if (writes.length === 0) return { update: null, seq: null };
		const updates = writes.map((write) => write.update).filter((update): update is Uint8Array => update !== null);
		const batch: WriteBatch =
			writes.length === 1
				? writes[0]
				: {
						update: updates.length === 0 ? null : updates.length === 1 ? updates[0] : Y.mergeUpdates(updates),
						journal: writes.flatMap((write) => write.journal),
						owners: writes.flatMap((write) => write.owners)
					};
		try {
			const seq = await this.log.append(batch);
			if (this.link) {
				if (seq !== null && batch.update !== null) this.cluster.publishUpdate(this.mapId, { seq, update: batch.update, owners: batch.owners });
				else if (batch.owners.length > 0) this.cluster.publishOwners(this.mapId, batch.owners);
			}
			return { update: batch.update, seq };
		} catch (error) {
			this.fail('write', error);
			return false;
		}
	}

	private send(messages: Effects<Connection>['send']): void {
		const core = this.core!;
		for (const message of messages) {
			if (message.to) {
				if (core.has(message.to)) this.deliver(message.to, message.data, message.presence === true);
				continue;
			}
			for (const conn of this.connections) {
				if (conn !== message.except && core.has(conn)) this.deliver(conn, message.data, message.presence === true);
			}
		}
	}

	/** A peer that cannot keep up gets the latest presence later, not a queue of old ones. */
	private deliver(conn: Connection, data: Uint8Array, presence: boolean): void {
		if (presence && conn.bufferedBytes > PRESENCE_BACKLOG_BYTES) {
			this.missedPresence.add(conn);
			return;
		}
		conn.send(data);
	}

	private resendMissedPresence(core: RoomCore<Connection>): void {
		if (this.missedPresence.size === 0) return;
		const everyone = core.presenceSnapshot();
		for (const conn of this.missedPresence) {
			if (conn.bufferedBytes > PRESENCE_BACKLOG_BYTES) continue;
			this.missedPresence.delete(conn);
			if (everyone && core.has(conn)) conn.send(everyone);
		}
	}

	private schedulePresence(): void {
		if (this.presenceTimer || this.state !== 'open') return;
		if (!this.core?.presencePending && this.missedPresence.size === 0) return;
		this.presenceTimer = setTimeout(() => {
			this.presenceTimer = null;
			this.enqueue({ kind: 'presence' });
		}, this.options.presenceTickMs);
	}

	/** Memory is tight: an empty room unloads now instead of after its grace period. */
	unloadNowIfIdle(): void {
		if (this.connections.size > 0 || this.state !== 'open' || !this.unloadTimer) return;
		clearTimeout(this.unloadTimer);
		this.unloadTimer = null;
		this.enqueue({ kind: 'unload' });
	}

	private scheduleUnload(): void {
		if (this.unloadTimer || this.state !== 'open') return;
		if (this.options.unloadGraceMs <= 0) {
			this.tasks.push({ kind: 'unload' });
			return;
		}
		this.unloadTimer = setTimeout(() => {
			this.unloadTimer = null;
			this.enqueue({ kind: 'unload' });
		}, this.options.unloadGraceMs);
		this.unloadTimer.unref?.();
	}

	/**
	 * The store merges rows off the event loop, and this room goes on taking edits meanwhile
	 * (they land after the merged row). When it is done, it looks again: edits that came in
	 * meanwhile may be past the threshold already.
	 */
	private compactInBackground(): void {
		if (this.compacting !== null || this.state !== 'open' || !this.shouldCompact()) return;
		// A failing compaction re-reads every row each try: without a pause it would spin.
		if (performance.now() < this.compactNotBefore) return;
		this.compacting = this.compact().finally(() => {
			this.compacting = null;
			this.compactInBackground();
		});
	}

	/**
	 * Past the row threshold, or when the stored log has grown well past the document it
	 * holds (overwritten values count until compaction folds them away): otherwise a few big
	 * overwrites would run a small map into its size cap and lock everyone out.
	 */
	private shouldCompact(): boolean {
		if (this.log.rows <= this.log.rowsAfterCompaction) return false;
		if (this.log.rows > this.options.compactThreshold + this.log.rowsAfterCompaction) return true;
		const bytes = this.log.storedBytes;
		return bytes > this.options.maxDocBytes / 4 && bytes > 2 * this.lastCompactedBytes;
	}

	private async compact(): Promise<void> {
		try {
			const { mergedBytes, savedBytes } = await this.log.compact();
			this.core?.compacted(savedBytes);
			this.lastCompactedBytes = mergedBytes;
			this.compactFailures = 0;
		} catch (error) {
			// The log is still complete, so this costs disk space, not data.
			this.compactFailures++;
			const pause = Math.min(60_000, 1000 * 2 ** (this.compactFailures - 1));
			this.compactNotBefore = performance.now() + pause;
			// Another instance compacting the same map at once (both unloading it) is expected.
			if (error instanceof CompactionConflict) this.options.logger.warn(`map ${this.mapId}: compaction gave way to another's (trying again after ${pause} ms at the earliest): ${describe(error)}`);
			else this.options.logger.error(`map ${this.mapId}: compaction failed (trying again after ${pause} ms at the earliest): ${describe(error)}`);
		}
	}

	/** True if the room was unloaded. */
	private async unloadIfIdle(): Promise<boolean> {
		const busy = () => this.connections.size > 0 || this.tasks.some((task) => task.kind === 'server-write');
		if (busy()) return false;
		await this.compacting;
		await this.compact();
		// Someone may have joined (or a server write come) while we compacted; then the room
		// stays. Other tasks still queued belong to sockets that already left, so dropping them
		// loses nothing.
		if (busy()) return false;
		this.dispose();
		return true;
	}

	private async close(done: () => void): Promise<void> {
		await this.compacting;
		await this.compact();
		// The other instances' people stop seeing this instance's at once.
		const removals = this.link ? this.core?.presenceRemovalsHere() : null;
		if (removals) this.cluster.publishPresence(this.mapId, removals);
		for (const conn of this.connections) conn.close(CLOSE.serverRestart, 'server restarting');
		this.connections.clear();
		this.dispose();
		done();
	}

	private fail(stage: 'load' | 'write' | 'internal', error: unknown): void {
		if (this.state === 'gone') return;
		this.options.logger.error(`map ${this.mapId}: ${stage} failed, closing the room: ${describe(error)}`);
		for (const conn of this.connections) conn.close(CLOSE.storageFailed, 'storage unavailable');
		this.connections.clear();
		this.dispose();
	}

	private dispose(): void {
		if (this.state === 'gone') return;
		this.state = 'gone';
		this.running = false;
		if (this.presenceTimer) clearTimeout(this.presenceTimer);
		if (this.unloadTimer) clearTimeout(this.unloadTimer);
		for (const task of this.tasks) {
			if (task.kind === 'shutdown') task.done();
			if (task.kind === 'server-write') task.settle({ ok: false, error: new RoomGone() });
		}
		this.tasks = [];
		// Server writes of a batch that failed (its commit, or catching up first): nothing of them was stored or sent.
		for (const task of this.unsettled) task.settle({ ok: false, error: new RoomGone(true) });
		this.unsettled.clear();
		this.link?.dispose();
		if (this.listener) this.cluster.unsubscribe(this.mapId, this.listener);
		this.core?.doc.destroy();
		this.onGone(this);
	}
}
