/**
 * The room core: one map's document, presence and rules, with no sockets, timers or
 * storage inside. It takes (connection, message) and returns what to send to whom, which
 * connections to close and what to store; the runner (runner.ts) owns the rest. So the
 * rules are tested at unit speed (tests/unit/room-core.test.ts) and only a few tests
 * need a real server.
 *
 * Nothing returned here may be sent before the write it came with is durable: the runner
 * commits a batch's writes, then sends its messages.
 */
import { uint32 } from 'lib0/random';
import * as Y from 'yjs';
import type { Affiliation, Role } from '../../src/lib/doc/model.ts';
import { CLOSE } from '../../src/lib/sync/close-codes.ts';
import { ClientOwners, SERVER_DEVICE, type ClientOwner } from './client-ids.ts';
import { journalFor, type JournalRecord, type ServerRole } from './journal.ts';
import { PresenceGate } from './presence-gate.ts';
import { FrameTooLarge, KEEPALIVE_FRAME, ProtocolError, encodeSyncStep1, encodeSyncStep2, encodeSyncUpdate, parseMessage, type Incoming } from './protocol.ts';
import { transactionChanges } from './server-changes.ts';
import { checkUpdate } from './write-gate.ts';
import { documentFacts } from './write-rules.ts';

/** Who a connection is, as the server established it (key → role; connect parameters). */
export interface Identity {
	name: string;
	affiliation: Affiliation;
	/** Random per browser tab (query `session`): lets a reconnecting tab keep its presence id. */
	session: string | null;
	/** Hash of the device token (query `device`), which owns the Yjs client ids it wrote under. */
	device: string | null;
}

export interface Peer {
	readonly role: Role;
	readonly identity: Identity;
}

export interface Outgoing<P extends Peer = Peer> {
	data: Uint8Array;
	/** Only this peer; otherwise everyone but `except`. */
	to?: P;
	except?: P;
	/** Presence: a peer too slow to read gets the latest presence later instead. */
	presence?: boolean;
	/** A document update (the bytes inside `data`): the runner may send a batch's updates merged. */
	update?: Uint8Array;
}

export interface Closing<P extends Peer = Peer> {
	peer: P;
	code: number;
	reason: string;
}

/**
 * What one step durably adds: an update, the journal entries it makes, client ids it binds
 * (an update is absent when a connection only claimed its presence id).
 */
export interface WriteBatch {
	update: Uint8Array | null;
	journal: JournalRecord[];
	owners: ClientOwner[];
}

export interface LogLine {
	level: 'error' | 'warn' | 'debug';
	message: string;
}

export interface Effects<P extends Peer = Peer> {
	send: Outgoing<P>[];
	close: Closing<P>[];
	write: WriteBatch | null;
	log: LogLine[];
}

export interface CoreOptions {
	/** Bytes the stored log may reach before writes are refused (4413). */
	maxDocBytes: number;
	/**
	 * Put off applying a single stored row until finishLoading: a fresh client can be sent
	 * the stored bytes while the server applies them.
	 */
	deferLoad?: boolean;
	/** Whether all maps together have reached the server's storage cap (then writes get 4413). */
	storageFull?: () => boolean;
	/** Whether the process is near its heap limit (server/memory.ts; then writes get 4429). */
	memoryTight?: () => boolean;
	/**
	 * Other instances serve this map too (server/cluster/): keep this instance's presence
	 * changes for them (takePresenceHere).
	 */
	relayPresence?: boolean;
}

/**
 * A full map must still be tended: the facilitator hides or deletes what filled it (a few
 * hundred bytes each). Facilitator updates up to FACILITATOR_SMALL_BYTES pass the map's cap
 * by at most FACILITATOR_RESERVE_BYTES (a hard bound: it is counted in stored bytes), and
 * pass a full server or a tight heap up to that many bytes per room load.
 */
export const FACILITATOR_SMALL_BYTES = 16 * 1024;
export const FACILITATOR_RESERVE_BYTES = 1024 * 1024;

export interface LoadedRoom {
	/** The stored log, oldest first. */
	updates: Uint8Array[];
	owners: ClientOwner[];
}

/**
 * Extra state-vector entries a client may name beyond the clients of the server's
 * document: its own id and offline ones. More is not a client of this map.
 */
const EXTRA_STATE_VECTOR_ENTRIES = 1024;

/**
 * Bytes of updates with missing dependencies dropped quietly before a connection's first
 * sync step 2 (the reconnect race, see handleUpdate). A stock client races with its few
 * latest edits, a few kilobytes; more is a client making the server decode frames that it
 * then throws away.
 */
