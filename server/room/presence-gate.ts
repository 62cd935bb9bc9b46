/**
 * Presence (y-protocols awareness) as the server keeps and relays it.
 *
 * - A connection sets only its own client id: the first id it announces that no other
 *   connection holds. Entries for other ids (a stock y-websocket client echoes every peer
 *   it hears about) are skipped without being decoded.
 * - Role, name and affiliation in a state are overwritten from the connection's key and
 *   connect parameters, so nobody can pose as the facilitator or as someone else.
 * - `present` (the view a facilitator shows on the present screen) is kept only in a
 *   facilitator's state and only as `{ center, zoom, bearing, pitch }` with numbers in
 *   range; from anyone else, or malformed, it is dropped.
 * - States are relayed on a steady tick (the runner calls `flush`), latest state per
 *   client, never message by message: a burst of a thousand updates from one client costs
 *   peers one state, and a room of 500 people costs one message per peer per tick.
 */
import type { Affiliation, Role } from '../../src/lib/doc/model.ts';
import { parsePresentView } from '../../src/lib/sync/presence.ts';
import { FrameTooLarge, MAX_PRESENCE_STATE_BYTES, ProtocolError, encodePresence, type PresenceEntry } from './protocol.ts';

export interface PresencePeer {
	readonly role: Role;
	readonly identity: { name: string; affiliation: Affiliation; session: string | null };
}

interface Holder {
	/** The one id this connection may set; null until it announces one. */
	own: number | null;
	/**
	 * Added to the clocks this connection sends. When a socket closes its state is removed
	 * with clock + 1; the same tab reconnecting re-sends its state with the old clock, which
	 * every peer would ignore as stale. The owner's newest message is its newest state.
	 */
	clockOffset: number;
}

interface State {
	clock: number;
	/** null: removed. */
	state: Record<string, unknown> | null;
	/** About what the state costs to relay (its JSON as received, plus the stamped identity). */
	bytes: number;
	/** Set for a person connected to another instance (server/cluster/): when we last heard of them. */
	remoteAt?: number;
}

/**
 * A person on another instance whose state has not changed for this long is taken to be
 * gone (their instance died without saying so). y-protocols clients renew their state every
 * 15 s and drop peers silent for 30 s; this is the same, with a margin.
 */
export const REMOTE_PRESENCE_TIMEOUT_MS = 35_000;

/**
 * Presence bytes one tick relays: a room of 500 people each moving (1 KiB states) would
 * otherwise send every peer 500 KiB twelve times a second. Changes past it wait for the
 * next tick, oldest first, so everyone's state still arrives, a little later.
 */
export const MAX_PRESENCE_TICK_BYTES = 64 * 1024;
/** What a removal or the stamped name and affiliation add to a state. */
const ENTRY_OVERHEAD_BYTES = 400;

const decoder = new TextDecoder('utf-8', { fatal: true });

export class PresenceGate<P extends PresencePeer> {
	private readonly holders = new Map<P, Holder>();
	/** Client id -> the connection that holds it. */
	private readonly owners = new Map<number, P>();
	/** Every id's latest clock and state (removed ones kept as null, for their clock). */
	private readonly states = new Map<number, State>();
	private readonly changed = new Set<number>();
	/**
	 * Changes of this instance's own people not yet told to the other instances; kept only
	 * when several instances share the map (`relay`), so one process alone keeps nothing.
	 */
	private readonly changedHere = new Set<number>();

	constructor(private readonly relay = false) {}

	get pending(): boolean {
		return this.changed.size > 0;
	}

	/** Whether anyone on another instance is present (their states expire, see expireRemote). */
	get hasRemote(): boolean {
		for (const state of this.states.values()) if (state.remoteAt !== undefined && state.state !== null) return true;
		return false;
	}

	private mark(clientId: number, here: boolean): void {
		this.changed.add(clientId);
		if (here && this.relay) this.changedHere.add(clientId);
	}

	join(peer: P): void {
		this.holders.set(peer, { own: null, clockOffset: 0 });
	}

