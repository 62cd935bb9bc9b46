/**
 * Whose voices are on a map, read from the server's history journal (the authority: the
 * affiliation on each record is the one the server stamped on the connection), for
 * GET /api/maps/<id>/voices and for a snapshot's report. The counting itself is
 * src/lib/voices/aggregate.ts.
 *
 * Bounded: only `create` records are read, newest first, in pages, at most
 * MAX_VOICE_ENTRIES of them (the answer says when older ones were left out). Dashboards on
 * a shared screen and on phones poll and follow changes, so per map the records read are
 * kept: for FRESH_MS the same answer is given to everyone (one read serves a room); after
 * that a request reads the newest create record alone and, only when the journal has grown,
 * the records newer than those held (the journal only grows at its end). The whole journal
 * is read again every REREAD_MS (the oldest records of a very long history are dropped,
 * server/persistence).
 */
import { createDoc, applyState } from '../src/lib/doc/schema.ts';
import { aggregateVoices, fromJournal, type JournalLike, type Voices } from '../src/lib/voices/aggregate.ts';
import { documentVoices } from '../src/lib/voices/document.ts';
import type { DocStore, StoredJournalEntry } from './persistence/doc-store.ts';

/** Create records read at most per map, newest first. */
export const MAX_VOICE_ENTRIES = 50_000;
const PAGE = 2_000;
/**
 * Bringing held records up to date first reads the newest create record alone (most often
 * nothing is new), then a page this small (a few seconds of a busy workshop), then larger ones.
 */
export const FIRST_PAGE = 64;
export const FRESH_MS = 1_000;
export const REREAD_MS = 5 * 60_000;
/** Without a journal the document is counted; it changes without one only through the store itself, so it is counted again this often. */
const DOCUMENT_MS = 60_000;
/** Records held across all maps (a few tens of bytes each). */
const MAX_HELD_ROWS = 400_000;

/**
 * Reading a whole journal costs ~10 µs of the event loop per record; a hostile client
 * asking for many big maps in turn could keep the server busy. So at most this many whole
 * reads run at once in the process (others get VoicesBusy: 503, try again), and each read
 * gives the event loop back between pages.
 */
export const MAX_COLD_READS = 1;
let coldReads = 0;

/** Too many whole journals are being read at once; the client may ask again in a moment. */
export class VoicesBusy extends Error {
	constructor() {
		super('the server is counting voices for other maps; try again in a moment');
		this.name = 'VoicesBusy';
	}
}

async function coldRead<T>(work: () => Promise<T>): Promise<T> {
	if (coldReads >= MAX_COLD_READS) throw new VoicesBusy();
	coldReads++;
	try {
		return await work();
	} finally {
		coldReads--;
	}
}

/** What voices keep of a create record. */
interface Held extends JournalLike {
	seq: number;
}

function slim(entry: StoredJournalEntry): Held {
	const category = entry.collection === 'assets' ? entry.fields.category : undefined;
	return { seq: entry.seq, at: entry.at, role: entry.role, affiliation: entry.affiliation, collection: entry.collection, kind: entry.kind, fields: typeof category === 'string' ? { category } : {} };
}

/**
 * Create records newest first: newer than seq `after`, made at or before `until`, at most
 * `max` (`more` says there were older ones left).
 */
async function readCreates(store: DocStore, mapId: string, { after = 0, until = Infinity, max = MAX_VOICE_ENTRIES } = {}): Promise<{ rows: Held[]; more: boolean }> {
	const rows: Held[] = [];
	let before: number | undefined;
	let limit = after > 0 ? 1 : PAGE;
	for (;;) {
		const page = await store.readJournal(mapId, { kind: 'create', before, limit });
		for (const entry of page) {
			if (entry.seq <= after) return { rows, more: false };
			if (entry.at > until) continue;
			if (rows.length === max) return { rows, more: true };
			rows.push(slim(entry));
		}
		if (page.length < limit) return { rows, more: false };
		// SQLite reads synchronously: between pages, everyone else gets a turn.
		await new Promise((resolve) => setImmediate(resolve));
		before = page[page.length - 1].seq;
		limit = limit === 1 ? FIRST_PAGE : Math.min(PAGE, limit * 4);
	}
}

async function hasJournal(store: DocStore, mapId: string): Promise<boolean> {
	return (await store.readJournal(mapId, { limit: 1 })).length > 0;
}

/**
 * The voices of a map's journal up to `until` (epoch ms; everything when absent), or null
 * when the map has no journal at all (then its document has to be counted).
 */