const MAX_QUIET_DROP_BYTES = 1024 * 1024;

/** WebSocket close reasons are at most 123 bytes of UTF-8 (ws throws on longer ones). */
const MAX_CLOSE_REASON_BYTES = 123;

export function closeReason(text: string): string {
	let reason = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
	while (Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) reason = `${[...reason].slice(0, -2).join('')}…`;
	return reason;
}

interface Member {
	/** Whether a sync step 2 from this connection has been handled (see handleUpdate). */
	sentStep2: boolean;
	/** Set once it is being closed: its queued messages are skipped. */
	dead: boolean;
	/** Who owns the client ids it writes under: its device, or itself for as long as it is connected. */
	device: string;
	persistentDevice: boolean;
	quietDroppedBytes: number;
	/** Whether it was sent the server's sync step 1 (put off while the state is unapplied). */
	askedForState: boolean;
}

const LOAD_ORIGIN = Symbol('load');
/** The server's own changes (serverWrite): not judged by the gate, but stored and sent like any update. */
export const SERVER_WRITE_ORIGIN = Symbol('server-write');

/**
 * A change the server makes itself: what it did to the room's document, in one
 * transaction under the room document's own client id.
 */
export interface ServerWrite<T> {
	/** Mutates the document (inside one transaction); throws to refuse, ideally before changing anything. */
	apply(doc: Y.Doc): T;
	/** Who the journal says made it (never a name: journal.ts). */
	role: ServerRole;
	/**
	 * Whether the map's size cap, a full server and a tight heap refuse it (an answer sent by a
	 * participant); a migration is not refused: it is small and the map needs it.
	 */
	capped: boolean;
}

export type ServerWriteOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A server write refused before it ran: the map is full, the server's storage is full, or memory is tight. */
export class ServerWriteRefused extends Error {
	constructor(
		readonly reason: 'map-full' | 'storage-full' | 'memory-tight',
		message: string
	) {
		super(message);
		this.name = 'ServerWriteRefused';
	}
}

/** Room left for one capped server write when checking the map's cap before it runs (an answer is at most ~8 KiB). */
const SERVER_WRITE_HEADROOM_BYTES = 16 * 1024;

/** Updates another instance accepted and committed (server/cluster/): judged there. */
const REMOTE_ORIGIN = Symbol('remote');

export class RoomCore<P extends Peer = Peer> {
	readonly doc = new Y.Doc();
	private readonly members = new Map<P, Member>();
	private readonly owners: ClientOwners;
	private readonly presence: PresenceGate<P>;
	/** Bytes of stored rows since the last compaction (the size cap counts these). */
	private storedBytes: number;
	/** The whole document encoded, until the next change (wholeState). */
	private fullState: Uint8Array | null = null;
	private fullStateFrame: Uint8Array | null = null;
	/** Facilitator bytes accepted past a full server or tight heap since this room loaded. */
	private reserveUsed = 0;
	/** The doc's own account of what the last apply changed (the 'update' event). */
	private delta: Uint8Array | null = null;
	/** The stored rows, while some are not applied yet (see finishLoading). */
	private stored: Uint8Array[] | null = null;
	private unapplied: Uint8Array[] = [];
	private ephemeralDevices = 0;
	/** Connections per device that has no token: its client ids are held while any is open. */
	private readonly ephemeralMembers = new Map<string, number>();
	/** The client id this room's own writes go under, once it has written (see serverClient). */
	private serverClient: number | null = null;

	constructor(
		readonly mapId: string,
		loaded: LoadedRoom,
		private readonly options: CoreOptions
	) {
		this.presence = new PresenceGate<P>(options.relayPresence === true);
		// With deferLoad the stored rows are applied a slice at a time (finishLoading), and
		// whoever opens the map meanwhile gets those rows as they are.
		if (options.deferLoad && loaded.updates.length > 0) {
			this.stored = loaded.updates;
			this.unapplied = [...loaded.updates];
		} else this.apply(loaded.updates);
		this.storedBytes = loaded.updates.reduce((sum, update) => sum + update.byteLength, 0);
		this.owners = new ClientOwners(loaded.owners);
		this.doc.on('update', (update: Uint8Array, origin: unknown) => {
			this.fullState = null;
			this.fullStateFrame = null;
			if (origin !== LOAD_ORIGIN) this.delta = update;
		});
	}

