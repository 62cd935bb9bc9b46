/**
 * One loaded room's place in its map's log, when several instances append to it.
 *
 * Every update in the store has a seq, gap-free per map and committed in seq order
 * (persistence/postgres.ts), and an update only ever depends on updates with lower seqs
 * (whoever accepted it had applied nothing that was not committed before it). So a room
 * applies other instances' updates strictly in seq order: `applied` is the highest seq
 * up to which it holds every update, updates that arrive early wait in `ahead`, and its
 * own commits, which it already holds, are marked there. Nothing is ever applied with a
 * dependency missing, so Yjs never keeps anything pending in the room's document.
 *
 * A gap (a seq past applied + 1 that stays unfilled for GAP_WAIT_MS, a notice of an update
 * too large to travel, a head the periodic poll reports past `applied`, Redis coming
 * back, a client joining, or an update from the bus that does not apply) is filled from
 * the store (DocStore.loadUpdatesSince).
 */
import type { DocStore } from '../persistence/doc-store.ts';
import type { ClientOwner } from '../room/client-ids.ts';
import type { RemoteUpdate } from './bus.ts';

/**
 * Two instances' publishes of consecutive seqs may reach Redis in either order; the missing
 * one normally follows within a millisecond or two. Past this, it is read from the store.
 */
export const GAP_WAIT_MS = 100;

/** What to apply, in this order. */
export interface Ready {
	seq: number;
	update: Uint8Array;
	owners: ClientOwner[];
	/** Read from the store (not heard on the bus): if this does not apply, nothing else will. */
	stored?: true;
}

type Waiting = { update: Uint8Array; owners: ClientOwner[] } | 'own';

export class RoomLink {
	/** Every update with a seq up to this one is in the room's document. */
	applied = 0;
	private readonly ahead = new Map<number, Waiting>();
	/** Set when the store must be read: the runner does so before its next batch. */
	wanted = false;
	private gapTimer: NodeJS.Timeout | null = null;

	constructor(
		private readonly store: DocStore,
		readonly mapId: string,
		/** Asks the room to run a batch soon (it then catches up, since `wanted` is set). */
		private readonly wake: () => void
	) {}

	/** The room loaded every row up to `seq`. */
	loaded(seq: number): void {
		this.applied = Math.max(this.applied, seq);
		this.prune();
	}

	/** An update another instance committed; returns what can be applied now, in order. */
	remote(message: RemoteUpdate): Ready[] {
		if (message.seq <= this.applied || this.ahead.has(message.seq)) return [];
		if (message.update === null) {
			// Too large for the bus: read it from the store at once.
			this.want();
			return [];
		}
		this.ahead.set(message.seq, { update: message.update, owners: message.owners });
		return this.release();
	}

	/** This room committed `seq` (its update is in the document already). */
	own(seq: number): Ready[] {
		if (seq <= this.applied) return [];
		this.ahead.set(seq, 'own');
		return this.release();
	}

	/** The store's head for this map, as the periodic poll read it. */
	head(seq: number): void {
		if (seq > this.applied) this.want();
	}

	/** Catching up is needed now (Redis came back, or a gap must not wait). */
	want(): void {
		if (this.wanted) return;
		this.wanted = true;
		this.wake();
	}

	/**
	 * Reads what the room lacks from the store. With `barrier`, first asks whether there is
	 * anything at all (a client is joining: it must find every update committed before it
	 * came, or its own copy of them would be judged as its writes). Returns the rows to
	 * apply, in order, and marks them applied; the room must apply them before anything else.
	 */
	async catchUp(barrier: boolean): Promise<{ ready: Ready[]; fromStore: boolean }> {
		const wanted = this.wanted;
		this.wanted = false;
		if (!wanted) {
			if (!barrier) return { ready: [], fromStore: false };
			const head = (await this.store.logHeads([this.mapId])).get(this.mapId)?.seq ?? 0;
			if (head <= this.applied) return { ready: [], fromStore: false };
		}
		const rows = await this.store.loadUpdatesSince(this.mapId, this.applied);
		const ready: Ready[] = rows.map((row) => ({ seq: row.seq, update: row.data, owners: [], stored: true }));
		if (rows.length > 0) this.applied = Math.max(this.applied, rows.at(-1)!.seq);
		this.prune();
		ready.push(...this.release());
		// Whatever still waits beyond a hole was announced before this read began, so it was
		// committed before it and would be in it: it is no update of this map's log (a
		// confused peer), and must not send the room to the store every GAP_WAIT_MS.
		this.forgetWaiting();
		return { ready, fromStore: rows.length > 0 };
	}

	/**
	 * An update heard on the bus, at `seq`, did not apply (a corrupt message, or one that is
	 * not what was committed): it and everything after it is read from the store instead.
	 */
	dropFrom(seq: number): void {
		this.applied = Math.min(this.applied, seq - 1);
		this.forgetWaiting();
		this.want();
	}

	private forgetWaiting(): void {
		this.ahead.clear();
		if (this.gapTimer) clearTimeout(this.gapTimer);
		this.gapTimer = null;
	}

	/** Everything contiguous after `applied`; starts the gap timer if something waits beyond a hole. */
	private release(): Ready[] {
		const ready: Ready[] = [];
		for (;;) {
			const next = this.ahead.get(this.applied + 1);
			if (next === undefined) break;
			this.ahead.delete(this.applied + 1);
			this.applied++;
			if (next !== 'own') ready.push({ seq: this.applied, update: next.update, owners: next.owners });
		}
		if (this.ahead.size === 0) {
			if (this.gapTimer) clearTimeout(this.gapTimer);
			this.gapTimer = null;
		} else if (this.gapTimer === null) {
			this.gapTimer = setTimeout(() => {
				this.gapTimer = null;
				if (this.ahead.size > 0) this.want();
			}, GAP_WAIT_MS);
			this.gapTimer.unref?.();
		}
		return ready;
	}

	private prune(): void {
		for (const seq of this.ahead.keys()) if (seq <= this.applied) this.ahead.delete(seq);
	}

	/** Whether updates wait beyond a hole. */
	get waiting(): number {
		return this.ahead.size;
	}

	dispose(): void {
		if (this.gapTimer) clearTimeout(this.gapTimer);
		this.gapTimer = null;
	}
}
