/**
 * One Room per open map: a Y.Doc, its awareness, and the sockets looking at it.
 *
 * Every event of a room (join, message, leave, shutdown) goes through one queue, in
 * arrival order. Messages are applied in batches; whatever changed the doc is merged,
 * appended to the store and awaited, and only then is anything from that batch sent to
 * anyone — broadcasts and replies to sync step 1 alike. So no client ever sees state that
 * is not on disk, and a batch costs one fsync however many messages it held.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import type { Affiliation, Role } from '../src/lib/doc/model.ts';
import { checkUpdate } from './rules.ts';
import type { DocStore } from './persistence/doc-store.ts';
import {
	ProtocolError,
	encodeAwareness,
	encodeSyncStep1,
	encodeSyncStep2,
	encodeSyncUpdate,
	parseMessage
} from './room/protocol.ts';

/** Who a connection says it is (query params), stamped onto its presence by the server. */
export interface Identity {
	name: string;
	affiliation: Affiliation;
	/** Random per browser tab (query `session`): lets a reconnecting tab keep its presence id. */
	session: string | null;
}

export interface Connection {
	readonly role: Role;
	readonly identity: Identity;
	/** Must be a no-op once the socket is closing. */
	send(message: Uint8Array): void;
	close(code: number, reason: string): void;
}

export interface Logger {
	error(message: string): void;
	warn(message: string): void;
	/** Expected, client-caused events (dropped writes); optional so console works as is. */
	debug?(message: string): void;
}

/**
 * Close codes (server/RULES.md has the full table). 4400-4499 tell a stock y-websocket
 * client not to reconnect (it emits 'closed'); 4503, 1012 and 1013 invite a reconnect.
 *
 *   4400  malformed or pathological message, text frame, bad map id
 *   4401  bad, missing or replaced key (also when the key is rotated while connected)
 *   4403  Origin not allowed
 *   4409  write refused: the update would change the doc in a way this role may not
 *         (viewer, editor on a locked map, facilitator-only field, missing dependencies).
 *         The client's copy has diverged from the server's: it must discard it and
 *         load the map again, or every later update would be refused too.
 *   4413  the document would grow past its size cap, or one update holds more structs,
 *         delete ranges or values than UPDATE_LIMITS (update-shape.ts)
 *   4429  over the message budget for too long
 *   4503  the server could not save (storage failure); nothing from that batch was sent
 *   1009  frame larger than MAX_PAYLOAD_BYTES (sent by ws itself)
 *   1012  server restarting
 *   1013  client too slow to read what we send
 */
export const CLOSE_MALFORMED = 4400;
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_FORBIDDEN_ORIGIN = 4403;
export const CLOSE_WRITE_REFUSED = 4409;
export const CLOSE_TOO_LARGE = 4413;
export const CLOSE_RATE_LIMITED = 4429;
export const CLOSE_STORAGE_FAILED = 4503;
export const CLOSE_SERVER_RESTART = 1012;

export const DEFAULT_COMPACT_THRESHOLD = 500;
/**
 * A 10,000-asset map encodes to ~6 MB (bench/fixtures.ts); 64 MiB of stored updates is
 * ten times that plus history. Counted as bytes stored since the last compaction, a cheap
 * upper bound on the encoded doc.
 */
export const DEFAULT_MAX_DOC_BYTES = 64 * 1024 * 1024;
/** A presence state is a name, a color, a cursor: a few hundred bytes. */
export const MAX_AWARENESS_STATE_BYTES = 4 * 1024;
/** Oversized presence updates tolerated per connection before it is closed. */
const MAX_AWARENESS_STRIKES = 3;
/** Bounds the work (and the merged row) of one commit when a client floods us. */
const MAX_BATCH = 256;
const LOAD_ORIGIN = Symbol('load');

