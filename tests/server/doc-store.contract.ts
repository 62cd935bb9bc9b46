/**
 * The behavior every DocStore backend must have. Each backend's test file calls
 * docStoreContract with a factory; a backend that persists also passes `reopen`.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { FIRST_GENERATIONS, hashKeys, keysFor, newFacilitatorKey } from '../../server/auth.ts';
import {
	AnnotationLimitError,
	JoinCodeTakenError,
	MapExistsError,
	SnapshotLimitError,
	type DocStore,
	type MapRecord,
	type SnapshotRecord
} from '../../server/persistence/doc-store.ts';

export interface StoreFactory {
	/** A fresh, empty store. */
	create(options?: { maxJournalBytesPerMap?: number }): Promise<{ store: DocStore; reopen?: () => Promise<DocStore> }>;
}

let counter = 0;
function record(overrides: Partial<MapRecord> = {}): MapRecord {
	const id = `contract${String(counter++).padStart(2, '0')}`.slice(-10);
	return {
		id,
		title: 'A map',
		place: 'Somewhere',
		createdAt: 1_700_000_000_000,
		keyHashes: hashKeys(keysFor(newFacilitatorKey(), id, { ...FIRST_GENERATIONS })),
		keyGenerations: { ...FIRST_GENERATIONS },
		linkSecret: null,
		...overrides
	};
}

function update(key: string, value: number): Uint8Array {
	const doc = new Y.Doc();
	doc.getMap('m').set(key, value);
	return Y.encodeStateAsUpdate(doc);
}

function replay(rows: Array<{ data: Uint8Array }>): Y.Doc {
	const doc = new Y.Doc();
	for (const row of rows) Y.applyUpdate(doc, row.data);
	return doc;
}

let snapshotCounter = 0;
function snapshot(mapId: string, overrides: Partial<SnapshotRecord> = {}): SnapshotRecord {
	const n = snapshotCounter++;
	return {
		id: `snap${String(n).padStart(18, '0')}`,
		mapId,
		takenAt: 1_700_000_000_000 + n,
		takenBy: { name: 'Ana', affiliation: 'faculty' },
		state: update('s', n),
		geojson: new TextEncoder().encode(`{"n":${n}}\n`),
		sha256: 'a'.repeat(64),
		meta: { title: 'A map', counts: { assets: n } },
		annotationKeyHash: 'b'.repeat(64),
		annotations: [],
		png: null,
		pngSha256: null,
		...overrides
	};
}