	/**
	 * Applies the sender's own entry, if the frame has one. `mayClaim` says whether this
	 * connection's device may hold an id at all (another device owns it). Returns the id
	 * this frame made the connection's own, if it did.
	 */
	receive(peer: P, entries: PresenceEntry[], mayClaim: (clientId: number) => boolean = () => true): number | null {
		const holder = this.holders.get(peer);
		if (!holder) return null;
		let claimed: number | null = null;
		for (const entry of entries) {
			if (holder.own === null && mayClaim(entry.clientId)) {
				this.claim(peer, holder, entry.clientId);
				if (holder.own !== null) claimed = holder.own;
			}
			if (entry.clientId !== holder.own) continue;
			if (entry.json.byteLength > MAX_PRESENCE_STATE_BYTES) throw new FrameTooLarge(`presence state over ${MAX_PRESENCE_STATE_BYTES} bytes`);
			let parsed: unknown;
			try {
				parsed = JSON.parse(decoder.decode(entry.json));
			} catch {
				throw new ProtocolError('presence state is not JSON');
			}
			const stamped = parsed === null ? null : stamp(parsed, peer);
			if (stamped === undefined) continue;
			const seen = this.states.get(entry.clientId)?.clock ?? -1;
			if (entry.clock + holder.clockOffset <= seen) holder.clockOffset = seen + 1 - entry.clock;
			this.states.set(entry.clientId, { clock: entry.clock + holder.clockOffset, state: stamped, bytes: entry.json.byteLength + ENTRY_OVERHEAD_BYTES });
			this.mark(entry.clientId, true);
			// One entry per message counts; a client has only one own state.
			return claimed;
		}
		return claimed;
	}

	/**
	 * A connection's first announced id becomes its own, unless another connection holds it.
	 * The holder can be the same tab's previous socket (a reconnect, or a name change, races
	 * the old socket's close), so a holder with the same session token hands the id over.
	 */
	private claim(peer: P, holder: Holder, clientId: number): void {
		const current = this.owners.get(clientId);
		if (current !== undefined && current !== peer) {
			const session = peer.identity.session;
			if (session === null || current.identity.session !== session) return;
			const previous = this.holders.get(current);
			// Its close must not remove the state the new socket now owns.
			if (previous) previous.own = null;
		}
		holder.own = clientId;
		this.owners.set(clientId, peer);
	}

	leave(peer: P): void {
		const holder = this.holders.get(peer);
		this.holders.delete(peer);
		if (!holder || holder.own === null || this.owners.get(holder.own) !== peer) return;
		this.owners.delete(holder.own);
		const previous = this.states.get(holder.own);
		if (previous && previous.state !== null) {
			this.states.set(holder.own, { clock: previous.clock + 1, state: null, bytes: ENTRY_OVERHEAD_BYTES });
			this.mark(holder.own, true);
		}
	}

	/**
	 * States another instance relayed (its own people, stamped there). An id a connection
	 * here holds keeps this instance's state; otherwise the y-protocols rule: a newer clock
	 * wins, and a removal at the same clock. Never relayed back to the other instances.
	 */
	receiveRemote(entries: PresenceEntry[], now: number): void {
		for (const entry of entries) {
			if (this.owners.has(entry.clientId)) continue;
			let parsed: unknown;
			try {
				parsed = JSON.parse(decoder.decode(entry.json));
			} catch {
				continue;
			}
			const state = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
			const previous = this.states.get(entry.clientId);
			if (previous && !(previous.clock < entry.clock || (previous.clock === entry.clock && state === null && previous.state !== null))) continue;
			this.states.set(entry.clientId, { clock: entry.clock, state, bytes: entry.json.byteLength + ENTRY_OVERHEAD_BYTES, remoteAt: now });
			this.mark(entry.clientId, false);
		}
	}

	/** Removes the states of people on other instances not heard of since `before`. */
	expireRemote(before: number): void {
		for (const [clientId, entry] of this.states) {
			if (entry.remoteAt === undefined || entry.state === null || entry.remoteAt >= before) continue;
			this.states.set(clientId, { clock: entry.clock + 1, state: null, bytes: ENTRY_OVERHEAD_BYTES, remoteAt: entry.remoteAt });
			this.mark(clientId, false);
		}
	}

