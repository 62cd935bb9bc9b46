/**
 * Fan-out latency: 1 writer -> N stock y-websocket clients in one room on a real server
 * process. Every client lives in this process, so the numbers include their own decoding
 * on one thread; the server has the other core.
 *
 *   node --import tsx bench/fanout.ts [receivers=200] [ratePerSecond=20] [seconds=10]
 */
import { startTestServer } from '../tests/helpers/test-server.ts';
import { connectClient, createMap, withDeadline, type Client } from '../tests/helpers/sync-clients.ts';
import { summarize } from './stats.ts';

interface Sample {
	t: number;
}

export async function runFanout(receivers = 200, rate = 20, seconds = 10): Promise<void> {
	// Each stock provider adds a process "exit" listener.
	process.setMaxListeners(receivers + 20);
	const server = await startTestServer();
	const clients: Client[] = [];
	try {
		const map = await createMap(server.url, { title: 'Fan-out bench' });
		const writer = connectClient(server.syncUrl, map.id, map.keys.editor);
		clients.push(writer);
		const latencies: number[] = [];
		const total = rate * seconds;
		let received = 0;
		let allReceived = () => {};
		const done = new Promise<void>((resolve) => (allReceived = resolve));

		for (let i = 0; i < receivers; i++) {
			const c = connectClient(server.syncUrl, map.id, map.keys.viewer);
			clients.push(c);
			c.doc.getMap<Sample>('bench').observe((event) => {
				const now = performance.now();
				for (const key of event.keysChanged) {
					const sample = c.doc.getMap<Sample>('bench').get(key);
					if (sample) latencies.push(now - sample.t);
					if (++received === total * receivers) allReceived();
				}
			});
		}
		await withDeadline(Promise.all(clients.map((c) => c.synced)), 'all clients to sync', 60_000);
		console.log(`fanout: ${receivers} receivers synced; sending ${total} updates at ${rate}/s`);

		const bench = writer.doc.getMap<Sample>('bench');
		const start = performance.now();
		for (let i = 0; i < total; i++) {
			const due = start + (i * 1000) / rate;
			const wait = due - performance.now();
			if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
			writer.doc.transact(() => bench.set(`u${i}`, { t: performance.now() }));
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
