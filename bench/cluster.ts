/**
 * Several instances (REDIS_URL) against one:
 *
 * 1. Fan-out: 1 writer -> N stock y-websocket clients in one room, spread over three
 *    instances sharing PostgreSQL and Redis (the writer on the first), against the same on
 *    one instance on PostgreSQL. Every client lives in this process (its decoding shares
 *    this process's core); the servers share the machine's other core, so three instances
 *    here measure the cost of the extra hop, not extra capacity.
 * 2. Catching up: a room that missed 1,000 updates another instance appended (each its own
 *    row), until its client holds them all: after Redis comes back (a resync: straight to
 *    the store) and after a gap in the seqs (which first waits GAP_WAIT_MS for the missing
 *    message to arrive by Redis after all).
 *
 * Needs PostgreSQL (and Redis for part 1: scripts/find-*.js); without them it says so and
 * skips. Works in fresh schemas, dropped after.
 *
 *   node --import tsx bench/cluster.ts [receivers=600 (0: catching up only)] [ratePerSecond=20] [seconds=10]
 */
import { randomBytes } from 'node:crypto';
import * as Y from 'yjs';
import { createPostgresStore } from '../server/persistence/postgres.ts';
import type { ClusterBus, MapListener } from '../server/cluster/bus.ts';
import { GAP_WAIT_MS } from '../server/cluster/room-link.ts';
import { findPostgres } from '../scripts/find-postgres.js';
import { findRedis } from '../scripts/find-redis.js';
import { startCluster } from '../tests/helpers/cluster.ts';
import { startInProcess } from '../tests/helpers/in-process.ts';
import { createSchema, dropSchemas, freshSchemaName, urlWithSchema } from '../tests/helpers/postgres.ts';
import { startTestServer, type TestServer } from '../tests/helpers/test-server.ts';
import { connectClient, createMap, waitForDoc, withDeadline, type Client } from '../tests/helpers/sync-clients.ts';
import { assetFields } from './fixtures.ts';
import { summarize } from './stats.ts';

const BENCH_ASSETS = 20;

/** Fan-out from a writer on `servers[0]` to receivers spread over `servers`, round robin. */
async function fanout(label: string, servers: Array<{ url: string; syncUrl: string }>, receivers: number, rate: number, seconds: number): Promise<void> {
	process.setMaxListeners(receivers + 20);
	const clients: Client[] = [];
	try {
		const map = await createMap(servers[0].url, { title: 'Cluster fan-out bench' });
		const writer = connectClient(servers[0].syncUrl, map.id, map.keys.editor);
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
		const total = rate * seconds;
		const latencies: number[] = [];
		let received = 0;
		let allReceived = () => {};
		const done = new Promise<void>((resolve) => (allReceived = resolve));
		for (let i = 0; i < receivers; i++) {
			// 200 per loopback address: like phones spread over a few Wi-Fi routers (each address
			// shares a budget of room time on each instance).
			const c = connectClient(servers[i % servers.length].syncUrl, map.id, map.keys.viewer, undefined, {
				localAddress: `127.0.8.${1 + Math.floor(i / 200)}`,
				syncDeadlineMs: 180_000
			});
			clients.push(c);
			c.doc.getMap<Y.Map<unknown>>('assets').observeDeep((events) => {
				const now = performance.now();
				for (const event of events) {
					if (!(event instanceof Y.YMapEvent) || event.target === c.doc.getMap('assets') || !event.keysChanged.has('updatedAt')) continue;
					const sentAt = (event.target as Y.Map<unknown>).get('updatedAt');
					if (typeof sentAt === 'number') latencies.push(now - sentAt);
					if (++received === total * receivers) allReceived();
				}
			});
		}
		await withDeadline(Promise.all(clients.map((c) => c.synced)), 'all clients to sync', 180_000);
		// Every receiver holds the seeded assets before the clock starts.
		await withDeadline(Promise.all(clients.map((c) => waitForDoc(c.doc, (doc) => doc.getMap('assets').size === BENCH_ASSETS, 'seed', 60_000))), 'seed', 60_000);
		const ids = [...assets.keys()];
		const start = performance.now();
		for (let i = 0; i < total; i++) {
			const wait = start + (i * 1000) / rate - performance.now();
			if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
			const asset = assets.get(ids[i % ids.length])!;
			writer.doc.transact(() => {
				asset.set('name', `Community garden, renamed ${i}`);
				asset.set('updatedAt', performance.now());
			});
		}
		await withDeadline(done, 'every receiver to get every update', 120_000);
		console.log(`cluster fanout, ${label}: 1 writer -> ${receivers} receivers, ${total} updates at ${rate}/s: ${summarize(latencies)}`);
	} finally {
		for (const c of clients) c.destroy();
	}
}

