/**
 * How the server reads voices from the journal (server/voices.ts) on the in-memory store,
 * with a clock of the test's own: the same answer for FRESH_MS; after that only records
 * newer than those held are read; requests at once share one read; at most
 * MAX_VOICE_ENTRIES records (the newest) with the answer saying so; the document counted
 * when there is no journal; the journal up to a moment for a snapshot.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addAsset, initMap } from '../../src/lib/doc/mutations.ts';
import { createDoc } from '../../src/lib/doc/schema.ts';
import { createMemoryStore } from '../../server/persistence/memory.ts';
import type { DocStore, MapRecord } from '../../server/persistence/doc-store.ts';
import type { JournalRecord } from '../../server/room/journal.ts';
import { FIRST_PAGE, FRESH_MS, MAX_VOICE_ENTRIES, REREAD_MS, VoicesCache, journalVoices } from '../../server/voices.ts';

const T = Date.UTC(2026, 2, 10, 12);
const MAP = 'mapvoices0';
const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc());

function mapRecord(id: string): MapRecord {
	const hash = '0'.repeat(64);
	return { id, title: 'Voices', place: '', createdAt: T, keyHashes: { facilitator: hash, editor: hash, viewer: hash }, keyGenerations: { facilitator: 1, editor: 1, viewer: 1 }, linkSecret: null };
}

function create(at: number, affiliation: JournalRecord['affiliation'], collection: JournalRecord['collection'] = 'assets'): JournalRecord {
	return { at, role: 'editor', name: 'Someone', affiliation, collection, entry: `entry${at}`.padEnd(16, 'x'), kind: 'create', fields: collection === 'assets' ? { category: 'places', name: 'A place' } : {} };
}

/** The store, counting the journal rows it hands out. */
function counted(store: DocStore) {
	const reads = { calls: 0, rows: 0 };
	const wrapped: DocStore = Object.assign(Object.create(store) as DocStore, {
		async readJournal(...args: Parameters<DocStore['readJournal']>) {
			const rows = await store.readJournal(...args);
			reads.calls++;
			reads.rows += rows.length;
			return rows;
		}
	});
	return { store: wrapped, reads };
}

async function setup() {
	const base = createMemoryStore();
	await base.createMap(mapRecord(MAP));
	const { store, reads } = counted(base);
	let now = T;
	const clock = { now: () => now, advance: (ms: number) => (now += ms) };
	const noDocument = async () => {
		throw new Error('the document is not read while there is a journal');
	};
	return { base, store, reads, clock, cache: new VoicesCache(store, clock.now), noDocument };
}

