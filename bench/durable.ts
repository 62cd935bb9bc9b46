/**
 * Durable updates per second: 100 writers, each on its own map with a watcher, as fast as
 * the server lets them. A writer sends its next update once the watcher has received the
 * previous one, and the server sends nothing before it is committed to SQLite
 * (synchronous=FULL). So every counted update is on disk: acknowledged. Then the same 100
 * writers on one map.
 *
 *   node --import tsx bench/durable.ts [writers=100] [seconds=8]
 */
import * as decoding from 'lib0/decoding';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { startTestServer, type TestServer } from '../tests/helpers/test-server.ts';
import { createMap, requestFullState, waitForOpen, type CreatedMap } from '../tests/helpers/sync-clients.ts';
import { syncFrame } from '../tests/helpers/yjs-frames.ts';

interface Writer {
	ws: WebSocket;
	doc: Y.Doc;
	asset: Y.Map<unknown>;
}

async function writerOn(server: TestServer, map: CreatedMap, n: number): Promise<Writer> {
	const ws = new WebSocket(`${server.syncUrl}/${map.id}?key=${map.keys.editor}&device=bench-writer-device-${String(n).padStart(4, '0')}`);
	ws.on('error', () => {});
	await waitForOpen(ws);
	const doc = new Y.Doc();
	Y.applyUpdate(doc, await requestFullState(ws));
	ws.send(syncFrame('step2', Y.encodeStateAsUpdate(new Y.Doc())));
	const known = Y.encodeStateVector(doc);
	const asset = new Y.Map<unknown>();
	doc.getMap('assets').set(`writer-${n}`, asset);
	ws.send(syncFrame('update', Y.encodeStateAsUpdate(doc, known)));
	return { ws, doc, asset };
}

/** Hands every sync update a socket receives to `onUpdate` (the server may merge several into one). */
async function watcherOn(server: TestServer, map: CreatedMap, onUpdate: (update: Uint8Array) => void): Promise<WebSocket> {
	const ws = new WebSocket(`${server.syncUrl}/${map.id}?key=${map.keys.viewer}`);
	ws.on('error', () => {});
	await waitForOpen(ws);
	ws.on('message', (data: Buffer) => {
		const decoder = decoding.createDecoder(new Uint8Array(data));
		if (decoding.readVarUint(decoder) === 0 && decoding.readVarUint(decoder) === 2) onUpdate(decoding.readVarUint8Array(decoder));
	});
	return ws;
}

function nextUpdate(writer: Writer, n: number): Uint8Array {
	const known = Y.encodeStateVector(writer.doc);
	writer.asset.set('n', n);
	return syncFrame('update', Y.encodeStateAsUpdate(writer.doc, known));
}

async function run(server: TestServer, writers: number, seconds: number, oneMap: boolean): Promise<string> {
	const maps = oneMap ? [await createMap(server.url)] : await Promise.all(Array.from({ length: writers }, () => createMap(server.url)));
	const all: Writer[] = [];
	let acknowledged = 0;
	let counting = false;
	const sockets: WebSocket[] = [];
	if (oneMap) {
		// One watcher sees everyone's updates (merged, when they were committed together); a new
		// round starts once every writer's latest has arrived.
		const seen = new Y.Doc();
		let round = 0;
		let arrived = 0;
		seen.getMap('assets').observeDeep((events) => {
			for (const event of events) if (event.path.length === 1 && (event.target as Y.Map<unknown>).get('n') === round) arrived++;
		});
		sockets.push(
			await watcherOn(server, maps[0], (update) => {
				const before = arrived;
				Y.applyUpdate(seen, update);
				if (counting) acknowledged += arrived - before;
				if (arrived === writers && counting) burst();
			})
		);
		const burst = () => {
			round++;
			arrived = 0;
			for (const writer of all) writer.ws.send(nextUpdate(writer, round));
		};
		// Writers join after the watcher, so it has every asset their updates change.
		for (let i = 0; i < writers; i++) all.push(await writerOn(server, maps[0], i));
		await new Promise((resolve) => setTimeout(resolve, 500));
		counting = true;
		const start = performance.now();
		burst();
		await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
		counting = false;
		const elapsed = (performance.now() - start) / 1000;
		for (const s of [...sockets, ...all.map((w) => w.ws)]) s.terminate();
		return `${writers} writers on one map: ${Math.round(acknowledged / elapsed)} acknowledged updates/s`;
	}
	for (let i = 0; i < writers; i++) all.push(await writerOn(server, maps[i], i));
	for (const [i, writer] of all.entries()) {
		let n = 0;
		sockets.push(
			await watcherOn(server, maps[i], () => {
				if (!counting) return;
				acknowledged++;
				writer.ws.send(nextUpdate(writer, ++n));
			})
		);
	}
	counting = true;
	const start = performance.now();
	for (const writer of all) writer.ws.send(nextUpdate(writer, 0));
	await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
	counting = false;
	const elapsed = (performance.now() - start) / 1000;
	for (const s of [...sockets, ...all.map((w) => w.ws)]) s.terminate();
	return `${writers} writers, each on its own map: ${Math.round(acknowledged / elapsed)} acknowledged updates/s`;
}

export async function runDurableBench(writers = 100, seconds = 8): Promise<void> {
	const server = await startTestServer({ MAX_SOCKETS_PER_ADDRESS: String(4 * writers + 50) });
	try {
		console.log(`durable: ${await run(server, writers, seconds, false)}`);
		console.log(`durable: ${await run(server, writers, seconds, true)}`);
	} finally {
		await server.dispose();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	const [writers, seconds] = process.argv.slice(2).map(Number);
	await runDurableBench(writers || undefined, seconds || undefined);
	process.exit(0);
}