interface Member {
	/** Awareness client ids this connection set, removed for everyone when it leaves. */
	awarenessIds: Set<number>;
	/** The first awareness client id it announced; the only one it may set. */
	ownClientId: number | null;
	awarenessStrikes: number;
	/** Whether a sync step 2 from this connection has been handled (see handleUpdate). */
	sentStep2: boolean;
	/**
	 * Added to the awareness clocks this connection sends. When a socket closes, its state is
	 * removed with clock + 1; the same tab reconnecting re-sends its state with the old clock,
	 * which every peer would ignore as stale. The owner's newest message is by definition
	 * its newest state, so we shift its clocks past what the room has seen.
	 */
	awarenessClockOffset: number;
	/** Set once the socket is being closed (protocol error, refused write): its queued messages are skipped. */
	dead: boolean;
}

type Task =
	| { kind: 'join'; conn: Connection }
	| { kind: 'message'; conn: Connection; data: Uint8Array }
	| { kind: 'leave'; conn: Connection }
	| { kind: 'shutdown'; done: () => void };

interface Outgoing {
	data: Uint8Array;
	/** Only this connection, or everyone but `except`. */
	to?: Connection;
	except?: Connection;
}

export interface RoomOptions {
	store: DocStore;
	logger: Logger;
	compactThreshold: number;
	maxDocBytes: number;
	/** Told how long each message's handling and each commit held the event loop (diagnostics, tests). */
	onTiming?: Timing;
}

/**
 * `ms` is wall-clock time; `cpuMs` is the process's CPU time over the same span, which
 * leaves out time the OS gave to other processes (on a busy machine the wall clock also
 * counts those) but includes work of V8's helper threads (GC) meanwhile.
 */
export type Timing = (what: 'message' | 'commit', ms: number, cpuMs: number) => void;

function timed(onTiming: Timing, what: 'message' | 'commit'): () => void {
	const start = performance.now();
	const cpu = process.cpuUsage();
	return () => {
		const used = process.cpuUsage(cpu);
		onTiming(what, performance.now() - start, (used.user + used.system) / 1000);
	};
}

export class Room {
	readonly doc = new Y.Doc();
	readonly awareness = new Awareness(this.doc);
	private readonly members = new Map<Connection, Member>();
	private tasks: Task[] = [];
	private running = false;
	private state: 'loading' | 'open' | 'gone' = 'loading';
	private readonly ready: Promise<boolean>;
	private deltas: Uint8Array[] = [];
	private outbox: Outgoing[] = [];
	private rows = 0;
	private lastSeq = 0;
	/** Bytes of stored rows since the last compaction (see DEFAULT_MAX_DOC_BYTES). */
	private storedBytes = 0;
	/** Awareness client id -> the connection that owns it, so nobody can take over another's id. */
	private readonly awarenessOwners = new Map<number, Connection>();

	constructor(
		readonly mapId: string,
		private readonly options: RoomOptions,
		private readonly onGone: (room: Room) => void
	) {
		// The server is not a participant; it only relays.
		this.awareness.setLocalState(null);
		this.doc.on('update', (update: Uint8Array, origin: unknown) => {
			if (origin === LOAD_ORIGIN) return;
			this.deltas.push(update);
			this.outbox.push({ data: encodeSyncUpdate(update), except: this.memberOrigin(origin) });
		});
		this.awareness.on('update', this.onAwareness);
		this.ready = this.load();
	}

	get connectionCount(): number {
		return this.members.size;
	}

	/** False once the room has been unloaded or failed; the registry then makes a new one. */
	get isUsable(): boolean {
		return this.state !== 'gone';
	}

	join(conn: Connection): void {
		this.members.set(conn, { awarenessIds: new Set(), ownClientId: null, awarenessStrikes: 0, awarenessClockOffset: 0, sentStep2: false, dead: false });
		this.enqueue({ kind: 'join', conn });
	}

	receive(conn: Connection, data: Uint8Array): void {
		this.enqueue({ kind: 'message', conn, data });
	}

	leave(conn: Connection): void {
		this.enqueue({ kind: 'leave', conn });
	}