	private apply(updates: Uint8Array[]): void {
		this.doc.transact(() => {
			for (const update of updates) Y.applyUpdate(this.doc, update);
		}, LOAD_ORIGIN);
	}

	/**
	 * Applies stored rows that were put off, for at most `budgetMs` (at least one row). Once
	 * all are in, members who joined meanwhile get the server's sync step 1 (a fresh client
	 * had the stored rows as they are).
	 */
	finishLoading(budgetMs = Infinity): Effects<P> {
		const effects = empty<P>();
		if (this.stored === null) return effects;
		const start = performance.now();
		do {
			const row = this.unapplied.shift();
			if (row) this.apply([row]);
		} while (this.unapplied.length > 0 && performance.now() - start < budgetMs);
		if (this.unapplied.length > 0) return effects;
		this.stored = null;
		const vector = Y.encodeStateVector(this.doc);
		for (const [peer, member] of this.members) {
			if (!member.askedForState) {
				member.askedForState = true;
				effects.send.push({ to: peer, data: encodeSyncStep1(vector) });
			}
		}
		return effects;
	}

	get loading(): boolean {
		return this.stored !== null;
	}

	get memberCount(): number {
		return this.members.size;
	}

	get presencePending(): boolean {
		return this.presence.pending;
	}

	has(peer: P): boolean {
		return this.members.has(peer);
	}

	/** The whole document as one update. */
	stateAsUpdate(): Uint8Array {
		this.finishLoading();
		return this.wholeState();
	}

	/**
	 * Encoding a big map takes tens of milliseconds, and a fresh client (or a script asking
	 * again and again) wants all of it: it is encoded once per change, not once per ask.
	 */
	private wholeState(): Uint8Array {
		return (this.fullState ??= Y.encodeStateAsUpdate(this.doc));
	}

	/**
	 * Compaction merged stored rows and saved this many bytes. Subtracting (rather than
	 * taking the log's new total) keeps updates applied here but still being written.
	 */
	compacted(savedBytes: number): void {
		this.storedBytes = Math.max(0, this.storedBytes - savedBytes);
	}

	/**
	 * Updates other instances accepted and committed, or rows read from the store to catch
	 * up, in seq order (server/cluster/room-link.ts hands them over so, and nothing they
	 * need is missing), applied in one transaction. Not judged again: the instance that took it judged it against the
	 * same rules. Whatever is new here goes to every member, as committed state.
	 */
	applyRemote(updates: Uint8Array[], owners: ClientOwner[]): Effects<P> {
		// Stored rows still being applied come first: the remote update may build on them.
		const effects = this.finishLoading();
		this.owners.adopt(owners);
		this.delta = null;
		// One transaction: one 'update' event, so one message to every member.
		this.doc.transact(() => {
			for (const update of updates) Y.applyUpdate(this.doc, update, REMOTE_ORIGIN);
		}, REMOTE_ORIGIN);
		const store = this.doc.store;
		if (store.pendingStructs || store.pendingDs) {
			// Cannot happen when updates come in seq order; if it does, dropping the pending part
			// keeps the gate's replay sound, and the next catch-up brings it back whole.
			effects.log.push({ level: 'error', message: `map ${this.mapId}: an update from another instance left pending content; dropped it` });
			store.pendingStructs = null;
			store.pendingDs = null;
		}
		const delta = this.delta as Uint8Array | null;
		if (delta === null) return effects;
		this.storedBytes += updates.reduce((sum, update) => sum + update.byteLength, 0);
		effects.send.push({ data: encodeSyncUpdate(delta) });
		return effects;
	}

	/** Client ids another instance bound to devices (stored there). */
	adoptOwners(owners: ClientOwner[]): void {
		this.owners.adopt(owners);
	}

	/** The stored log's size as the store reports it (other instances append and compact too). */
	setStoredBytes(bytes: number): void {
		this.storedBytes = bytes;
	}

	/** Presence frames another instance relayed: shown here on the next tick. */
	receiveRemotePresence(frame: Uint8Array, now: number): void {
		let message: Incoming;
		try {
			message = parseMessage(frame, { stateVectorEntries: 0 });
		} catch {
			return;
		}
		if (message.kind === 'awareness') this.presence.receiveRemote(message.entries, now);
	}

	/** Removes people on other instances not heard of since `before`. */
	expireRemotePresence(before: number): void {
		this.presence.expireRemote(before);
	}

	get hasRemotePresence(): boolean {
		return this.presence.hasRemote;
	}