async function fanoutBench(postgres: string, redis: string, receivers: number, rate: number, seconds: number): Promise<void> {
	// One instance on PostgreSQL, no Redis.
	const schema = freshSchemaName();
	await createSchema(postgres, schema);
	let single: TestServer | null = null;
	try {
		single = await startTestServer({ DATABASE_URL: urlWithSchema(postgres, schema), MAX_SOCKETS_PER_ADDRESS: '5000', MAX_SOCKETS_PER_KEY: '5000' });
		await fanout('one instance (PostgreSQL)', [single], receivers, rate, seconds);
	} finally {
		await single?.dispose();
		await dropSchemas(postgres, [schema]);
	}
	const cluster = await startCluster(3, { postgres, redisUrl: redis });
	try {
		await fanout('three instances (PostgreSQL + Redis), receivers spread evenly, writer on the first', cluster.instances, receivers, rate, seconds);
	} finally {
		await cluster.dispose();
	}
}

/** A bus that delivers nothing by itself: the bench hands the room its messages. */
function manualBus(): ClusterBus & { listeners: Map<string, MapListener> } {
	const listeners = new Map<string, MapListener>();
	return {
		enabled: true,
		instanceId: 'bench',
		listeners,
		subscribe: async (mapId, listener) => void listeners.set(mapId, listener),
		unsubscribe: (mapId) => void listeners.delete(mapId),
		publishUpdate: () => {},
		publishOwners: () => {},
		publishPresence: () => {},
		publishRevoke: () => {},
		onRevoke: () => {},
		onResync: () => {},
		close: async () => {}
	};
}

async function catchUpBench(postgres: string, missed = 1000, runs = 5): Promise<void> {
	const schema = freshSchemaName();
	const [storeA, storeB] = await Promise.all([createPostgresStore(postgres, { schema }), createPostgresStore(postgres, { schema })]);
	const bus = manualBus();
	// No poll: only the triggers below start a catch-up.
	const b = await startInProcess({}, { store: storeB, cluster: bus, clusterPollMs: 3_600_000, serverSecret: new Uint8Array(randomBytes(32)) });
	const clients: Client[] = [];
	try {
		const map = await createMap(b.url, { title: 'Catch-up bench' });
		const viewer = connectClient(b.syncUrl, map.id, map.keys.viewer);
		clients.push(viewer);
		await viewer.synced;
		// "Instance A": an editor's renames, each appended as its own row, none announced to B.
		const writer = new Y.Doc();
		const rows: Uint8Array[] = [];
		writer.on('update', (update: Uint8Array) => rows.push(update));
		const asset = new Y.Map<unknown>();
		writer.getMap('assets').set('a1', asset);
		await storeA.appendUpdate(map.id, rows[0]);
		const room = b.atlas.rooms.room(map.id)!;
		const results: Record<'resync' | 'gap', number[]> = { resync: [], gap: [] };
		for (let run = 0; run < runs * 2; run++) {
			const how = run % 2 === 0 ? 'resync' : 'gap';
			rows.length = 0;
			for (let i = 0; i < missed; i++) asset.set('name', `renamed ${run}:${i}`);
			const seqs = await Promise.all(rows.map((row) => storeA.appendUpdate(map.id, row)));
			const last = `renamed ${run}:${missed - 1}`;
			const start = performance.now();
			if (how === 'resync') room.resync();
			// The newest update arrives by Redis; the 999 before it never did.
			else bus.listeners.get(map.id)!.update({ seq: Math.max(...seqs), update: rows.at(-1)!, owners: [] });
			await waitForDoc(viewer.doc, (doc) => (doc.getMap<Y.Map<unknown>>('assets').get('a1')?.get('name') ?? null) === last, 'the viewer to hold every missed update', 30_000);
			results[how].push(performance.now() - start);
		}
		const bytes = rows.reduce((sum, row) => sum + row.byteLength, 0);
		console.log(`cluster catch-up after missing ${missed} updates (${bytes} bytes, each its own row), until a client of the room holds them all:`);
		console.log(`  after Redis comes back (straight to the store): ${summarize(results.resync)}`);
		console.log(`  on a gap in the seqs (waits ${GAP_WAIT_MS} ms for the message first): ${summarize(results.gap)}`);
	} finally {
		for (const c of clients) c.destroy();
		await b.close();
		await storeA.close();
		await storeB.close();
		await dropSchemas(postgres, [schema]);
	}
}

export async function runClusterBench(receivers = 600, rate = 20, seconds = 10): Promise<void> {
	const postgres = process.env.DATABASE_URL || (await findPostgres());
	if (!postgres) {
		console.log('!!! cluster bench skipped: no PostgreSQL (set DATABASE_URL, or start the machine’s own) !!!');
		return;
	}
	await catchUpBench(postgres);
	if (receivers === 0) return;
	const redis = process.env.REDIS_URL || (await findRedis());
	if (!redis) {
		console.log('!!! cluster fan-out bench skipped: no Redis at 127.0.0.1:6379 (set REDIS_URL) !!!');
		return;
	}
	await fanoutBench(postgres, redis, receivers, rate, seconds);
}

if (import.meta.url === `file://${process.argv[1]}`) {
	// receivers=0: the catch-up part only.
	const [receivers, rate, seconds] = process.argv.slice(2).map(Number);
	await runClusterBench(Number.isNaN(receivers) ? undefined : receivers, rate || undefined, seconds || undefined);
	process.exit(0);
}
