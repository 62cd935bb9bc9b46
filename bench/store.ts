/**
 * SQLite store throughput: durable appends per second (WAL + synchronous=FULL, one
 * fsync per commit) and the cost of compacting a 10,000-asset map.
 *
 *   node --import tsx bench/store.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { createSqliteStore } from '../server/persistence/sqlite.ts';
import { addAssetTo, buildMapDoc, contributor } from './fixtures.ts';

/** Realistic small updates: one person renaming and re-describing assets, one save at a time. */
function smallUpdates(count: number): Uint8Array[] {
	const doc = buildMapDoc(50);
	const updates: Uint8Array[] = [];
	doc.on('update', (update: Uint8Array) => updates.push(update));
	const assets = doc.getMap<Y.Map<unknown>>('assets');
	const ids = [...assets.keys()];
	for (let i = 0; i < count; i++) {
		const asset = assets.get(ids[i % ids.length])!;
		doc.transact(() => {
			asset.set('name', `Community garden, renamed ${i}`);
			asset.set('updatedBy', contributor(i));
			asset.set('updatedAt', 1_700_000_000_000 + i);
		});
	}
	return updates;
}

export async function runStoreBench(): Promise<void> {
	const dir = mkdtempSync(join(tmpdir(), 'atlas-bench-store-'));
	const store = createSqliteStore(dir);
	try {
		const updates = smallUpdates(2000);
		const avg = updates.reduce((n, u) => n + u.byteLength, 0) / updates.length;
		const start = performance.now();
		for (const update of updates) await store.appendUpdate('benchmap00', update);
		const seconds = (performance.now() - start) / 1000;
		console.log(
			`store: ${updates.length} sequential durable appends of ~${avg.toFixed(0)} B: ${(updates.length / seconds).toFixed(0)} commits/s (${((seconds * 1000) / updates.length).toFixed(2)} ms each)`
		);

		// A 10,000-asset map whose log holds one row per asset, as a workshop would leave it.
		const doc = new Y.Doc();
		const rows: Uint8Array[] = [];
		doc.on('update', (update: Uint8Array) => rows.push(update));
		for (let n = 0; n < 10_000; n++) addAssetTo(doc, n);
		let last = 0;
		const insertStart = performance.now();
		for (const row of rows) last = await store.appendUpdate('bigmap0000', row);
		const insertMs = performance.now() - insertStart;

		const loadStart = performance.now();
		const loaded = new Y.Doc();
		const stored = await store.loadUpdates('bigmap0000');
		loaded.transact(() => {
			for (const row of stored) Y.applyUpdate(loaded, row.data);
		});
		const loadMs = performance.now() - loadStart;
		const encodeStart = performance.now();
		const state = Y.encodeStateAsUpdate(loaded);
		const encodeMs = performance.now() - encodeStart;
		const compactStart = performance.now();
		await store.compact('bigmap0000', last, state);
		const compactMs = performance.now() - compactStart;
		console.log(
			`store: 10,000-asset map (${rows.length} rows, appended in ${insertMs.toFixed(0)} ms): ` +
				`load+apply ${loadMs.toFixed(0)} ms, encodeStateAsUpdate ${encodeMs.toFixed(0)} ms (${(state.byteLength / 1e6).toFixed(2)} MB), ` +
				`compact transaction ${compactMs.toFixed(0)} ms, room-side compaction total ${(encodeMs + compactMs).toFixed(0)} ms`
		);
		const reloadStart = performance.now();
		const again = new Y.Doc();
		for (const row of await store.loadUpdates('bigmap0000')) Y.applyUpdate(again, row.data);
		console.log(`store: loading the compacted 10,000-asset map: ${(performance.now() - reloadStart).toFixed(0)} ms`);
	} finally {
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	await runStoreBench();
}
