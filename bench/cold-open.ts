/**
 * Cold open: a 10,000-asset map opened right after the server restarted. The server loads
 * it from disk and a fresh stock client syncs it (the time until its document holds every
 * asset), against what Yjs itself takes to apply that state in one process.
 *
 *   node --import tsx bench/cold-open.ts [assets=10000] [rounds=5]
 */
import * as Y from 'yjs';
import { startTestServer } from '../tests/helpers/test-server.ts';
import { connectClient, waitForDoc } from '../tests/helpers/sync-clients.ts';
import { seedMap } from './browser.ts';
import { buildMapDoc } from './fixtures.ts';
import { summarize } from './stats.ts';

export async function runColdOpen(assets = 10_000, rounds = 5): Promise<void> {
	const state = Y.encodeStateAsUpdate(buildMapDoc(assets));
	const applyMs: number[] = [];
	for (let i = 0; i < rounds; i++) {
		const start = performance.now();
		Y.applyUpdate(new Y.Doc(), state);
		applyMs.push(performance.now() - start);
	}

	process.setMaxListeners(50);
	const server = await startTestServer();
	try {
		const { map } = await seedMap(server, assets);
		const openMs: number[] = [];
		for (let i = 0; i < rounds; i++) {
			// SIGTERM: the server compacts and exits; the next process loads one row.
			await server.kill('SIGTERM');
			await server.restart();
			const start = performance.now();
			const fresh = connectClient(server.syncUrl, map.id, map.keys.viewer);
			await waitForDoc(fresh.doc, (doc) => doc.getMap('assets').size === assets, 'cold open', 60_000);
			openMs.push(performance.now() - start);
			fresh.destroy();
		}
		const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
		console.log(`cold open, ${assets.toLocaleString('en')} assets (${(state.byteLength / 1e6).toFixed(1)} MB): Yjs applying the state in one process ${summarize(applyMs)}`);
		console.log(`cold open: restart, then a fresh stock client until it holds every asset ${summarize(openMs)}; median ratio ${(median(openMs) / median(applyMs)).toFixed(1)}×`);
	} finally {
		await server.dispose();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	const [assets, rounds] = process.argv.slice(2).map(Number);
	await runColdOpen(assets || undefined, rounds || undefined);
	process.exit(0);
}