	/** This instance's presence changes since the last call, for the other instances. */
	takePresenceHere(): Uint8Array | null {
		return this.presence.takeChangesHere();
	}

	/** Removals of everyone connected here, for the other instances (shutting down). */
	presenceRemovalsHere(): Uint8Array | null {
		return this.presence.removalsHere();
	}

	join(peer: P): Effects<P> {
		const effects = empty<P>();
		const persistent = peer.identity.device !== null;
		// Without a device token, a tab's sockets (same session token) count as one device
		// while any of them is open; a socket with neither is a device of its own.
		const device = peer.identity.device ?? (peer.identity.session ? `session:${peer.identity.session}` : `connection:${++this.ephemeralDevices}`);
		if (!persistent) this.ephemeralMembers.set(device, (this.ephemeralMembers.get(device) ?? 0) + 1);
		const asked = this.stored === null;
		this.members.set(peer, { sentStep2: false, dead: false, device, persistentDevice: persistent, quietDroppedBytes: 0, askedForState: asked });
		this.presence.join(peer);
		if (asked) effects.send.push({ to: peer, data: encodeSyncStep1(Y.encodeStateVector(this.doc)) });
		const everyone = this.presence.snapshot();
		if (everyone) effects.send.push({ to: peer, data: everyone, presence: true });
		return effects;
	}

	leave(peer: P): Effects<P> {
		const member = this.members.get(peer);
		if (!member) return empty();
		this.members.delete(peer);
		this.presence.leave(peer);
		if (!member.persistentDevice) {
			const left = (this.ephemeralMembers.get(member.device) ?? 1) - 1;
			if (left > 0) this.ephemeralMembers.set(member.device, left);
			else {
				this.ephemeralMembers.delete(member.device);
				this.owners.release(member.device);
			}
		}
		return empty();
	}

	/** What changed in presence since the last flush, to everyone. */
	flushPresence(): Effects<P> {
		const effects = empty<P>();
		const data = this.presence.flush();
		if (data) effects.send.push({ data, presence: true });
		return effects;
	}

	/** Everyone's current presence, for a peer that missed some while it was slow. */
	presenceSnapshot(): Uint8Array | null {
		return this.presence.snapshot();
	}

	receive(peer: P, data: Uint8Array, now: number): Effects<P> {
		const effects = empty<P>();
		const member = this.members.get(peer);
		if (!member || member.dead) return effects;
		let message: Incoming;
		try {
			message = parseMessage(data, { stateVectorEntries: this.doc.store.clients.size + EXTRA_STATE_VECTOR_ENTRIES });
			this.handle(peer, member, message, now, effects);
		} catch (error) {
			if (!(error instanceof ProtocolError || error instanceof FrameTooLarge)) throw error;
			member.dead = true;
			const tooLarge = error instanceof FrameTooLarge;
			effects.log.push({ level: 'warn', message: `map ${this.mapId}: closing a socket: ${error.message}` });
			effects.close.push({ peer, code: tooLarge ? CLOSE.tooLarge : CLOSE.malformed, reason: tooLarge ? closeReason(error.message) : 'malformed message' });
		}
		return effects;
	}