export function docStoreContract(name: string, factory: StoreFactory): void {
	describe(`DocStore contract: ${name}`, () => {
		it('creates and reads map records; refuses a duplicate id', async () => {
			const { store } = await factory.create();
			const map = record({ title: 'Eastside', place: '' });
			await store.createMap(map);
			expect(await store.getMap(map.id)).toEqual(map);
			expect(await store.getMap('missing000')).toBeNull();
			await expect(store.createMap({ ...map, title: 'other' })).rejects.toBeInstanceOf(MapExistsError);
			expect((await store.getMap(map.id))?.title).toBe('Eastside');
			await store.close();
		});

		it('rotates one role\'s key only from the current generation, and keeps it on reopen', async () => {
			const { store, reopen } = await factory.create();
			const map = record();
			await store.createMap(map);
			expect(await store.rotateKey(map.id, 'editor', 0, 'e'.repeat(64))).toBe(true);
			// A second rotation from the same generation loses.
			expect(await store.rotateKey(map.id, 'editor', 0, 'f'.repeat(64))).toBe(false);
			expect(await store.rotateKey('missing000', 'viewer', 0, 'f'.repeat(64))).toBe(false);
			const expected = { ...map, keyHashes: { ...map.keyHashes, editor: 'e'.repeat(64) }, keyGenerations: { facilitator: 0, editor: 1, viewer: 0 } };
			expect(await store.getMap(map.id)).toEqual(expected);
			if (reopen) {
				await store.close();
				const again = await reopen();
				expect(await again.getMap(map.id)).toEqual(expected);
				await again.close();
			} else await store.close();
		});

		it('files one join code per map, replaces it, and refuses another map\'s code', async () => {
			const { store } = await factory.create();
			const a = record();
			const b = record();
			await store.createMap(a);
			await store.createMap(b);
			await store.setJoinCode(a.id, 'hash-1', new Uint8Array([1, 2, 3]));
			expect(await store.findJoinCode('hash-1')).toEqual({ mapId: a.id, sealed: new Uint8Array([1, 2, 3]) });
			// Same code again for the same map (repeated GET links) is fine.
			await store.setJoinCode(a.id, 'hash-1', new Uint8Array([4]));
			expect(await store.findJoinCode('hash-1')).toEqual({ mapId: a.id, sealed: new Uint8Array([4]) });
			await expect(store.setJoinCode(b.id, 'hash-1', new Uint8Array([9]))).rejects.toBeInstanceOf(JoinCodeTakenError);
			await store.setJoinCode(a.id, 'hash-2', new Uint8Array([5]));
			expect(await store.findJoinCode('hash-1')).toBeNull();
			expect((await store.findJoinCode('hash-2'))?.mapId).toBe(a.id);
			expect(await store.findJoinCode('nope')).toBeNull();
			await store.close();
		});

		it('appends updates with increasing seq, per map, and loads them in order', async () => {
			const { store } = await factory.create();
			const seqs = [
				await store.appendUpdate('mapaaaaaaa', update('a', 1)),
				await store.appendUpdate('mapaaaaaaa', update('b', 2)),
				await store.appendUpdate('mapbbbbbbb', update('x', 9)),
				await store.appendUpdate('mapaaaaaaa', update('c', 3))
			];
			expect(seqs[1]).toBeGreaterThan(seqs[0]);
			expect(seqs[3]).toBeGreaterThan(seqs[1]);
			const rows = await store.loadUpdates('mapaaaaaaa');
			expect(rows.map((r) => r.seq)).toEqual([seqs[0], seqs[1], seqs[3]]);
			expect(replay(rows).getMap('m').toJSON()).toEqual({ a: 1, b: 2, c: 3 });
			expect(await store.countUpdates('mapaaaaaaa')).toBe(3);
			expect(await store.countUpdates('mapbbbbbbb')).toBe(1);
			expect(await store.loadUpdates('nothing000')).toEqual([]);
			expect(await store.countUpdates('nothing000')).toBe(0);
			await store.close();
		});

		it('returns bytes equal to what was appended, not aliased to the caller', async () => {
			const { store } = await factory.create();
			const bytes = update('k', 1);
			const copy = bytes.slice();
			await store.appendUpdate('mapccccccc', bytes);
			bytes.fill(0);
			const [row] = await store.loadUpdates('mapccccccc');
			expect(Array.from(row.data)).toEqual(Array.from(copy));
			await store.close();
		});

		it('compacts rows up to a seq into one state row and keeps later rows', async () => {
			const { store } = await factory.create();
			const doc = new Y.Doc();
			const pending: Uint8Array[] = [];
			doc.on('update', (u: Uint8Array) => pending.push(u));
			for (let i = 0; i < 10; i++) doc.getMap('m').set(`k${i}`, i);
			const real: number[] = [];
			for (const u of pending) real.push(await store.appendUpdate('mapddddddd', u));
			const upTo = real[6];
			const partial = new Y.Doc();
			for (const row of (await store.loadUpdates('mapddddddd')).filter((r) => r.seq <= upTo)) Y.applyUpdate(partial, row.data);

			await store.compact('mapddddddd', upTo, Y.encodeStateAsUpdate(partial));
			const rows = await store.loadUpdates('mapddddddd');
			expect(rows.map((r) => r.seq)).toEqual([upTo, real[7], real[8], real[9]]);
			expect(await store.countUpdates('mapddddddd')).toBe(4);
			expect(replay(rows).getMap('m').toJSON()).toEqual(doc.getMap('m').toJSON());
			const next = await store.appendUpdate('mapddddddd', update('later', 1));
			expect(next).toBeGreaterThan(real[9]);
			await store.close();
		});

		it('merges its own rows (compactStored) into a few in order, leaving later ones, the journal and the content as they were', async () => {
			const { store } = await factory.create();
			const doc = new Y.Doc();
			const rows: Uint8Array[] = [];
			doc.on('update', (u: Uint8Array) => rows.push(u));
			for (let i = 0; i < 8; i++) doc.getMap('m').set(`k${i}`, 'x'.repeat(100 * i));
			for (let i = 0; i < 5; i++) doc.getMap('m').set('k7', `overwritten ${i}`);
			const seqs: number[] = [];
			for (const [i, row] of rows.entries()) {
				seqs.push(await store.appendUpdate('mapfffffff', row, i === 0 ? { journal: [{ at: 1, role: 'editor', name: 'A', affiliation: null, collection: 'meta', entry: 'meta', kind: 'update', fields: {} }] } : {}));
			}
			const before = store.storedBytes();
			const merged = await store.compactStored('mapfffffff', seqs[10]);
			const after = await store.loadUpdates('mapfffffff');
			expect(merged.rows).toBeLessThan(11);
			expect(after.map((r) => r.seq).slice(merged.rows - 1)).toEqual([seqs[10], seqs[11], seqs[12]]);
			expect(after.slice(0, merged.rows).reduce((sum, r) => sum + r.data.byteLength, 0)).toBe(merged.bytes);
			expect(replay(after).getMap('m').toJSON()).toEqual(doc.getMap('m').toJSON());
			expect(store.storedBytes()).toBeLessThan(before);
			expect(await store.readJournal('mapfffffff', { limit: 5 })).toHaveLength(1);
			// Merging a single row leaves it as it is.
			await store.compactStored('mapfffffff', seqs[12]);
			const once = await store.loadUpdates('mapfffffff');
			expect(await store.compactStored('mapfffffff', once[0].seq)).toEqual({ bytes: once[0].data.byteLength, rows: 1 });
			await store.close();
		});

		it('loads what a document holding rows up to a seq lacks (loadUpdatesSince), and where each map\'s log stands (logHeads)', async () => {
			const { store } = await factory.create();
			const seqs = [
				await store.appendUpdate('mapsince01', update('a', 1)),
				await store.appendUpdate('mapsince01', update('b', 2)),
				await store.appendUpdate('mapsince02', update('x', 9)),
				await store.appendUpdate('mapsince01', update('c', 3))
			];
			expect((await store.loadUpdatesSince('mapsince01', 0)).map((r) => r.seq)).toEqual([seqs[0], seqs[1], seqs[3]]);
			expect((await store.loadUpdatesSince('mapsince01', seqs[1])).map((r) => r.seq)).toEqual([seqs[3]]);
			expect(await store.loadUpdatesSince('mapsince01', seqs[3])).toEqual([]);
			expect(await store.loadUpdatesSince('nothing000', 0)).toEqual([]);
			const since = await store.loadUpdatesSince('mapsince01', seqs[0]);
			const partial = replay((await store.loadUpdates('mapsince01')).slice(0, 1));
			for (const row of since) Y.applyUpdate(partial, row.data);
			expect(partial.getMap('m').toJSON()).toEqual({ a: 1, b: 2, c: 3 });

			const heads = await store.logHeads(['mapsince01', 'mapsince02', 'nothing000']);
			const bytesOf = async (mapId: string) => (await store.loadUpdates(mapId)).reduce((sum, row) => sum + row.data.byteLength, 0);
			const none = { facilitator: 0, editor: 0, viewer: 0 };
			expect(heads.get('mapsince01')).toEqual({ seq: seqs[3], bytes: await bytesOf('mapsince01'), generations: none });
			expect(heads.get('mapsince02')).toEqual({ seq: seqs[2], bytes: await bytesOf('mapsince02'), generations: none });
			expect(heads.get('nothing000')).toEqual({ seq: 0, bytes: 0, generations: none });
			expect((await store.logHeads([])).size).toBe(0);
			await store.close();
		});

		it('logHeads reads each map\'s key generations with its head, in the same call: a replaced key is seen by the poll', async () => {
			const { store } = await factory.create();
			const withRows = record();
			const withoutRows = record({ keyGenerations: { facilitator: 2, editor: 5, viewer: 1 } });
			await store.createMap(withRows);
			await store.createMap(withoutRows);
			const row = update('a', 1);
			const seq = await store.appendUpdate(withRows.id, row);
			expect(await store.rotateKey(withRows.id, 'viewer', 0, 'v'.repeat(64))).toBe(true);
			expect(await store.rotateKey(withRows.id, 'viewer', 1, 'w'.repeat(64))).toBe(true);
			expect(await store.rotateKey(withRows.id, 'facilitator', 0, 'f'.repeat(64), new Uint8Array([1]))).toBe(true);
			const heads = await store.logHeads([withRows.id, withoutRows.id, 'norecord00']);
			expect(heads.get(withRows.id)).toEqual({ seq, bytes: row.byteLength, generations: { facilitator: 1, editor: 0, viewer: 2 } });
			expect(heads.get(withoutRows.id)).toEqual({ seq: 0, bytes: 0, generations: { facilitator: 2, editor: 5, viewer: 1 } });
			expect(heads.get('norecord00')).toEqual({ seq: 0, bytes: 0, generations: { facilitator: 0, editor: 0, viewer: 0 } });
			// The generations are the map record's, as getMap reads them.
			expect((await store.getMap(withRows.id))!.keyGenerations).toEqual(heads.get(withRows.id)!.generations);
			await store.close();
		});

		it('after a compaction past the seq asked for, loadUpdatesSince gives every row: the merged rows stand for seqs the caller holds only some of', async () => {
			const { store } = await factory.create();
			const doc = new Y.Doc();
			const rows: Uint8Array[] = [];
			doc.on('update', (u: Uint8Array) => rows.push(u));
			for (let i = 0; i < 8; i++) doc.getMap('m').set(`k${i}`, i);
			// Overwrites leave deletions: the merged state is written as two rows or more.
			for (let i = 0; i < 5; i++) doc.getMap('m').set('k7', `overwritten ${i}`);
			const seqs: number[] = [];
			for (const row of rows) seqs.push(await store.appendUpdate('mapsince03', row));
			const merged = await store.compactStored('mapsince03', seqs[10]);
			expect(merged.rows).toBeGreaterThan(1);
			const after = await store.loadUpdates('mapsince03');
			// A document that held the rows up to one inside the merged range, and one from before it.
			for (const held of [seqs[10] - 1, seqs[2], 0]) {
				const partial = new Y.Doc();
				for (const [i, row] of rows.entries()) if (seqs[i] <= held) Y.applyUpdate(partial, row);
				const since = await store.loadUpdatesSince('mapsince03', held);
				expect(since.map((r) => r.seq), `since ${held}`).toEqual(after.map((r) => r.seq));
				for (const row of since) Y.applyUpdate(partial, row.data);
				expect(partial.getMap('m').toJSON()).toEqual(doc.getMap('m').toJSON());
				expect(partial.store.pendingStructs).toBeNull();
			}
			// From the merged seq on, only what came after it.
			expect((await store.loadUpdatesSince('mapsince03', seqs[10])).map((r) => r.seq)).toEqual([seqs[11], seqs[12]]);
			expect((await store.logHeads(['mapsince03'])).get('mapsince03')).toEqual({
				seq: seqs[12],
				bytes: after.reduce((sum, row) => sum + row.data.byteLength, 0),
				generations: { facilitator: 0, editor: 0, viewer: 0 }
			});
			await store.close();
		});

		it('compacting everything leaves a single row', async () => {
			const { store } = await factory.create();
			const doc = new Y.Doc();
			let last = 0;
			for (let i = 0; i < 5; i++) {
				doc.getMap('m').set(`k${i}`, i);
				last = await store.appendUpdate('mapeeeeeee', Y.encodeStateAsUpdate(doc));
			}
			await store.compact('mapeeeeeee', last, Y.encodeStateAsUpdate(doc));
			expect(await store.countUpdates('mapeeeeeee')).toBe(1);
			expect(replay(await store.loadUpdates('mapeeeeeee')).getMap('m').size).toBe(5);
			await store.close();
		});

		it('stores journal records and client owners in the same append; compaction keeps them', async () => {
			const { store, reopen } = await factory.create();
			const map = record();
			await store.createMap(map);
			const entry = (n: number) => ({
				at: 1_700_000_000_000 + n,
				role: 'editor' as const,
				name: `Person ${n}`,
				affiliation: 'student' as const,
				collection: 'assets' as const,
				entry: n % 2 === 0 ? 'even' : 'odd',
				kind: 'update' as const,
				fields: { name: `Name ${n}`, tags: ['a', 'b'], description: null }
			});
			let last = 0;
			for (let n = 0; n < 6; n++) {
				last = await store.appendUpdate(map.id, update(`k${n}`, n), { journal: [entry(n)], owners: [{ client: 1000 + (n % 2), device: `d:${n % 2}` }] });
			}
			// The first device to write under a client id keeps it.
			await store.appendUpdate(map.id, update('x', 1), { owners: [{ client: 1000, device: 'd:other' }] });
			expect((await store.loadOwners(map.id)).sort((a, b) => a.client - b.client)).toEqual([
				{ client: 1000, device: 'd:0' },
				{ client: 1001, device: 'd:1' }
			]);
			await store.compact(map.id, last, update('state', 1));
			const all = await store.readJournal(map.id, { limit: 10 });
			expect(all.map((e) => e.name)).toEqual(['Person 5', 'Person 4', 'Person 3', 'Person 2', 'Person 1', 'Person 0']);
			expect(all[0]).toMatchObject({ ...entry(5), seq: all[0].seq });
			const even = await store.readJournal(map.id, { entry: 'even', limit: 2 });
			expect(even.map((e) => e.name)).toEqual(['Person 4', 'Person 2']);
			const older = await store.readJournal(map.id, { entry: 'even', limit: 2, before: even[1].seq });
			expect(older.map((e) => e.name)).toEqual(['Person 0']);
			expect(await store.readJournal(map.id, { kind: 'create', limit: 10 })).toEqual([]);
			expect(await store.readJournal('nothing000', { limit: 10 })).toEqual([]);
			if (reopen) {
				await store.close();
				const again = await reopen();
				expect((await again.readJournal(map.id, { limit: 10 })).map((e) => e.name)).toEqual(all.map((e) => e.name));
				expect(await again.loadOwners(map.id)).toHaveLength(2);
				await again.close();
			} else await store.close();
		});

		it('counts history in its stored bytes and keeps each map’s history under its cap, newest first', async () => {
			const cap = 8 * 1024;
			const { store, reopen } = await factory.create({ maxJournalBytesPerMap: cap });
			const map = record();
			const other = record();
			await store.createMap(map);
			await store.createMap(other);
			const note = (n: number) => ({
				at: n,
				role: 'editor' as const,
				name: `Person ${n}`,
				affiliation: null,
				collection: 'assets' as const,
				entry: 'a1',
				kind: 'update' as const,
				fields: { description: `edit ${n} `.padEnd(200, '.') }
			});
			const tiny = update('k', 1);
			await store.appendUpdate(other.id, tiny, { journal: [note(-1)] });
			const before = store.storedBytes();
			await store.appendUpdate(map.id, tiny, { journal: [note(0)] });
			// The history counts, not only the update.
			expect(store.storedBytes() - before).toBeGreaterThan(tiny.byteLength + 200);
			for (let n = 1; n < 200; n++) await store.appendUpdate(map.id, tiny, { journal: [note(n)] });
			const kept = await store.readJournal(map.id, { limit: 200 });
			expect(kept.length).toBeLessThan(200);
			expect(kept.length).toBeGreaterThan(10);
			// Newest kept, contiguous from the latest back.
			expect(kept.map((e) => e.at)).toEqual(Array.from({ length: kept.length }, (_, i) => 199 - i));
			// Stored bytes stay near the cap, not 200 records' worth.
			expect(store.storedBytes() - before).toBeLessThan(cap + 200 * tiny.byteLength + 1024);
			// Another map's history is untouched.
			expect((await store.readJournal(other.id, { limit: 5 })).map((e) => e.at)).toEqual([-1]);
			if (reopen) {
				const total = store.storedBytes();
				await store.close();
				const again = await reopen();
				expect(again.storedBytes()).toBe(total);
				await again.close();
			} else await store.close();
		});

		it('replaces the facilitator key and files the link secret only once', async () => {
			const { store } = await factory.create();
			const map = record();
			await store.createMap(map);
			expect(await store.rotateKey(map.id, 'facilitator', 0, 'a'.repeat(64), new Uint8Array([1, 2]))).toBe(true);
			expect(await store.rotateKey(map.id, 'facilitator', 1, 'b'.repeat(64), new Uint8Array([9]))).toBe(true);
			const stored = await store.getMap(map.id);
			expect(stored?.keyHashes.facilitator).toBe('b'.repeat(64));
			expect(stored?.keyGenerations).toEqual({ facilitator: 2, editor: 0, viewer: 0 });
			expect(stored?.linkSecret).toEqual(new Uint8Array([1, 2]));
			await store.close();
		});

		it('files snapshots, lists a map\'s newest first, caps them per map, and counts their bytes', async () => {
			const { store, reopen } = await factory.create();
			const before = store.storedBytes();
			const a = snapshot('mapsnapaaa', { takenBy: null });
			const b = snapshot('mapsnapaaa');
			const other = snapshot('mapsnapbbb');
			await store.createSnapshot(a);
			await store.createSnapshot(b);
			await store.createSnapshot(other);
			expect(store.storedBytes()).toBeGreaterThan(before + a.geojson.byteLength + a.state.byteLength);
			expect(await store.getSnapshot(a.id)).toEqual(a);
			expect(await store.getSnapshot('nosuchsnapshot')).toBeNull();
			const list = await store.listSnapshots('mapsnapaaa');
			expect(list.map((s) => s.id)).toEqual([b.id, a.id]);
			expect(list[0]).toEqual({ id: b.id, mapId: b.mapId, takenAt: b.takenAt, takenBy: b.takenBy, sha256: b.sha256, meta: b.meta });
			expect(await store.listSnapshots('nothing000')).toEqual([]);
			await expect(store.createSnapshot(snapshot('mapsnapaaa'), 2)).rejects.toBeInstanceOf(SnapshotLimitError);
			await expect(store.createSnapshot({ ...snapshot('mapsnapaaa'), id: a.id })).rejects.toThrow();
			expect((await store.listSnapshots('mapsnapaaa')).length).toBe(2);
			// Bytes handed in are copied, not aliased.
			a.geojson.fill(0);
			expect((await store.getSnapshot(a.id))?.geojson[0]).toBe('{'.charCodeAt(0));
			if (reopen) {
				await store.close();
				const again = await reopen();
				expect(await again.getSnapshot(b.id)).toEqual(b);
				expect(again.storedBytes()).toBeGreaterThan(b.geojson.byteLength);
				await again.close();
			} else await store.close();
		});

		it('adds annotations to a snapshot, and nothing else about it changes', async () => {
			const { store, reopen } = await factory.create();
			const s = snapshot('mapsnapccc');
			await store.createSnapshot(s);
			const note = { id: 'n1', at: 5, text: 'We met the library.', competencies: ['connecting-assets'], by: 'annotator' as const };
			const bytes = store.storedBytes();
			expect(await store.addAnnotation(s.id, note)).toBe(true);
			expect(store.storedBytes()).toBeGreaterThan(bytes);
			expect(await store.addAnnotation('nosuchsnapshot', note)).toBe(false);
			expect(await store.getSnapshot(s.id)).toEqual({ ...s, annotations: [note] });
			await store.addAnnotation(s.id, { ...note, id: 'n2' }, 2);
			await expect(store.addAnnotation(s.id, { ...note, id: 'n3' }, 2)).rejects.toBeInstanceOf(AnnotationLimitError);
			if (reopen) {
				await store.close();
				const again = await reopen();
				expect((await again.getSnapshot(s.id))?.annotations.map((n) => n.id)).toEqual(['n1', 'n2']);
				await again.close();
			} else await store.close();
		});

		it('files a snapshot picture once and never replaces it', async () => {
			const { store, reopen } = await factory.create();
			const s = snapshot('mapsnapddd');
			await store.createSnapshot(s);
			const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
			const bytes = store.storedBytes();
			expect(await store.setSnapshotPng('nosuchsnapshot', png, 'aa')).toBe('missing');
			expect(await store.setSnapshotPng(s.id, png, 'first')).toBe('stored');
			expect(store.storedBytes()).toBe(bytes + png.byteLength);
			expect(await store.setSnapshotPng(s.id, new Uint8Array([9, 9]), 'second')).toBe('exists');
			png.fill(0);
			const stored = await store.getSnapshot(s.id);
			expect(stored?.pngSha256).toBe('first');
			expect([...(stored?.png ?? [])]).toEqual([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
			expect({ ...stored, png: null, pngSha256: null }).toEqual(s);
			if (reopen) {
				await store.close();
				const again = await reopen();
				expect((await again.getSnapshot(s.id))?.pngSha256).toBe('first');
				await again.close();
			} else await store.close();
		});

		it('keeps everything across a reopen (persistent backends)', async () => {
			const { store, reopen } = await factory.create();
			if (!reopen) {
				await store.close();
				return;
			}
			const map = record();
			await store.createMap(map);
			await store.appendUpdate(map.id, update('a', 1));
			const seq = await store.appendUpdate(map.id, update('b', 2));
			await store.close();
			const again = await reopen();
			expect(await again.getMap(map.id)).toEqual(map);
			expect(replay(await again.loadUpdates(map.id)).getMap('m').toJSON()).toEqual({ a: 1, b: 2 });
			expect(await again.appendUpdate(map.id, update('c', 3))).toBeGreaterThan(seq);
			await again.close();
		});
	});
}
