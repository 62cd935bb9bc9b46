/**
 * Presence at scale: 500 sockets on one map, each sending its own state twice a second
 * (a cursor moving), for 10 s. Prints the server's CPU and memory, and the round trip of a
 * calm editor on another map meanwhile. Every socket reads what it is sent (everyone's
 * latest states, once per tick), so this is also what 500 people's presence costs.
 *
 *   node --import tsx bench/presence.ts [sockets=500] [seconds=10]
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { startTestServer, type TestServer } from '../tests/helpers/test-server.ts';
import { connectClient, createMap, waitForDoc, waitForOpen } from '../tests/helpers/sync-clients.ts';
import { awarenessFrame } from '../tests/helpers/yjs-frames.ts';
import { summarize } from './stats.ts';

/** The server process's CPU seconds so far and its resident memory in MB (Linux /proc). */
function usage(server: TestServer): { cpu: number; rssMb: number } {
	const stat = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
	const ticks = Number(stat[11]) + Number(stat[12]);
	const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1];
	return { cpu: ticks / 100, rssMb: Number(rss) / 1024 };
}

export async function runPresenceBench(sockets = 500, seconds = 10): Promise<void> {
	process.setMaxListeners(50);
	const server = await startTestServer({ MAX_SOCKETS_PER_ADDRESS: String(sockets + 50) });
	try {
		const crowd = await createMap(server.url, { title: 'Crowd' });
		const quiet = await createMap(server.url, { title: 'Quiet' });
		const writer = connectClient(server.syncUrl, quiet.id, quiet.keys.editor, undefined, { params: { device: 'calm-writer-device-01' } });
		const reader = connectClient(server.syncUrl, quiet.id, quiet.keys.viewer);
		await Promise.all([writer.synced, reader.synced]);
		const mine = new Y.Map<unknown>();
		writer.doc.getMap('assets').set('calm', mine);

		const people: WebSocket[] = [];
		let received = 0;
		for (let i = 0; i < sockets; i++) {
			const ws = new WebSocket(`${server.syncUrl}/${crowd.id}?key=${crowd.keys.viewer}&name=Person%20${i}`);
			ws.on('error', () => {});
			ws.on('message', (data: Buffer) => (received += data.byteLength));
			people.push(ws);
		}
		await Promise.all(people.map(waitForOpen));
		const before = usage(server);
		const started = performance.now();
		let clock = 0;
		const timer = setInterval(() => {
			clock++;
			for (const [i, ws] of people.entries()) ws.send(awarenessFrame([{ clientId: 50_000 + i, clock, state: { user: { color: '#0b5cad' }, cursor: [clock, i] } }]));
		}, 500);
		const trips: number[] = [];
		let peakRss = before.rssMb;
		for (let n = 0; performance.now() - started < seconds * 1000; n++) {
			const start = performance.now();
			mine.set('n', n);
			await waitForDoc(reader.doc, (d) => d.getMap<Y.Map<unknown>>('assets').get('calm')?.get('n') === n, 'calm edit', 30_000);
			trips.push(performance.now() - start);
			if (n % 20 === 0) peakRss = Math.max(peakRss, usage(server).rssMb);
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
		clearInterval(timer);
		const after = usage(server);
		const elapsed = (performance.now() - started) / 1000;
		console.log(
			`presence: ${sockets} sockets × 2 states/s for ${elapsed.toFixed(0)} s: server CPU ${(((after.cpu - before.cpu) / elapsed) * 100).toFixed(0)}% of a core, ` +
				`memory ${before.rssMb.toFixed(0)} → peak ${peakRss.toFixed(0)} MB, the crowd received ${(received / elapsed / 1e6).toFixed(1)} MB/s`
		);
		console.log(`presence: a calm editor on another map meanwhile: round trip ${summarize(trips)}`);
		for (const ws of people) ws.terminate();
		writer.destroy();
		reader.destroy();
	} finally {
		await server.dispose();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	const [sockets, seconds] = process.argv.slice(2).map(Number);
	await runPresenceBench(sockets || undefined, seconds || undefined);
	process.exit(0);
}
