/**
 * PostgreSQL store throughput: durable appends per second from 100 concurrent writers,
 * each appending its next update once the previous one is committed (each carries one
 * history record, as a rename does). Three shapes: each writer on its own map; all on one
 * map; and all on one map split between two store instances (two pools, as two server
 * processes would be), which contend for that map's lock.
 *
 * Optional: uses DATABASE_URL, else the test machines' PostgreSQL (scripts/find-postgres.js);
 * without one it prints one line and is skipped. Works in a fresh schema, dropped after.
 *
 *   node --import tsx bench/postgres-append.ts [writers=100] [seconds=5]
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import * as Y from 'yjs';
import type { DocStore } from '../server/persistence/doc-store.ts';
import { createPostgresStore } from '../server/persistence/postgres.ts';
import { findPostgres } from '../scripts/find-postgres.js';
import { contributor } from './fixtures.ts';
import { summarize } from './stats.ts';

/** A writer's next small update: renaming its own asset (the first one also creates it). */
function writerUpdates(n: number) {
	const doc = new Y.Doc();
	const asset = new Y.Map<unknown>();
	let known = Y.encodeStateVector(doc);
	doc.getMap('assets').set(`writer-${n}`, asset);
	let i = 0;
	return () => {
		doc.transact(() => {
			asset.set('name', `Community garden, renamed ${i++}`);
			asset.set('updatedBy', contributor(n));
			asset.set('updatedAt', 1_700_000_000_000 + i);
		});
		const update = Y.encodeStateAsUpdate(doc, known);
		known = Y.encodeStateVector(doc);
		return update;
	};
}

async function run(stores: DocStore[], writers: number, seconds: number, mapOf: (writer: number) => string): Promise<string> {
	const latencies: number[] = [];
	let appended = 0;
	const deadline = performance.now() + seconds * 1000;
	await Promise.all(
		Array.from({ length: writers }, async (_, n) => {
			const store = stores[n % stores.length];
			const next = writerUpdates(n);
			const who = contributor(n);
			while (performance.now() < deadline) {
				const start = performance.now();
				await store.appendUpdate(mapOf(n), next(), {
					journal: [{ at: Date.now(), role: 'editor', name: who.name, affiliation: null, collection: 'assets', entry: `writer-${n}`, kind: 'update', fields: { name: 'renamed' } }]
				});
				latencies.push(performance.now() - start);
				appended++;
			}
		})
	);
	return `${Math.round(appended / seconds)} appends/s; each append until committed: ${summarize(latencies)}`;
}

export async function runPostgresAppendBench(writers = 100, seconds = 5): Promise<void> {
	const url = process.env.DATABASE_URL || (await findPostgres());
	if (!url) {
		console.log('!!! postgres-append: SKIPPED, no DATABASE_URL and no PostgreSQL at 127.0.0.1:5432 !!!');
		return;
	}
	const schema = `atlas_bench_${randomBytes(6).toString('hex')}`;
	const open = () => createPostgresStore(url, { schema });
	const a = await open();
	const b = await open();
	try {
		const settings = new pg.Client({ connectionString: url });
		await settings.connect();
		const sync = (
			await settings.query<{ synchronous_commit: string; fsync: string }>(
				"SELECT current_setting('synchronous_commit') AS synchronous_commit, current_setting('fsync') AS fsync"
			)
		).rows[0];
		await settings.end();
		console.log(`postgres-append: ${writers} writers, ${seconds} s each shape (server: fsync=${sync.fsync}, synchronous_commit=${sync.synchronous_commit}; the store commits with it on)`);
		console.log(`postgres-append: each on its own map, one instance: ${await run([a], writers, seconds, (n) => `benchmap${String(n).padStart(3, '0')}`)}`);
		console.log(`postgres-append: all on one map, one instance: ${await run([a], writers, seconds, () => 'benchshare')}`);
		console.log(`postgres-append: all on one map, two instances: ${await run([a, b], writers, seconds, () => 'benchtwoin')}`);
		// Compacting the shared map's log while nobody writes, for scale.
		const rows = await a.loadUpdates('benchshare');
		const start = performance.now();
		const merged = await a.compactStored('benchshare', rows.at(-1)!.seq);
		console.log(`postgres-append: compacting the one-map log (${rows.length} rows) into ${merged.rows}: ${Math.round(performance.now() - start)} ms`);
	} finally {
		await a.close();
		await b.close();
		const client = new pg.Client({ connectionString: url });
		await client.connect();
		await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
		await client.end();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	await runPostgresAppendBench(Number(process.argv[2] ?? 100), Number(process.argv[3] ?? 5));
}
