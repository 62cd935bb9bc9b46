/**
 * What compacting and loading a 10,000-asset map costs everyone else. An in-process server
 * (so the event loop can be watched directly) holds a 10,000-asset map whose log has
 * grown to the compaction threshold, and a second, quiet map whose editor keeps editing.
 * Prints the event-loop delay while the big map is loaded and while it is compacted
 * (which now happens in a worker thread), beside what encoding that map on the event loop
 * would have cost.
 *
 *   node --import tsx bench/compaction.ts [assets=10000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as Y from 'yjs';
import { createSqliteStore } from '../server/persistence/sqlite.ts';
import { startInProcess } from '../tests/helpers/in-process.ts';
import { connectClient, createMap, pollUntil, waitForDoc, type Client } from '../tests/helpers/sync-clients.ts';
import WebSocket from 'ws';
import { stateChunks } from '../server/persistence/state-chunks.js';
import { buildMapDoc } from './fixtures.ts';
import { summarize } from './stats.ts';

function delays(histogram: ReturnType<typeof monitorEventLoopDelay>): string {
	const ms = (ns: number) => (ns / 1e6).toFixed(0);
	return `event-loop delay p50 ${ms(histogram.percentile(50))} ms, p99 ${ms(histogram.percentile(99))} ms, max ${ms(histogram.max)} ms`;
}

export async function runCompactionBench(assets = 10_000): Promise<void> {
	const dir = mkdtempSync(join(tmpdir(), 'atlas-bench-compaction-'));
	const store = createSqliteStore(dir);
	const app = await startInProcess({}, { store, unloadGraceMs: 0 });
	const clients: Client[] = [];
	try {
		const big = await createMap(app.url, { title: 'Big' });
		const quiet = await createMap(app.url, { title: 'Quiet' });
		// The big map as a workshop leaves it: a compacted state (the quick-to-apply rows
		// compaction writes), then a log of small edits.
		const doc = buildMapDoc(assets);
		for (const chunk of stateChunks(Y.encodeStateAsUpdate(doc))) await store.appendUpdate(big.id, chunk);
		const edits: Uint8Array[] = [];
		doc.on('update', (update: Uint8Array) => edits.push(update));
		const ids = [...doc.getMap('assets').keys()];
		for (let i = 0; i < 440; i++) doc.getMap<Y.Map<unknown>>('assets').get(ids[i])!.set('name', `Renamed ${i}`);
		for (const edit of edits) await store.appendUpdate(big.id, edit);
		const encodeStart = performance.now();
		Y.encodeStateAsUpdate(doc);
		const encodeMs = performance.now() - encodeStart;

		const writer = connectClient(app.syncUrl, quiet.id, quiet.keys.editor, undefined, { params: { device: 'quiet-writer-device-1' } });
		const reader = connectClient(app.syncUrl, quiet.id, quiet.keys.viewer);
		clients.push(writer, reader);
		await Promise.all([writer.synced, reader.synced]);
		const mine = new Y.Map<unknown>();
		writer.doc.getMap('assets').set('quiet', mine);
		let running = true;
		/** [when it started, how long it took] */
		const trips: Array<[number, number]> = [];
		const quietEdits = (async () => {
			for (let n = 0; running; n++) {
				const start = performance.now();
				mine.set('n', n);
				await waitForDoc(reader.doc, (d) => d.getMap<Y.Map<unknown>>('assets').get('quiet')?.get('n') === n, 'quiet edit', 30_000);
				trips.push([start, performance.now() - start]);
			}
		})();

		// Someone opens the big map: a raw socket, so that only the server's work is on this
		// event loop (a real client applies the map on its own device). The server sends its
		// sync step 1 once it has applied every stored row.
		const loading = monitorEventLoopDelay({ resolution: 5 });
		const loadStart = performance.now();
		loading.enable();
		const opener = new WebSocket(`${app.syncUrl}/${big.id}?key=${big.keys.viewer}`);
		await new Promise<void>((resolve) => {
			opener.on('message', (data: Buffer) => {
				if (data[0] === 0 && data[1] === 0) resolve();
			});
		});
		opener.terminate();
		loading.disable();
		const loadEnd = performance.now();
		const editor = connectClient(app.syncUrl, big.id, big.keys.facilitator);
		clients.push(editor);
		await waitForDoc(editor.doc, (d) => d.getMap('assets').size === assets, 'the big map', 120_000);

		const compacting = monitorEventLoopDelay({ resolution: 5 });
		compacting.enable();
		const start = performance.now();
		const between = (from: number, to: number) => trips.filter(([at]) => at >= from && at < to).map(([, ms]) => ms);
		// More edits, one commit each, push the log past 500 rows: the room asks the store to compact.
		for (let i = 0; i < 40; i++) {
			editor.doc.getMap<Y.Map<unknown>>('assets').get(ids[i])!.set('holder', `Edit ${i}`);
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
		await pollUntil(async () => (await store.countUpdates(big.id)) < 60, 'compaction', 120_000);
		const end = performance.now();
		const compactMs = end - start;
		compacting.disable();
		running = false;
		await quietEdits;
		console.log(`compaction: loading the ${assets.toLocaleString('en')}-asset map (a compacted state and 440 edits, done in ${(loadEnd - loadStart).toFixed(0)} ms) while another map edits: ${delays(loading)}; quiet editor round trip ${summarize(between(loadStart, loadEnd))}`);
		console.log(`compaction: compacting it (worker thread, done in ${compactMs.toFixed(0)} ms): ${delays(compacting)}; quiet editor round trip ${summarize(between(start, end))}`);
		console.log(`compaction: encoding that map on the event loop instead would hold it ${encodeMs.toFixed(0)} ms (plus applying the log)`);
	} finally {
		for (const c of clients) c.destroy();
		await app.close();
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	const [assets] = process.argv.slice(2).map(Number);
	await runCompactionBench(assets || undefined);
	process.exit(0);
}
