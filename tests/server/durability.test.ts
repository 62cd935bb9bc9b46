/**
 * "An update is on disk before any other client sees it" (shared/DESIGN.md), under load
 * and repeatedly: 20 stock y-websocket clients keep writing while the real server process
 * is SIGKILLed at a random moment and restarted on the same data dir and port, 20 times.
 * After every kill, everything any client had seen from another client must be in the
 * SQLite file; after every restart, every client must be back in sync within 5 s.
 *
 * Reproducible choice of kill moments: DURABILITY_SEED=<seed> (printed).
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { seededRandom } from '../helpers/connected-docs.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, createMap, pollUntil, waitForDoc, withDeadline, type Client } from '../helpers/sync-clients.ts';

const SEED = process.env.DURABILITY_SEED ? Number(process.env.DURABILITY_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const CLIENTS = 20;
const CYCLES = 20;
const RESYNC_DEADLINE_MS = 5000;

let server: TestServer;
const clients: Client[] = [];

beforeAll(async () => {
	server = await startTestServer();
});
afterAll(async () => {
	for (const c of clients.splice(0)) c.destroy();
	await server?.dispose();
});

/** The map as stored, read straight from the file while no server runs. */
function storedDoc(mapId: string): Y.Doc {
	const db = new Database(server.sqliteFile, { fileMustExist: true });
	try {
		const rows = db.prepare('SELECT data FROM doc_updates WHERE map_id = ? ORDER BY seq').all(mapId) as { data: Buffer }[];
		const doc = new Y.Doc();
		for (const row of rows) Y.applyUpdate(doc, new Uint8Array(row.data));
		return doc;
	} finally {
		db.close();
	}
}

const entryOf = (doc: Y.Doc, writer: number) => doc.getMap<Y.Map<unknown>>('assets').get(`w${writer}`);

describe('durability under SIGKILL', () => {
	it(`${CLIENTS} writing clients, ${CYCLES} kills at random moments: nothing anyone saw is lost, all resync within 5 s`, async () => {
		console.log(`durability seed ${SEED} (replay with DURABILITY_SEED=${SEED})`);
		const rng = seededRandom(SEED);
		const map = await createMap(server.url);

		// Each writer edits its own asset (fields of an entry are editor-writable).
		const setup = connectClient(server.syncUrl, map.id, map.keys.facilitator);
		clients.push(setup);
		await setup.synced;
		setup.doc.transact(() => {
			for (let i = 0; i < CLIENTS; i++) setup.doc.getMap('assets').set(`w${i}`, new Y.Map());
		});

		/** "writer:key" for every write any client saw arrive from another client. */
		const seen = new Set<string>();
		/** Every write made, whether or not the server was up. */
		const written = new Set<string>();
		const refusals: string[] = [];
		let onSeen = () => {};
		const writers = Array.from({ length: CLIENTS }, (_, i) => {
			const c = connectClient(server.syncUrl, map.id, map.keys.editor);
			// A stock client gives up only on a 44xx close; none of these may get one.
			c.provider.on('closed', (event: { code: number; reason: string }) => refusals.push(`client ${i}: ${event.code} ${event.reason}`));
			clients.push(c);
			c.doc.getMap('assets').observeDeep((events, transaction) => {
				if (transaction.local) return;
				for (const event of events) {
					const path = event.path;
					if (path.length !== 1 || typeof path[0] !== 'string' || path[0] === `w${i}`) continue;
					for (const key of event.keys.keys()) seen.add(`${path[0].slice(1)}:${key}`);
				}
				onSeen();
			});
			return c;
		});
		await Promise.all(writers.map((c) => c.synced));
		await Promise.all(writers.map((c, i) => waitForDoc(c.doc, (d) => entryOf(d, i) !== undefined, `entry w${i}`)));

		// Writes go on at a steady pace, server up or down (edits made while it is down are
		// kept by the client and sent on reconnect).
		let next = 0;
		const timers = writers.map((c, i) =>
			setInterval(() => {
				const key = `k${next++}`;
				entryOf(c.doc, i)!.set(key, Date.now());
				written.add(`${i}:${key}`);
			}, 20 + Math.floor(rng() * 30))
		);

		const resyncMs: number[] = [];
		let writtenWhileDown = 0;
		let checkedOnDisk = 0;
		try {
			for (let cycle = 0; cycle < CYCLES; cycle++) {
				// A random moment: after a random number of further echoes.
				const target = seen.size + 5 + Math.floor(rng() * 80);
				await withDeadline(
					new Promise<void>((resolve) => {
						onSeen = () => seen.size >= target && resolve();
						onSeen();
					}),
					`cycle ${cycle}: echoes before the kill`
				);
				onSeen = () => {};
				const writtenBefore = written.size;
				await server.kill('SIGKILL');

				// Everything seen so far was broadcast before the process died: it must be on disk.
				const disk = storedDoc(map.id);
				const missing = [...seen].filter((id) => {
					const [writer, key] = id.split(':');
					return !entryOf(disk, Number(writer))?.has(key);
				});
				expect(missing, `cycle ${cycle}: seen by a client but not on disk`).toEqual([]);
				checkedOnDisk += seen.size;

				await server.restart({ samePort: true });
				writtenWhileDown += written.size - writtenBefore;
				const restarted = performance.now();
				await pollUntil(
					() => {
						expect(refusals).toEqual([]);
						return writers.every((c) => c.provider.wsconnected && c.provider.synced);
					},
					`cycle ${cycle}: all ${CLIENTS} clients to resync`,
					RESYNC_DEADLINE_MS
				);
				resyncMs.push(performance.now() - restarted);
			}
		} finally {
			for (const timer of timers) clearInterval(timer);
		}

		// Quiet now: every write ever made reaches every client, and the disk.
		const expectAll = (doc: Y.Doc) =>
			[...written].every((id) => {
				const [writer, key] = id.split(':');
				return entryOf(doc, Number(writer))?.has(key) === true;
			});
		await Promise.all(writers.map((c, i) => waitForDoc(c.doc, expectAll, `client ${i} to hold every write`)));
		const fresh = connectClient(server.syncUrl, map.id, map.keys.viewer);
		clients.push(fresh);
		await fresh.synced;
		expect(expectAll(fresh.doc)).toBe(true);
		await server.kill('SIGKILL');
		expect(expectAll(storedDoc(map.id))).toBe(true);
		expect(refusals).toEqual([]);

		console.log(
			`durability seed ${SEED}: ${CYCLES} kills, ${written.size} writes (${writtenWhileDown} made while the server was down), ` +
				`${checkedOnDisk} seen-by-another-client checks against the disk after the kills, 0 lost; ` +
				`resync after restart: max ${Math.round(Math.max(...resyncMs))} ms, ` +
				`mean ${Math.round(resyncMs.reduce((a, b) => a + b, 0) / resyncMs.length)} ms`
		);
	}, 240_000); // 20 restarts of a real process: about 45 s on a quiet machine, more on a busy one. Resync time is what is asserted.
});