	private handle(peer: P, member: Member, message: Incoming, now: number, effects: Effects<P>): void {
		if (this.stored !== null) {
			// A fresh client (an empty state vector) can have the stored rows as they are: the
			// first as its sync step 2, the others as updates, in order.
			if (message.kind === 'sync-step1' && isEmptyStateVector(message.stateVector)) {
				this.stored.forEach((row, index) => effects.send.push({ to: peer, data: index === 0 ? encodeSyncStep2(row) : encodeSyncUpdate(row) }));
				return;
			}
			if (message.kind === 'keepalive') {
				effects.send.push({ to: peer, data: KEEPALIVE_FRAME });
				return;
			}
			if (message.kind !== 'awareness' && message.kind !== 'query-awareness') {
				const loaded = this.finishLoading();
				effects.send.push(...loaded.send);
			}
		}
		switch (message.kind) {
			case 'sync-step1': {
				// The whole map's frame is one shared buffer: sockets queue references to it, not
				// copies (450 sockets asking for a 14 MB map would otherwise copy 6 GB).
				const data = isEmptyStateVector(message.stateVector)
					? (this.fullStateFrame ??= encodeSyncStep2(this.wholeState()))
					: encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, message.stateVector));
				effects.send.push({ to: peer, data });
				return;
			}
			case 'sync-step2':
			case 'sync-update':
				this.handleUpdate(peer, member, message.update, message.kind === 'sync-step2', now, effects);
				return;
			case 'awareness': {
				// A presence id is a Yjs client id (y-websocket uses the doc's): the device that
				// shows under it owns it from then on, so nobody who saw it in presence can write
				// under it while its owner is away.
				const claimed = this.presence.receive(peer, message.entries, (clientId) => this.owners.mayWrite(clientId, member.device));
				if (claimed !== null && this.owners.owner(claimed) === undefined) {
					const owners = this.owners.claim([claimed], member.device, member.persistentDevice);
					if (owners.length > 0) effects.write = { update: null, journal: [], owners };
				}
				return;
			}
			case 'query-awareness': {
				const everyone = this.presence.snapshot();
				if (everyone) effects.send.push({ to: peer, data: everyone, presence: true });
				return;
			}
			case 'keepalive':
				effects.send.push({ to: peer, data: KEEPALIVE_FRAME });
				return;
		}
	}

	/**
	 * A change made by the server itself (a migration, an anonymous answer): applied to the
	 * document in one transaction under the document's own client id, then stored, sent and
	 * published exactly like an accepted client update (effects.write; the runner commits
	 * before it sends anything). Not judged by the gate (the server's own code wrote it), but
	 * journaled from what it changed, under `role` and with no name, affiliation or
	 * connection. The id it writes under is bound to the server's pseudo-device
	 * (client-ids.ts SERVER_DEVICE), stored with the update, so no client can ever write or
	 * show presence under it. If `apply` throws, the outcome is the error; anything it had
	 * changed before throwing is still stored and sent (the document holds it).
	 */
	serverWrite<T>(write: ServerWrite<T>, now: number): { effects: Effects<P>; outcome: ServerWriteOutcome<T> } {
		// The whole document first: the write reads it, and its client id must be new to it.
		const effects = this.finishLoading();
		if (write.capped) {
			const refusal = this.options.storageFull?.()
				? new ServerWriteRefused('storage-full', 'server storage full')
				: this.options.memoryTight?.()
					? new ServerWriteRefused('memory-tight', 'server memory tight')
					: this.storedBytes + SERVER_WRITE_HEADROOM_BYTES > this.options.maxDocBytes
						? new ServerWriteRefused('map-full', `document too large (cap ${this.options.maxDocBytes} bytes)`)
						: null;
			if (refusal) return { effects, outcome: { ok: false, error: refusal } };
		}
		this.useServerClient();
		this.delta = null;
		let outcome: ServerWriteOutcome<T> = { ok: false, error: new Error('server write did not run') };
		let transaction: Y.Transaction | null = null;
		this.doc.transact((tr) => {
			transaction = tr;
			try {
				outcome = { ok: true, value: write.apply(this.doc) };
			} catch (error) {
				outcome = { ok: false, error };
			}
		}, SERVER_WRITE_ORIGIN);
		const delta = this.delta as Uint8Array | null;
		const done = transaction as Y.Transaction | null;
		if (delta === null || done === null) return { effects, outcome };
		this.serverClient = this.doc.clientID;
		this.storedBytes += delta.byteLength;
		const owners = this.owners.claim([this.doc.clientID], SERVER_DEVICE, true);
		const journal = journalFor(this.doc, transactionChanges(this.doc, done), { role: write.role, name: '', affiliation: null }, now);
		effects.write = { update: delta, journal, owners };
		// To everyone: nobody sent it.
		effects.send.push({ data: encodeSyncUpdate(delta), update: delta });
		return { effects, outcome };
	}

	/**
	 * The document's client id, made fit for the server's writes: never one already in the
	 * document (a client's, or this server's from before a restart: Yjs also changes it when
	 * loaded content uses it, but the check here does not rely on that) unless it is the one
	 * this room already writes under, and never one a device holds (shown in presence).
	 */
	private useServerClient(): void {
		const doc = this.doc;
		if (this.serverClient === doc.clientID) return;
		while (doc.store.clients.has(doc.clientID) || (this.owners.owner(doc.clientID) ?? SERVER_DEVICE) !== SERVER_DEVICE) {
			doc.clientID = uint32();
		}
	}

	/** The client id this room's own writes went under (null before its first). */
	get serverClientId(): number | null {
		return this.serverClient;
	}

	/**
	 * Decides first (write-gate.ts), applies only what is allowed. A refused update is
	 * dropped whole (not applied, stored or sent) and its socket closed with 4409: the
	 * sender applied it locally, so its state is ahead of ours and every later update from
	 * it would depend on the dropped one. An update with nothing new is a no-op for everyone.
	 */
	private handleUpdate(peer: P, member: Member, update: Uint8Array, step2: boolean, now: number, effects: Effects<P>): void {
		const locked = this.doc.getMap<unknown>('meta').get('locked') === true;
		const verdict = checkUpdate(this.doc, update, {
			role: peer.role,
			locked,
			mayWriteClient: (client) => this.owners.mayWrite(client, member.device),
			// The rules for rounds and answers read the server's document and who owns an answer's client id.
			facts: documentFacts(this.doc, (client) => this.owners.owner(client) === member.device)
		});
		const beforeStep2 = !member.sentStep2;
		if (step2) member.sentStep2 = true;
		const refuse = (code: number, level: LogLine['level'], reason: string) => {
			member.dead = true;
			effects.log.push({ level, message: `map ${this.mapId}: refused an update from a ${peer.role}: ${reason}` });
			effects.close.push({ peer, code, reason: closeReason(reason) });
		};
		switch (verdict.kind) {
			case 'missing':
				if (!step2 && beforeStep2 && (member.quietDroppedBytes += update.byteLength) <= MAX_QUIET_DROP_BYTES) {
					// A stock client that edits while it reconnects sends that edit before its answer
					// to our sync step 1, building on offline edits that answer will carry (it holds
					// everything the client has that we lacked). Dropping it loses nothing.
					effects.log.push({ level: 'debug', message: `map ${this.mapId}: dropped an update that came before its sync step 2: ${verdict.reason}` });
					return;
				}
				return refuse(CLOSE.writeRefused, 'debug', `write refused: ${verdict.reason}`);
			case 'forbidden':
				// Client-caused and expected (a stale tab on a locked map): debug, one line per socket.
				return refuse(CLOSE.writeRefused, 'debug', `write refused: ${verdict.reason}`);
			case 'malformed':
				member.dead = true;
				effects.log.push({ level: 'warn', message: `map ${this.mapId}: closing a socket: ${verdict.reason}` });
				effects.close.push({ peer, code: CLOSE.malformed, reason: 'malformed message' });
				return;
			case 'too-large':
				return refuse(CLOSE.tooLarge, 'warn', verdict.reason);
			case 'ok':
				break;
		}
		if (!verdict.writes) return;
		const tending = peer.role === 'facilitator' && update.byteLength <= FACILITATOR_SMALL_BYTES;
		const overGlobal = this.options.storageFull?.() ? 'server storage full' : this.options.memoryTight?.() ? 'server memory tight' : null;
		if (overGlobal !== null) {
			if (!tending || this.reserveUsed + update.byteLength > FACILITATOR_RESERVE_BYTES) {
				return refuse(overGlobal === 'server storage full' ? CLOSE.tooLarge : CLOSE.rateLimited, 'warn', overGlobal);
			}
			this.reserveUsed += update.byteLength;
		}
		const cap = this.options.maxDocBytes + (tending ? FACILITATOR_RESERVE_BYTES : 0);
		if (this.storedBytes + update.byteLength > cap) {
			return refuse(CLOSE.tooLarge, 'warn', `document too large (cap ${this.options.maxDocBytes} bytes)`);
		}
		this.delta = null;
		Y.applyUpdate(this.doc, update, peer);
		const store = this.doc.store;
		if (store.pendingStructs || store.pendingDs) {
			// The gate refuses whatever Yjs would keep pending; if this ever happens it is a bug
			// there. Pending content is not in the document, so dropping it loses nothing applied.
			effects.log.push({ level: 'error', message: `map ${this.mapId}: an allowed update left pending content; dropped it` });
			store.pendingStructs = null;
			store.pendingDs = null;
		}
		const delta = this.delta as Uint8Array | null;
		if (delta === null) return;
		this.storedBytes += delta.byteLength;
		const owners = this.owners.claim(verdict.clients, member.device, member.persistentDevice);
		const journal = journalFor(this.doc, verdict.changes, { role: peer.role, name: peer.identity.name, affiliation: peer.identity.affiliation }, now);
		effects.write = { update: delta, journal, owners };
		effects.send.push({ except: peer, data: encodeSyncUpdate(delta), update: delta });
	}
}

/** A state vector naming no client: varuint 0. */
function isEmptyStateVector(vector: Uint8Array): boolean {
	return vector.length === 1 && vector[0] === 0;
}

function empty<P extends Peer>(): Effects<P> {
	return { send: [], close: [], write: null, log: [] };
}
