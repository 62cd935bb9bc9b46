/**
 * "An update is on disk before any other client sees it", with DATABASE_URL: the real
 * server process on the PostgreSQL store, stock y-websocket clients writing, SIGKILLed at
 * random moments and restarted. After every kill, everything any client saw from another
 * client is in PostgreSQL; in the end, every write made is. (durability.test.ts does the
 * same at length against SQLite.)
 *
 * Skipped with one loud line where no PostgreSQL answers; a failure under CI=true.
 * Reproducible choice of kill moments: DURABILITY_SEED=<seed> (printed).
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { seededRandom } from '../helpers/connected-docs.ts';
import { createSchema, dropSchemas, freshSchemaName, testPostgres, urlWithSchema, withClient } from '../helpers/postgres.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, createMap, pollUntil, waitForDoc, withDeadline, type Client } from '../helpers/sync-clients.ts';

const SEED = process.env.DURABILITY_SEED ? Number(process.env.DURABILITY_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const CLIENTS = 5;
const CYCLES = 3;
const RESYNC_DEADLINE_MS = 10_000;

const postgres = await testPostgres();
const schema = freshSchemaName();
let server: TestServer | undefined;
const clients: Client[] = [];

beforeAll(async () => {
	if (!postgres) return;
	// The store makes its tables in the URL's search_path; the schema itself is the test's.
	await createSchema(postgres, schema);
	server = await startTestServer({ DATABASE_URL: urlWithSchema(postgres, schema) });
});
afterAll(async () => {
	for (const c of clients.splice(0)) c.destroy();
	await server?.dispose();
	if (postgres) await dropSchemas(postgres, [schema]);
});

/** The map as stored, read straight from PostgreSQL while no server runs. */
async function storedDoc(mapId: string): Promise<Y.Doc> {
	const rows = await withClient(postgres!, async (client) => {
		const result = await client.query<{ data: Buffer }>(`SELECT data FROM ${schema}.doc_updates WHERE map_id = $1 ORDER BY seq`, [mapId]);
		return result.rows;
	});
	const doc = new Y.Doc();
	for (const row of rows) Y.applyUpdate(doc, new Uint8Array(row.data));
	return doc;
}

const entryOf = (doc: Y.Doc, writer: number) => doc.getMap<Y.Map<unknown>>('assets').get(`w${writer}`);

describe.skipIf(!postgres)('durability under SIGKILL, PostgreSQL store', () => {
	it(`${CLIENTS} writing clients, ${CYCLES} kills at random moments: nothing anyone saw is lost`, async () => {
		const running = server!;
		console.log(`postgres durability seed ${SEED} (replay with DURABILITY_SEED=${SEED})`);
		expect(running.output()).toMatch(/Maps are stored in PostgreSQL/);
		const rng = seededRandom(SEED);
		const map = await createMap(running.url);

		const setup = connectClient(running.syncUrl, map.id, map.keys.facilitator);
		clients.push(setup);
		await setup.synced;
		setup.doc.transact(() => {
			for (let i = 0; i < CLIENTS; i++) setup.doc.getMap('assets').set(`w${i}`, new Y.Map());
		});

		const seen = new Set<string>();
		const written = new Set<string>();
		const refusals: string[] = [];
		let onSeen = () => {};
		const writers = Array.from({ length: CLIENTS }, (_, i) => {
			const c = connectClient(running.syncUrl, map.id, map.keys.editor);
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

		let next = 0;
		const timers = writers.map((c, i) =>
			setInterval(() => {
				const key = `k${next++}`;
				entryOf(c.doc, i)!.set(key, Date.now());
				written.add(`${i}:${key}`);
			}, 20 + Math.floor(rng() * 30))
		);

		let checkedOnDisk = 0;
		try {
			for (let cycle = 0; cycle < CYCLES; cycle++) {
				const target = seen.size + 5 + Math.floor(rng() * 60);
				await withDeadline(
					new Promise<void>((resolve) => {
						onSeen = () => seen.size >= target && resolve();
						onSeen();
					}),
					`cycle ${cycle}: echoes before the kill`
				);
				onSeen = () => {};
				await running.kill('SIGKILL');

				// Everything seen so far was sent after its commit: it must be in PostgreSQL.
				const disk = await storedDoc(map.id);
				const missing = [...seen].filter((id) => {
					const [writer, key] = id.split(':');
					return !entryOf(disk, Number(writer))?.has(key);
				});
				expect(missing, `cycle ${cycle}: seen by a client but not in PostgreSQL`).toEqual([]);
				checkedOnDisk += seen.size;

				await running.restart({ samePort: true });
				await pollUntil(
					() => {
						expect(refusals).toEqual([]);
						return writers.every((c) => c.provider.wsconnected && c.provider.synced);
					},
					`cycle ${cycle}: all ${CLIENTS} clients to resync`,
					RESYNC_DEADLINE_MS
				);
			}
		} finally {
			for (const timer of timers) clearInterval(timer);
		}

		const expectAll = (doc: Y.Doc) =>
			[...written].every((id) => {
				const [writer, key] = id.split(':');
				return entryOf(doc, Number(writer))?.has(key) === true;
			});
		await Promise.all(writers.map((c, i) => waitForDoc(c.doc, expectAll, `client ${i} to hold every write`)));
		await running.kill('SIGKILL');
		expect(expectAll(await storedDoc(map.id))).toBe(true);
		expect(refusals).toEqual([]);
		// Nothing went to a SQLite file beside it.
		expect(existsSync(running.sqliteFile)).toBe(false);

		// A fresh client of a restarted server gets it all from PostgreSQL; SIGTERM then
		// compacts, closes the pool and exits cleanly.
		await running.restart();
		const fresh = connectClient(running.syncUrl, map.id, map.keys.viewer);
		clients.push(fresh);
		await fresh.synced;
		await waitForDoc(fresh.doc, expectAll, 'a fresh client to hold every write');
		expect(await running.kill('SIGTERM')).toEqual({ code: 0, signal: null });
		expect(expectAll(await storedDoc(map.id))).toBe(true);
		console.log(`postgres durability seed ${SEED}: ${CYCLES} kills, ${written.size} writes, ${checkedOnDisk} seen-by-another-client checks against PostgreSQL, 0 lost`);
	}, 120_000);
});