export async function journalVoices(store: DocStore, mapId: string, until?: number): Promise<Voices | null> {
	if (!(await hasJournal(store, mapId))) return null;
	// A freeze is already one at a time per map and counted against the map's snapshots.
	const { rows, more } = await readCreates(store, mapId, { until });
	return aggregateVoices(fromJournal(rows), 'journal', more);
}

/** The voices of a document given as Yjs updates (source 'document'). */
export function updatesVoices(updates: Uint8Array[]): Voices {
	const doc = createDoc();
	try {
		for (const update of updates) applyState(doc, update);
		return documentVoices(doc);
	} finally {
		doc.destroy();
	}
}

interface Entry {
	voices: Voices;
	/** Held create records, oldest first (journal source only). */
	rows: Held[];
	truncated: boolean;
	checkedAt: number;
	readAt: number;
}

/** Per-map voices kept between requests (see the top of this file). */
export class VoicesCache {
	private readonly entries = new Map<string, Entry>();
	private readonly pending = new Map<string, Promise<Voices>>();
	private heldRows = 0;

	constructor(
		private readonly store: DocStore,
		private readonly now: () => number = Date.now
	) {}

	/** The map's voices; `documentUpdates` gives its document when it has no journal. */
	voices(mapId: string, documentUpdates: () => Promise<Uint8Array[]>): Promise<Voices> {
		const waiting = this.pending.get(mapId);
		if (waiting) return waiting;
		const entry = this.entries.get(mapId);
		if (entry && this.now() - entry.checkedAt < FRESH_MS) {
			this.touch(mapId, entry);
			return Promise.resolve(entry.voices);
		}
		const work = this.refresh(mapId, entry, documentUpdates).finally(() => this.pending.delete(mapId));
		this.pending.set(mapId, work);
		return work;
	}

	private async refresh(mapId: string, entry: Entry | undefined, documentUpdates: () => Promise<Uint8Array[]>): Promise<Voices> {
		const now = this.now();
		if (entry && entry.voices.source === 'journal' && now - entry.readAt < REREAD_MS) {
			const { rows: fresh, more } = await readCreates(this.store, mapId, { after: entry.rows.at(-1)?.seq ?? 0 });
			if (fresh.length === 0) {
				entry.checkedAt = now;
				this.touch(mapId, entry);
				return entry.voices;
			}
			const rows = more ? fresh.reverse() : [...entry.rows, ...fresh.reverse()];
			const cut = Math.max(0, rows.length - MAX_VOICE_ENTRIES);
			const truncated = more || entry.truncated || cut > 0;
			const kept = rows.slice(cut);
			return this.keep(mapId, { voices: aggregateVoices(fromJournal(kept), 'journal', truncated), rows: kept, truncated, checkedAt: now, readAt: entry.readAt });
		}
		if (entry && entry.voices.source === 'document' && now - entry.readAt < DOCUMENT_MS && !(await hasJournal(this.store, mapId))) {
			entry.checkedAt = now;
			this.touch(mapId, entry);
			return entry.voices;
		}
		if (!(await hasJournal(this.store, mapId))) {
			return this.keep(mapId, { voices: updatesVoices(await documentUpdates()), rows: [], truncated: false, checkedAt: now, readAt: now });
		}
		const { rows, more } = await coldRead(() => readCreates(this.store, mapId));
		rows.reverse();
		return this.keep(mapId, { voices: aggregateVoices(fromJournal(rows), 'journal', more), rows, truncated: more, checkedAt: now, readAt: now });
	}

	private keep(mapId: string, entry: Entry): Voices {
		const old = this.entries.get(mapId);
		if (old) this.heldRows -= old.rows.length;
		this.entries.delete(mapId);
		this.entries.set(mapId, entry);
		this.heldRows += entry.rows.length;
		// The least recently asked-for maps go first.
		for (const [id, held] of this.entries) {
			if (this.heldRows <= MAX_HELD_ROWS || id === mapId) break;
			this.entries.delete(id);
			this.heldRows -= held.rows.length;
		}
		return entry.voices;
	}

	private touch(mapId: string, entry: Entry): void {
		this.entries.delete(mapId);
		this.entries.set(mapId, entry);
	}
}

const caches = new WeakMap<DocStore, VoicesCache>();

/** The cache for one store (a process serves one store; tests may start several in one process). */
export function voicesCacheFor(store: DocStore): VoicesCache {
	let cache = caches.get(store);
	if (!cache) caches.set(store, (cache = new VoicesCache(store)));
	return cache;
}
