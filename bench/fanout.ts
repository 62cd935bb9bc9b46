/**
 * Fan-out latency: 1 writer -> N stock y-websocket clients in one room on a real server
 * process. Every client lives in this process, so the numbers include their own decoding
 * on one thread; the server has the other core.
 *
 * The writer does what an editor's screen does (server/rules.ts only lets editors write
 * entity fields): each update renames one of a few assets and stamps updatedAt. Here
 * updatedAt carries the writer's performance.now(), which every receiver in this process
 * can compare against its own clock.
 *
 *   node --import tsx bench/fanout.ts [receivers=200] [ratePerSecond=20] [seconds=10]
 */
import * as Y from 'yjs';
import { startTestServer } from '../tests/helpers/test-server.ts';
import { connectClient, createMap, withDeadline, type Client } from '../tests/helpers/sync-clients.ts';
import { assetFields } from './fixtures.ts';
import { summarize } from './stats.ts';

const BENCH_ASSETS = 20;

export async function runFanout(receivers = 200, rate = 20, seconds = 10): Promise<void> {
	// Each stock provider adds a process "exit" listener.
	process.setMaxListeners(receivers + 20);
	// Every client here comes from one address, far past what one router holds in a workshop.
	const server = await startTestServer({ MAX_SOCKETS_PER_ADDRESS: String(receivers + 50), MAX_SOCKETS_PER_KEY: String(receivers + 50) });
	const clients: Client[] = [];
	try {
		const map = await createMap(server.url, { title: 'Fan-out bench' });
		const writer = connectClient(server.syncUrl, map.id, map.keys.editor);
		clients.push(writer);
		await writer.synced;
		const assets = writer.doc.getMap<Y.Map<unknown>>('assets');
		writer.doc.transact(() => {
			for (let n = 0; n < BENCH_ASSETS; n++) {
				const fields = assetFields(n);
				const entity = new Y.Map<unknown>();
				for (const [key, value] of Object.entries(fields)) entity.set(key, value);
				assets.set(String(fields.id), entity);
			}
		});
		const latencies: number[] = [];
		const total = rate * seconds;
		let received = 0;
		let allReceived = () => {};
		const done = new Promise<void>((resolve) => (allReceived = resolve));

		for (let i = 0; i < receivers; i++) {
			// 200 per loopback address: like phones spread over a few Wi-Fi routers.
			const c = connectClient(server.syncUrl, map.id, map.keys.viewer, undefined, { localAddress: `127.0.8.${1 + Math.floor(i / 200)}`, syncDeadlineMs: 120_000 });
			clients.push(c);
			c.doc.getMap<Y.Map<unknown>>('assets').observeDeep((events) => {
				const now = performance.now();
				for (const event of events) {
					// Only field changes of an existing asset are samples (not the initial seed).
					if (!(event instanceof Y.YMapEvent) || event.target === c.doc.getMap('assets') || !event.keysChanged.has('updatedAt')) continue;
					const sentAt = (event.target as Y.Map<unknown>).get('updatedAt');
					if (typeof sentAt === 'number') latencies.push(now - sentAt);
					if (++received === total * receivers) allReceived();
				}
			});
		}
		await withDeadline(Promise.all(clients.map((c) => c.synced)), 'all clients to sync', 180_000);
		console.log(`fanout: ${receivers} receivers synced; sending ${total} updates at ${rate}/s`);

		const ids = [...assets.keys()];
		const start = performance.now();
		for (let i = 0; i < total; i++) {
			const due = start + (i * 1000) / rate;
			const wait = due - performance.now();
			if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
			const asset = assets.get(ids[i % ids.length])!;
			writer.doc.transact(() => {
				asset.set('name', `Community garden, renamed ${i}`);
				asset.set('updatedAt', performance.now());
			});
		}
		await withDeadline(done, 'every receiver to get every update', 60_000);
		console.log(`fanout delivery latency (writer transact -> receiver update event): ${summarize(latencies)}`);
	} finally {
		for (const c of clients) c.destroy();
		await server.dispose();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	const [receivers, rate, seconds] = process.argv.slice(2).map(Number);
	await runFanout(receivers || undefined, rate || undefined, seconds || undefined);
	process.exit(0);
}