	/** Finishes queued work, compacts and closes every socket with a "server restart" code. */
	shutdown(): Promise<void> {
		if (this.state === 'gone') return Promise.resolve();
		return new Promise((resolve) => this.enqueue({ kind: 'shutdown', done: resolve }));
	}

	private memberOrigin(origin: unknown): Connection | undefined {
		const conn = origin as Connection;
		return this.members.has(conn) ? conn : undefined;
	}

	private onAwareness = (
		{ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
		origin: unknown
	) => {
		const conn = this.memberOrigin(origin);
		const member = conn && this.members.get(conn);
		if (member) {
			for (const id of [...added, ...updated]) member.awarenessIds.add(id);
			for (const id of removed) member.awarenessIds.delete(id);
		}
		const changed = [...added, ...updated, ...removed];
		this.outbox.push({ data: encodeAwareness(encodeAwarenessUpdate(this.awareness, changed)) });
	};

	private async load(): Promise<boolean> {
		try {
			const rows = await this.options.store.loadUpdates(this.mapId);
			this.doc.transact(() => {
				for (const row of rows) Y.applyUpdate(this.doc, row.data);
			}, LOAD_ORIGIN);
			this.rows = rows.length;
			this.storedBytes = rows.reduce((sum, row) => sum + row.data.byteLength, 0);
			this.lastSeq = rows.at(-1)?.seq ?? 0;
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
			return;
		}
		this.tasks.push(task);
		if (!this.running) {
			this.running = true;
			// setImmediate (not a microtask) lets every frame already read from the network
			// join this batch, so a burst costs one commit.
			setImmediate(() => void this.drainSafely());
		}
	}

	/** A bug in here must cost one room, not the process (drain runs detached). */
	private async drainSafely(): Promise<void> {
		try {
			await this.drain();
		} catch (error) {
			this.fail('internal', error);
		}
	}

	private async drain(): Promise<void> {
		if (!(await this.ready)) return;
		while (this.tasks.length > 0 && this.state === 'open') {
			const batch = this.tasks.splice(0, MAX_BATCH);
			let asyncTask: Task | null = null;
			let index = 0;
			while (index < batch.length) {
				const task = batch[index++];
				const done = this.options.onTiming && task.kind === 'message' ? timed(this.options.onTiming, 'message') : null;
				this.runSync(task);
				done?.();
				if (task.kind === 'shutdown' || (task.kind === 'leave' && this.members.size === 0)) {
					asyncTask = task;
					break;
				}
			}
			this.tasks.unshift(...batch.slice(index));
			// The SQLite store's append is synchronous, so this is (an upper bound of) loop time.
			const done = this.options.onTiming ? timed(this.options.onTiming, 'commit') : null;
			const committed = await this.commit();
			done?.();
			if (!committed) return;
			if (asyncTask?.kind === 'shutdown') await this.close(asyncTask.done);
			else if (asyncTask) await this.unloadIfIdle();
		}
		this.running = false;
		if (this.tasks.length > 0 && this.state === 'open') {
			this.running = true;
			setImmediate(() => void this.drainSafely());
		}
	}

	private runSync(task: Task): void {
		switch (task.kind) {
			case 'join': {
				if (!this.members.has(task.conn)) return;
				this.outbox.push({ to: task.conn, data: encodeSyncStep1(Y.encodeStateVector(this.doc)) });
				const states = [...this.awareness.getStates().keys()];
				if (states.length > 0) {
					this.outbox.push({ to: task.conn, data: encodeAwareness(encodeAwarenessUpdate(this.awareness, states)) });
				}
				return;
			}
			case 'message': {
				const member = this.members.get(task.conn);
				if (!member || member.dead) return;
				try {
					this.handleMessage(task.conn, task.data);
				} catch (error) {
					member.dead = true;
					const reason = error instanceof ProtocolError ? error.message : 'malformed message';
					this.options.logger.warn(`map ${this.mapId}: closing a socket: ${reason}`);
					task.conn.close(CLOSE_MALFORMED, 'malformed message');
				}
				return;
			}
			case 'leave': {
				const member = this.members.get(task.conn);
				if (!member) return;
				this.members.delete(task.conn);
				if (member.ownClientId !== null && this.awarenessOwners.get(member.ownClientId) === task.conn) {
					this.awarenessOwners.delete(member.ownClientId);
				}
				if (member.awarenessIds.size > 0) {
					removeAwarenessStates(this.awareness, [...member.awarenessIds], 'left');
				}
				return;
			}
			case 'shutdown':
				return;
		}
	}

	/**
	 * Decides first (server/rules.ts), applies only what is allowed. A forbidden update is
	 * dropped whole (not applied, stored or broadcast) and its socket is closed with 4409:
	 * the sender has applied it locally, so its state is now ahead of ours and every later
	 * update from it would depend on the dropped one. An update with nothing new in it is a
	 * no-op for every role (a viewer's sync step 2 is usually exactly that).
	 */
	private handleUpdate(conn: Connection, member: Member, update: Uint8Array, step2: boolean): void {
		const locked = this.doc.getMap<unknown>('meta').get('locked') === true;
		const verdict = checkUpdate(this.doc, update, { role: conn.role, locked });
		if (step2) member.sentStep2 = true;
		if (verdict.kind === 'missing' && !step2 && !member.sentStep2) {
			// A stock client that edits while it reconnects sends that edit as an update before
			// its answer to our sync step 1, and the edit builds on offline edits that answer
			// will carry (it holds everything the client has that we lacked). Dropping it loses
			// nothing; closing would make the client throw away its offline work.
			this.options.logger.debug?.(`map ${this.mapId}: dropped an update that came before its sync step 2: ${verdict.reason}`);
			return;
		}
		if (verdict.kind === 'malformed') throw new ProtocolError(verdict.reason);
		if (verdict.kind === 'too-large') {
			member.dead = true;
			this.options.logger.warn(`map ${this.mapId}: closing a socket: ${verdict.reason}`);
			conn.close(CLOSE_TOO_LARGE, closeReason(verdict.reason));
			return;
		}
		if (verdict.kind === 'forbidden' || verdict.kind === 'missing') {
			member.dead = true;
			// Client-caused and expected (a stale tab on a locked map): debug, one line per socket.
			this.options.logger.debug?.(`map ${this.mapId}: refused a write from a ${conn.role}: ${verdict.reason}`);
			conn.close(CLOSE_WRITE_REFUSED, closeReason(`write refused: ${verdict.reason}`));
			return;
		}
		if (!verdict.changes) return;
		if (this.storedBytes + update.byteLength > this.options.maxDocBytes) {
			member.dead = true;
			this.options.logger.warn(`map ${this.mapId}: refused an update that would exceed ${this.options.maxDocBytes} bytes`);
			conn.close(CLOSE_TOO_LARGE, 'document too large');
			return;
		}
		try {
			Y.applyUpdate(this.doc, update, conn);
		} catch (error) {
			throw new ProtocolError(`bad update: ${String(error)}`);
		}
	}

	/**
	 * Presence is rewritten before it is applied: a connection may set only its own client
	 * id, and its role, name and affiliation come from its key and connect parameters, so
	 * nobody can pose as the facilitator or as someone else.
	 */
	private handleAwareness(conn: Connection, member: Member, update: Uint8Array): void {
		const decoder = decoding.createDecoder(update);
		const encoder = encoding.createEncoder();
		let kept = 0;
		let tooLarge = false;
		try {
			const count = decoding.readVarUint(decoder);
			for (let i = 0; i < count; i++) {
				const clientId = decoding.readVarUint(decoder);
				const clock = decoding.readVarUint(decoder);
				const json = decoding.readVarString(decoder);
				if (member.ownClientId === null) this.claimAwarenessId(conn, member, clientId);
				if (clientId !== member.ownClientId) continue;
				if (json.length > MAX_AWARENESS_STATE_BYTES || Buffer.byteLength(json) > MAX_AWARENESS_STATE_BYTES) {
					tooLarge = true;
					break;
				}
				const state: unknown = JSON.parse(json);
				const stamped = state === null ? null : stampPresence(state, conn);
				if (stamped === undefined) continue;
				encoding.writeVarUint(encoder, clientId);
				const seen = this.awareness.meta.get(clientId)?.clock ?? -1;
				if (clock + member.awarenessClockOffset <= seen) member.awarenessClockOffset = seen + 1 - clock;
				encoding.writeVarUint(encoder, clock + member.awarenessClockOffset);
				encoding.writeVarString(encoder, JSON.stringify(stamped));
				kept++;
			}
		} catch (error) {
			throw new ProtocolError(`bad awareness update: ${String(error)}`);
		}
		if (tooLarge) {
			if (++member.awarenessStrikes >= MAX_AWARENESS_STRIKES) throw new ProtocolError('presence state repeatedly too large');
			return;
		}
		if (kept === 0) return;
		const sanitized = encoding.createEncoder();
		encoding.writeVarUint(sanitized, kept);
		encoding.writeUint8Array(sanitized, encoding.toUint8Array(encoder));
		applyAwarenessUpdate(this.awareness, encoding.toUint8Array(sanitized), conn);
	}

	/**
	 * A connection's first announced client id becomes its own, unless another connection
	 * holds it. The holder can be this same tab's previous socket (a reconnect, or a name
	 * change, races the old socket's close), so a holder with the same session token hands
	 * the id over; nobody else can take it.
	 */
	private claimAwarenessId(conn: Connection, member: Member, clientId: number): void {
		const holder = this.awarenessOwners.get(clientId);
		if (holder !== undefined && holder !== conn) {
			const session = conn.identity.session;
			if (session === null || holder.identity.session !== session) return;
			const previous = this.members.get(holder);
			if (previous) {
				previous.ownClientId = null;
				// Its close must not remove the state the new socket now owns.
				previous.awarenessIds.delete(clientId);
			}
		}
		member.ownClientId = clientId;
		this.awarenessOwners.set(clientId, conn);
	}

	/** Throws on anything undecodable; the caller closes that socket only. */
	private handleMessage(conn: Connection, data: Uint8Array): void {
		const member = this.members.get(conn);
		if (!member) return;
		const message = parseMessage(data);
		switch (message.kind) {
			case 'sync-step1': {
				let reply: Uint8Array;
				try {
					reply = Y.encodeStateAsUpdate(this.doc, message.stateVector);
				} catch (error) {
					throw new ProtocolError(`bad state vector: ${String(error)}`);
				}
				this.outbox.push({ to: conn, data: encodeSyncStep2(reply) });
				return;
			}
			case 'sync-step2':
			case 'sync-update':
				this.handleUpdate(conn, member, message.update, message.kind === 'sync-step2');
				return;
			case 'awareness':
				this.handleAwareness(conn, member, message.update);
				return;
			case 'query-awareness': {
				const states = [...this.awareness.getStates().keys()];
				this.outbox.push({ to: conn, data: encodeAwareness(encodeAwarenessUpdate(this.awareness, states)) });
				return;
			}
		}
	}

	/** Makes the batch's changes durable, then sends what the batch produced. */
	private async commit(): Promise<boolean> {
		if (this.deltas.length > 0) {
			const update = this.deltas.length === 1 ? this.deltas[0] : Y.mergeUpdates(this.deltas);
			this.deltas = [];
			try {
				this.lastSeq = await this.options.store.appendUpdate(this.mapId, update);
				this.rows++;
				this.storedBytes += update.byteLength;
			} catch (error) {
				this.fail('write', error);
				return false;
			}
		}
		const outbox = this.outbox;
		this.outbox = [];
		for (const message of outbox) {
			if (message.to) {
				if (this.members.has(message.to)) message.to.send(message.data);
				continue;
			}
			for (const conn of this.members.keys()) {
				if (conn !== message.except) conn.send(message.data);
			}
		}
		if (this.rows > this.options.compactThreshold) await this.compact();
		return true;
	}

	private async compact(): Promise<void> {
		if (this.rows <= 1) return;
		try {
			const state = Y.encodeStateAsUpdate(this.doc);
			await this.options.store.compact(this.mapId, this.lastSeq, state);
			this.rows = 1;
			this.storedBytes = state.byteLength;
		} catch (error) {
			// The log is still complete, so this costs disk space, not data.
			this.options.logger.error(`map ${this.mapId}: compaction failed: ${describe(error)}`);
		}
	}

	private async unloadIfIdle(): Promise<void> {
		if (this.members.size > 0) return;
		await this.compact();
		// Someone may have joined while we compacted; then the room stays. Any tasks still
		// queued belong to sockets that already left, so dropping them loses nothing.
		if (this.members.size > 0) return;
		this.dispose();
	}

	private async close(done: () => void): Promise<void> {
		await this.compact();
		for (const conn of this.members.keys()) conn.close(CLOSE_SERVER_RESTART, 'server restarting');
		this.members.clear();
		this.dispose();
		done();
	}

	private fail(stage: 'load' | 'write' | 'internal', error: unknown): void {
		if (this.state === 'gone') return;
		this.options.logger.error(`map ${this.mapId}: ${stage} failed, closing the room: ${describe(error)}`);
		for (const conn of this.members.keys()) conn.close(CLOSE_STORAGE_FAILED, 'storage unavailable');
		this.members.clear();
		this.dispose();
	}

	private dispose(): void {
		if (this.state === 'gone') return;
		this.state = 'gone';
		for (const task of this.tasks) if (task.kind === 'shutdown') task.done();
		this.tasks = [];
		this.awareness.destroy();
		this.doc.destroy();
		this.onGone(this);
	}
}

/** Presence with role, name and affiliation replaced; undefined for a state that is not an object. */
function stampPresence(state: unknown, conn: Connection): Record<string, unknown> | undefined {
	if (typeof state !== 'object' || state === null || Array.isArray(state)) return undefined;
	const record = state as Record<string, unknown>;
	const user = record.user;
	const base = typeof user === 'object' && user !== null && !Array.isArray(user) ? (user as Record<string, unknown>) : {};
	return {
		...record,
		user: { ...base, role: conn.role, name: conn.identity.name, affiliation: conn.identity.affiliation }
	};
}

/** WebSocket close reasons are at most 123 bytes of UTF-8 (ws throws on longer ones). */
const MAX_CLOSE_REASON_BYTES = 123;

export function closeReason(text: string): string {
	let reason = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
	while (Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) reason = `${[...reason].slice(0, -2).join('')}…`;
	return reason;
}

function describe(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/** The open rooms, created on first join and dropped when they unload or fail. */
export class Rooms {
	private readonly rooms = new Map<string, Room>();
	private readonly options: RoomOptions;

	constructor(options: { store: DocStore; logger?: Logger; compactThreshold?: number; maxDocBytes?: number; onTiming?: Timing }) {
		this.options = {
			store: options.store,
			logger: options.logger ?? console,
			compactThreshold: options.compactThreshold ?? DEFAULT_COMPACT_THRESHOLD,
			maxDocBytes: options.maxDocBytes ?? DEFAULT_MAX_DOC_BYTES,
			onTiming: options.onTiming
		};
	}

	get size(): number {
		return this.rooms.size;
	}

	has(mapId: string): boolean {
		return this.rooms.has(mapId);
	}

	join(mapId: string, conn: Connection): Room {
		let room = this.rooms.get(mapId);
		if (!room || !room.isUsable) {
			room = new Room(mapId, this.options, (gone) => {
				if (this.rooms.get(mapId) === gone) this.rooms.delete(mapId);
			});
			this.rooms.set(mapId, room);
		}
		room.join(conn);
		return room;
	}

	async closeAll(): Promise<void> {
		await Promise.all([...this.rooms.values()].map((room) => room.shutdown()));
	}
}