describe('voices from the journal, kept between requests', () => {
	it('answers the same for FRESH_MS, then reads only the records added since', async () => {
		const { base, reads, clock, cache, noDocument } = await setup();
		const older = Array.from({ length: 200 }, (_, i) => create(T - 1000 - i, 'other'));
		await base.appendUpdate(MAP, EMPTY_UPDATE, { journal: [...older, create(T, 'faculty'), create(T + 1, 'community-member'), create(T + 2, 'student', 'goals')] });
		const first = await cache.voices(MAP, noDocument);
		expect(first.source).toBe('journal');
		expect(first.total).toBe(203);
		expect(first.groups.campus.count).toBe(2);

		await base.appendUpdate(MAP, EMPTY_UPDATE, { journal: [create(T + 3, 'community-organization'), create(T + 4, 'community-member', 'links'), { ...create(T + 5, 'faculty'), kind: 'update' }] });
		clock.advance(FRESH_MS - 1);
		const callsBefore = reads.calls;
		expect(await cache.voices(MAP, noDocument)).toBe(first);
		expect(reads.calls).toBe(callsBefore);

		clock.advance(1);
		const rowsBefore = reads.rows;
		const second = await cache.voices(MAP, noDocument);
		expect(second.total).toBe(205);
		expect(second.groups.community.count).toBe(3);
		expect(second.collections.links.community).toBe(1);
		// The newest record, then one small page from the newest end: not the 205 create records again.
		expect(reads.rows - rowsBefore).toBeLessThanOrEqual(1 + FIRST_PAGE);

		clock.advance(FRESH_MS);
		const rowsAfter = reads.rows;
		expect(await cache.voices(MAP, noDocument)).toBe(second);
		// Nothing new: one record read.
		expect(reads.rows - rowsAfter).toBe(1);
	});

	it('shares one read between requests at once', async () => {
		const { base, reads, cache, noDocument } = await setup();
		await base.appendUpdate(MAP, EMPTY_UPDATE, { journal: [create(T, 'faculty')] });
		const [a, b, c] = await Promise.all([cache.voices(MAP, noDocument), cache.voices(MAP, noDocument), cache.voices(MAP, noDocument)]);
		expect(a).toBe(b);
		expect(b).toBe(c);
		// One look for any record at all, one page of creates.
		expect(reads.calls).toBe(2);
	});

	it(`keeps the newest ${MAX_VOICE_ENTRIES} create records and says older ones were left out`, async () => {
		const { base, clock, cache, noDocument } = await setup();
		const records = Array.from({ length: MAX_VOICE_ENTRIES + 5 }, (_, i) => create(T + i * 1000, i < 5 ? 'faculty' : 'community-member'));
		await base.appendUpdate(MAP, EMPTY_UPDATE, { journal: records });
		const voices = await cache.voices(MAP, noDocument);
		expect(voices.truncated).toBe(true);
		expect(voices.total).toBe(MAX_VOICE_ENTRIES);
		expect(voices.groups.campus.count).toBe(0);
		expect(voices.first).toBe(T + 5000);
		expect(await journalVoices(base, MAP)).toEqual(voices);

		// Three more: still the newest MAX_VOICE_ENTRIES, read incrementally.
		await base.appendUpdate(MAP, EMPTY_UPDATE, { journal: [create(T + 1e9, 'student'), create(T + 1e9 + 1, 'student'), create(T + 1e9 + 2, 'student')] });
		clock.advance(FRESH_MS);
		const later = await cache.voices(MAP, noDocument);
		expect(later.total).toBe(MAX_VOICE_ENTRIES);
		expect(later.truncated).toBe(true);
		expect(later.groups.campus.count).toBe(3);
		expect(later.first).toBe(T + 8000);
	});

	it('reads the whole journal again after REREAD_MS (its oldest records may have been dropped)', async () => {
		const base = createMemoryStore({ maxJournalBytesPerMap: 4000 });
		await base.createMap(mapRecord(MAP));
		let now = T;
		const cache = new VoicesCache(base, () => now);
		const noDocument = async () => [] as Uint8Array[];
		await base.appendUpdate(MAP, EMPTY_UPDATE, { journal: Array.from({ length: 10 }, (_, i) => create(T + i, 'faculty')) });
		expect((await cache.voices(MAP, noDocument)).total).toBe(10);
		// Enough new records that the store drops the oldest.
		await base.appendUpdate(MAP, EMPTY_UPDATE, { journal: Array.from({ length: 30 }, (_, i) => create(T + 100 + i, 'community-member')) });
		const stored = await base.readJournal(MAP, { kind: 'create', limit: 1000 });
		const kept = stored.length;
		expect(kept).toBeLessThan(30);
		// Until then the records held stay counted, with the new ones still stored.
		now += FRESH_MS;
		expect((await cache.voices(MAP, noDocument)).total).toBe(10 + stored.filter((row) => row.seq > 10).length);
		now += REREAD_MS;
		expect((await cache.voices(MAP, noDocument)).total).toBe(kept);
	});

	it('counts up to a moment for a snapshot, and the document when there is no journal', async () => {
		const { base, store, cache } = await setup();
		const doc = createDoc();
		initMap(doc, { title: 'Voices' }, T);
		addAsset(doc, { name: 'Garden', category: 'places', description: '', holder: '', tags: [], geometry: { type: 'Point', coordinates: [0, 0] } }, { id: 'mariaXXXXXXXXXXX', name: 'Maria', affiliation: 'community-member' }, T);
		let documentReads = 0;
		const documentUpdates = async () => {
			documentReads++;
			return [Y.encodeStateAsUpdate(doc)];
		};
		expect(await journalVoices(store, MAP)).toBeNull();
		const fromDocument = await cache.voices(MAP, documentUpdates);
		expect(fromDocument.source).toBe('document');
		expect(fromDocument.groups.community.count).toBe(1);
		expect(documentReads).toBe(1);

		await base.appendUpdate(MAP, EMPTY_UPDATE, { journal: [create(T + 10, 'faculty'), create(T + 20, 'student'), create(T + 30, 'student')] });
		const upTo = await journalVoices(store, MAP, T + 20);
		expect(upTo?.source).toBe('journal');
		expect(upTo?.total).toBe(2);
		expect(upTo?.last).toBe(T + 20);
	});
});