	/**
	 * This instance's own people whose presence changed since the last call, latest state
	 * each (removals included), up to maxBytes: what the other instances are told.
	 */
	takeChangesHere(maxBytes = MAX_PRESENCE_TICK_BYTES): Uint8Array | null {
		if (this.changedHere.size === 0) return null;
		const entries: Array<{ clientId: number; clock: number; state: Record<string, unknown> | null }> = [];
		let bytes = 0;
		for (const clientId of this.changedHere) {
			const entry = this.states.get(clientId);
			if (!entry || entry.remoteAt !== undefined) {
				this.changedHere.delete(clientId);
				continue;
			}
			if (entries.length > 0 && bytes + entry.bytes > maxBytes) break;
			entries.push({ clientId, clock: entry.clock, state: entry.state });
			bytes += entry.bytes;
			this.changedHere.delete(clientId);
		}
		return entries.length > 0 ? encodePresence(entries) : null;
	}

	/** Removals for every state this instance's own connections hold (it is shutting down). */
	removalsHere(): Uint8Array | null {
		const entries: Array<{ clientId: number; clock: number; state: null }> = [];
		for (const clientId of this.owners.keys()) {
			const entry = this.states.get(clientId);
			if (entry && entry.state !== null) entries.push({ clientId, clock: entry.clock + 1, state: null });
		}
		return entries.length > 0 ? encodePresence(entries) : null;
	}

	/** Everyone present, for a joining peer or a query. Null when nobody is. */
	snapshot(): Uint8Array | null {
		const entries = [...this.states].filter(([, { state }]) => state !== null).map(([clientId, { clock, state }]) => ({ clientId, clock, state }));
		return entries.length > 0 ? encodePresence(entries) : null;
	}

	/**
	 * What changed since the last flush, latest state per client (removals included), up to
	 * maxBytes; the rest stays for the next flush (a Set keeps first-changed order).
	 */
	flush(maxBytes = MAX_PRESENCE_TICK_BYTES): Uint8Array | null {
		if (this.changed.size === 0) return null;
		const entries: Array<{ clientId: number; clock: number; state: Record<string, unknown> | null }> = [];
		let bytes = 0;
		for (const clientId of this.changed) {
			const { clock, state, bytes: cost } = this.states.get(clientId)!;
			if (entries.length > 0 && bytes + cost > maxBytes) break;
			entries.push({ clientId, clock, state });
			bytes += cost;
		}
		for (const { clientId } of entries) this.changed.delete(clientId);
		// Removed ids are kept only for their clock until they are relayed.
		for (const { clientId, state } of entries) if (state === null && !this.owners.has(clientId)) this.trimRemoved(clientId);
		return encodePresence(entries);
	}

	/**
	 * Keeps the clock of a removed id (a returning tab must be shifted past it), but not
	 * forever: past this many, the oldest are forgotten.
	 */
	private trimRemoved(_clientId: number): void {
		if (this.states.size <= MAX_REMEMBERED_IDS) return;
		for (const [id, { state }] of this.states) {
			if (this.states.size <= MAX_REMEMBERED_IDS) break;
			if (state === null) this.states.delete(id);
		}
	}
}

const MAX_REMEMBERED_IDS = 10_000;

/**
 * Presence with role, name and affiliation replaced and `present` kept only from a
 * facilitator, cleaned; undefined for a state that is not an object.
 */
function stamp(state: unknown, peer: PresencePeer): Record<string, unknown> | undefined {
	if (typeof state !== 'object' || state === null || Array.isArray(state)) return undefined;
	const { present, ...record } = state as Record<string, unknown>;
	const user = record.user;
	const base = typeof user === 'object' && user !== null && !Array.isArray(user) ? (user as Record<string, unknown>) : {};
	const view = peer.role === 'facilitator' ? parsePresentView(present) : null;
	return {
		...record,
		...(view ? { present: view } : {}),
		user: { ...base, role: peer.role, name: peer.identity.name, affiliation: peer.identity.affiliation }
	};
}
