/**
 * Several instances behind a load balancer (REDIS_URL): three real server processes on
 * their own ports, sharing one PostgreSQL schema and one Redis, with stock y-websocket
 * clients spread over them.
 *
 * - Randomized convergence: editors on every instance, phones that go offline, keep
 *   editing and come back through another instance; everyone ends with the same document,
 *   the one in PostgreSQL, and nobody's write is refused. Seed printed; replay with
 *   CLUSTER_SEED=….
 * - The lock holds on every instance, and the window in which another instance has not
 *   heard of it yet is measured (printed, never asserted).
 * - A replaced key closes the old key's sockets on every instance (time printed).
 * - Redis is not trusted: messages forged by someone who can publish on it change nothing.
 * - Presence: people on one instance see those on the others, and see them leave.
 * - Starting a second instance without REDIS_URL on the same database, or one with it
 *   beside one without, or one with another server secret or REDIS_PREFIX, is refused with
 *   a clear message.
 *
 * Skipped with one loud line where PostgreSQL or Redis does not answer (a failure under CI=true).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import WebSocket from 'ws';
import { Redis } from 'ioredis';
import { busKey, encodeMapMessage, sealBusMessage } from '../../server/cluster/bus.ts';
import { encodePresence } from '../../server/room/protocol.ts';
import { seededRandom } from '../helpers/connected-docs.ts';
import { startBalancer, startCluster, type Balancer, type Cluster } from '../helpers/cluster.ts';
import { createSchema, dropSchemas, freshSchemaName, testPostgres, urlWithSchema, withClient } from '../helpers/postgres.ts';
import { freshRedisPrefix, testRedis } from '../helpers/redis.ts';
import { startTestServer } from '../helpers/test-server.ts';
import { connectClient, createMap, openSocket, pollUntil, requestFullState, syncMessage, waitForClose, waitForDoc, waitForOpen, withDeadline, type Client } from '../helpers/sync-clients.ts';
import { DEFAULT_CLUSTER_POLL_MS, KEY_LEASE_EXTRA_MS } from '../../server/room/registry.ts';
import { addAsset } from '../../src/lib/doc/mutations.ts';
import type { AtlasDoc } from '../../src/lib/doc/schema.ts';

const SEED = process.env.CLUSTER_SEED ? Number(process.env.CLUSTER_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const postgres = await testPostgres();
const redis = postgres ? await testRedis() : null;

let cluster: Cluster | undefined;
let balancer: Balancer | undefined;
const clients: Client[] = [];
const providers: WebsocketProvider[] = [];

beforeAll(async () => {
	if (!postgres || !redis) return;
	cluster = await startCluster(3, { postgres, redisUrl: redis });
	balancer = await startBalancer(() => cluster!.instances.map((instance) => instance.port));
});
afterAll(async () => {
	for (const c of clients.splice(0)) c.destroy();
	for (const p of providers.splice(0)) p.destroy();
	await balancer?.close();
	await cluster?.dispose();
});

const syncUrl = (index: number) => cluster!.instances[index].syncUrl;

function client(index: number, mapId: string, key: string, params: Record<string, string> = {}, doc?: Y.Doc): Client {
	const c = connectClient(syncUrl(index), mapId, key, doc, { params });
	clients.push(c);
	return c;
}

/** Every client id's clock, for comparing two documents' state. */
function vector(doc: Y.Doc): string {
	return JSON.stringify([...Y.decodeStateVector(Y.encodeStateVector(doc))].sort((a, b) => a[0] - b[0]));
}

async function storedDoc(mapId: string): Promise<Y.Doc> {
	const rows = await withClient(cluster!.databaseUrl, async (db) => (await db.query<{ data: Buffer }>('SELECT data FROM doc_updates WHERE map_id = $1 ORDER BY seq', [mapId])).rows);
	const doc = new Y.Doc();
	for (const row of rows) Y.applyUpdate(doc, new Uint8Array(row.data));
	return doc;
}

function percentile(values: number[], p: number): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

describe.skipIf(!postgres || !redis)('several instances through Redis', () => {
	it('clients spread over three instances, with random edits, offline phones and reconnects through other instances, converge to the document in PostgreSQL', async () => {
		console.log(`cluster convergence seed ${SEED} (replay with CLUSTER_SEED=${SEED})`);
		const rng = seededRandom(SEED);
		const pick = <T>(list: T[]): T => list[Math.floor(rng() * list.length)];
		const map = await createMap(cluster!.instances[0].url);
		const refusals: string[] = [];

		interface Person {
			name: string;
			doc: Y.Doc;
			current: Client | null;
			/** A phone (device token): goes offline and comes back through another instance. */
			phone: boolean;
			made: number;
		}
		const people: Person[] = Array.from({ length: 9 }, (_, i) => ({ name: `p${i}`, doc: new Y.Doc(), current: null, phone: i % 3 === 2, made: 0 }));
		const connect = (person: Person, index: number) => {
			const params: Record<string, string> = { name: person.name };
			if (person.phone) params.device = `device-token-${person.name}-${SEED}`.padEnd(24, 'x');
			const c = client(index, map.id, map.keys.editor, params, person.doc);
			c.provider.on('connection-close', (event: { code: number; reason: string } | null) => {
				if (event && event.code >= 4000) refusals.push(`${person.name} on instance ${index}: ${event.code} ${event.reason}`);
			});
			person.current = c;
			// A phone may go offline again before it has synced: that is not a failure.
			c.synced.catch(() => {});
			return c;
		};
		await Promise.all(people.map((person, i) => connect(person, i % 3).synced));

		const fields = ['name', 'description', 'holder', 'category'];
		const edit = (person: Person) => {
			const assets = person.doc.getMap<Y.Map<unknown>>('assets');
			const ids = [...assets.keys()];
			const roll = rng();
			if (ids.length === 0 || roll < 0.3) {
				const entry = new Y.Map<unknown>();
				const id = `a-${person.name}-${person.made++}`;
				person.doc.transact(() => {
					assets.set(id, entry);
					entry.set('id', id);
					entry.set('name', `${person.name} ${person.made}`);
					entry.set('category', pick(['knowledge', 'skills', 'places', 'culture']));
				});
			} else if (roll < 0.9) {
				assets.get(pick(ids))?.set(pick(fields), `${person.name}:${Math.floor(rng() * 1e6)}`);
			} else {
				const entry = assets.get(pick(ids));
				if (entry?.get('deletedAt') === undefined) entry?.set('deletedAt', 1_700_000_000_000);
				else entry.delete('deletedAt');
			}
		};

		const ROUNDS = 40;
		let movedInstances = 0;
		for (let round = 0; round < ROUNDS; round++) {
			for (const person of people) {
				const edits = Math.floor(rng() * 3);
				for (let i = 0; i < edits; i++) edit(person);
				if (!person.phone) continue;
				if (person.current && rng() < 0.15) {
					// Offline: the socket goes, the phone keeps editing.
					person.current.provider.destroy();
					person.current = null;
				} else if (!person.current && rng() < 0.35) {
					// Back, through whichever instance the balancer picks (here, at random).
					connect(person, Math.floor(rng() * 3));
					movedInstances++;
				}
			}
			// Pacing, so instances' appends and fan-outs interleave (not a wait for sync).
			await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(rng() * 20)));
		}
		for (const [i, person] of people.entries()) if (!person.current) connect(person, i % 3);
		await Promise.all(people.map((person) => person.current!.synced));

		// The union of every edit anyone made: all were allowed, so all must be everywhere.
		const union = new Y.Doc();
		for (const person of people) Y.applyUpdate(union, Y.encodeStateAsUpdate(person.doc));
		const target = vector(union);
		await Promise.all(people.map((person) => waitForDoc(person.doc, (doc) => vector(doc) === target, `${person.name} to converge`, 20_000)));
		expect(refusals).toEqual([]);
		const expected = union.getMap('assets').toJSON();
		for (const person of people) expect(person.doc.getMap('assets').toJSON()).toEqual(expected);
		// A fresh viewer on each instance, and PostgreSQL itself, hold the same.
		const viewers = [0, 1, 2].map((index) => client(index, map.id, map.keys.viewer));
		await Promise.all(viewers.map((viewer) => viewer.synced));
		await Promise.all(viewers.map((viewer, index) => waitForDoc(viewer.doc, (doc) => vector(doc) === target, `a fresh viewer on instance ${index}`)));
		for (const viewer of viewers) expect(viewer.doc.getMap('assets').toJSON()).toEqual(expected);
		expect((await storedDoc(map.id)).getMap('assets').toJSON()).toEqual(expected);
		console.log(
			`cluster convergence seed ${SEED}: 9 people on 3 instances, ${ROUNDS} rounds, ${union.getMap('assets').size} assets, ${movedInstances} reconnects of offline phones, converged, 0 refused`
		);
	}, 60_000);

	it('the lock holds on every instance; the window before another instance has heard of it is measured', async () => {
		const map = await createMap(cluster!.instances[0].url);
		const facilitator = client(0, map.id, map.keys.facilitator);
		const sameInstance = client(0, map.id, map.keys.viewer);
		const editors = [1, 2].map((index) => client(index, map.id, map.keys.editor));
		await Promise.all([facilitator, sameInstance, ...editors].map((c) => c.synced));

		// Lock and unlock 20 times: from the facilitator's change to each client seeing it.
		const here: number[] = [];
		const there: number[] = [];
		for (let i = 0; i < 20; i++) {
			const locked = i % 2 === 0;
			const start = performance.now();
			facilitator.doc.getMap('meta').set('locked', locked);
			const seen = (c: Client) =>
				waitForDoc(c.doc, (doc) => doc.getMap('meta').get('locked') === locked, 'the lock to arrive').then(() => performance.now() - start);
			const [local, ...remote] = await Promise.all([seen(sameInstance), ...editors.map(seen)]);
			here.push(local);
			there.push(...remote);
		}
		console.log(
			`lock across instances: seen on the facilitator's instance p50 ${ms(percentile(here, 50))}, p95 ${ms(percentile(here, 95))}; ` +
				`on the other instances p50 ${ms(percentile(there, 50))}, p95 ${ms(percentile(there, 95))}, max ${ms(Math.max(...there))} (20 changes)`
		);

		// Locked (the last change was an unlock: lock again), an editor's write on either other
		// instance is refused there, and reaches nobody.
		facilitator.doc.getMap('meta').set('locked', true);
		await Promise.all(editors.map((c) => waitForDoc(c.doc, (doc) => doc.getMap('meta').get('locked') === true, 'locked')));
		const closed = editors.map(
			(c) => withDeadline(new Promise<number>((resolve) => c.provider.once('connection-close', (event: { code: number } | null) => resolve(event?.code ?? 0))), 'the refused editor to be closed')
		);
		editors.forEach((c, i) => c.doc.getMap('assets').set(`locked-out-${i}`, new Y.Map()));
		expect(await Promise.all(closed)).toEqual([4409, 4409]);
		for (const c of editors) c.provider.disconnect();
		// The facilitator still writes, and everyone else sees it; nobody saw the editors' writes.
		facilitator.doc.getMap('assets').set('while-locked', new Y.Map());
		await waitForDoc(sameInstance.doc, (doc) => doc.getMap('assets').has('while-locked'), 'the facilitator’s write while locked');
		const viewerElsewhere = client(2, map.id, map.keys.viewer);
		await viewerElsewhere.synced;
		await waitForDoc(viewerElsewhere.doc, (doc) => doc.getMap('assets').has('while-locked'), 'the facilitator’s write on another instance');
		expect([...viewerElsewhere.doc.getMap('assets').keys()]).toEqual(['while-locked']);
		expect([...(await storedDoc(map.id)).getMap('assets').keys()]).toEqual(['while-locked']);
	}, 60_000);

	it('a key replaced through one instance closes its sockets on every instance at once; the old key opens nothing anywhere', async () => {
		const map = await createMap(cluster!.instances[0].url);
		const sockets = [0, 1, 2].map((index) => openSocket(syncUrl(index), map.id, map.keys.editor));
		// Joined: each has had the server's sync step 1.
		await Promise.all(sockets.map((ws) => withDeadline(new Promise((resolve) => ws.once('message', resolve)), 'joined')));
		const closes = sockets.map((ws) => {
			const closed = waitForClose(ws);
			return closed.then((close) => ({ ...close, at: performance.now() }));
		});
		const started = performance.now();
		const response = await fetch(`${cluster!.instances[1].url}/api/maps/${map.id}/rotate`, {
			method: 'POST',
			headers: { Authorization: `Bearer ${map.keys.facilitator}`, 'Content-Type': 'application/json', Origin: cluster!.instances[1].url },
			body: JSON.stringify({ role: 'editor' })
		});
		expect(response.status).toBe(200);
		const answered = performance.now();
		const { links } = (await response.json()) as { links: { editor: string } };
		const results = await Promise.all(closes);
		expect(results.map((close) => close.code)).toEqual([4401, 4401, 4401]);
		console.log(
			`key rotation across instances: old-key sockets closed ${results.map((close, index) => `instance ${index} ${ms(close.at - started)}`).join(', ')} after the request (answered after ${ms(answered - started)})`
		);
		// The old key is refused by every instance; the new one works on each.
		for (const index of [0, 1, 2]) {
			expect((await waitForClose(openSocket(syncUrl(index), map.id, map.keys.editor))).code).toBe(4401);
			const fresh = client(index, map.id, links.editor.split('#key=')[1]);
			await fresh.synced;
		}
	}, 60_000);

	it('Redis is not trusted: forged messages (a write past the gate, a garbage update at the head, a revoke with a huge generation) change nothing and close nobody', async () => {
		const map = await createMap(cluster!.instances[0].url);
		const editor = client(1, map.id, map.keys.editor);
		const viewer = client(2, map.id, map.keys.viewer);
		const closes: string[] = [];
		for (const c of [editor, viewer]) {
			c.provider.on('connection-close', (event: { code: number; reason: string } | null) => void closes.push(`${event?.code} ${event?.reason}`));
		}
		await Promise.all([editor.synced, viewer.synced]);
		const head = await withClient(cluster!.databaseUrl, async (db) => Number((await db.query<{ seq: string | null }>('SELECT MAX(seq) AS seq FROM doc_updates WHERE map_id = $1', [map.id])).rows[0].seq ?? 0));

		// Anyone who can publish on Redis, without the server secret.
		const forger = new Redis(redis!, { lazyConnect: true });
		forger.on('error', () => {});
		await forger.connect();
		try {
			const prefix = cluster!.env.REDIS_PREFIX;
			const channel = `${prefix}map:${map.id}`;
			const intruder = new Y.Doc();
			intruder.getMap('assets').set('forged', new Y.Map());
			const write = Y.encodeStateAsUpdate(intruder);
			await forger.publish(channel, Buffer.from(encodeMapMessage({ kind: 'update', from: 'forger', message: { seq: head + 1, update: write, owners: [] } })));
			await forger.publish(channel, Buffer.from(encodeMapMessage({ kind: 'update', from: 'forger', message: { seq: head + 1, update: new Uint8Array([1, 200, 200, 200, 200, 200, 1, 7]), owners: [] } })));
			for (const role of ['editor', 'viewer', 'facilitator']) {
				await forger.publish(`${prefix}revoke`, JSON.stringify({ from: 'forger', mapId: map.id, role, generation: 1e9 }));
			}
			// Last, from the same connection (so it arrives after them): presence sealed with the
			// deployment's key, which the clients show once the instances have handled it.
			const key = busKey(Buffer.from(cluster!.env.SERVER_SECRET, 'hex'));
			const frame = encodePresence([{ clientId: 424242, clock: 1, state: { user: { name: 'marker' } } }]);
			await forger.publish(channel, sealBusMessage(key, channel, encodeMapMessage({ kind: 'presence', from: 'marker', frame })));
		} finally {
			forger.disconnect();
		}
		await pollUntil(() => [editor, viewer].every((c) => c.provider.awareness.getStates().has(424242)), 'the marker after the forged messages to reach both instances\' clients');
		expect(closes).toEqual([]);
		expect(editor.provider.wsconnected && viewer.provider.wsconnected).toBe(true);
		for (const index of [1, 2]) expect(cluster!.instances[index].output()).toMatch(/failed authentication/);
		// The map still works across instances, and nobody has the forged entry.
		editor.doc.getMap('assets').set('real', new Y.Map());
		await waitForDoc(viewer.doc, (doc) => doc.getMap('assets').has('real'), 'a real write after the forgeries');
		for (const doc of [editor.doc, viewer.doc, await storedDoc(map.id)]) expect(doc.getMap('assets').has('forged')).toBe(false);
		expect(closes).toEqual([]);
	}, 60_000);

	it('people on one instance see those on the others, with the server-stamped name, and see them leave', async () => {
		const map = await createMap(cluster!.instances[0].url);
		const connect = (index: number, name: string) => {
			const provider = new WebsocketProvider(syncUrl(index), map.id, new Y.Doc(), {
				params: { key: map.keys.editor, name, session: `session-${name}-${SEED}`.padEnd(20, 'x') },
				WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
				disableBc: true
			});
			providers.push(provider);
			return provider;
		};
		const nameSeen = (observer: WebsocketProvider, clientId: number) =>
			(observer.awareness.getStates().get(clientId) as { user?: { name?: string; role?: string } } | undefined)?.user ?? null;
		const ana = connect(0, 'Ana');
		const ben = connect(1, 'Ben');
		const cai = connect(2, 'Cai');
		ana.awareness.setLocalStateField('user', { name: 'not my name', role: 'facilitator', color: '#0b5cad' });
		ben.awareness.setLocalStateField('cursor', { x: 1 });
		cai.awareness.setLocalStateField('cursor', { x: 2 });
		await pollUntil(
			() =>
				nameSeen(ben, ana.awareness.clientID)?.name === 'Ana' &&
				nameSeen(cai, ana.awareness.clientID)?.name === 'Ana' &&
				nameSeen(ana, ben.awareness.clientID)?.name === 'Ben' &&
				nameSeen(ana, cai.awareness.clientID)?.name === 'Cai' &&
				nameSeen(cai, ben.awareness.clientID)?.name === 'Ben',
			'everyone to see everyone across instances'
		);
		// Stamped by Ana's instance: her key's role, not what she claimed.
		expect(nameSeen(cai, ana.awareness.clientID)?.role).toBe('editor');
		// A latecomer on a third instance sees everyone at once.
		const dee = connect(2, 'Dee');
		await pollUntil(() => nameSeen(dee, ana.awareness.clientID)?.name === 'Ana' && nameSeen(dee, ben.awareness.clientID)?.name === 'Ben', 'a latecomer to see everyone');
		// Ana leaves: the others, on other instances, see her go.
		const anaId = ana.awareness.clientID;
		ana.destroy();
		await pollUntil(() => !ben.awareness.getStates().has(anaId) && !cai.awareness.getStates().has(anaId) && !dee.awareness.getStates().has(anaId), 'Ana to leave everywhere');
	}, 60_000);

	it('an instance paused while a key is replaced through another: the write its old-key socket sent meanwhile is refused (4401) when it resumes, and never stored', async () => {
		const map = await createMap(cluster!.instances[0].url);
		const paused = cluster!.instances[2];
		const ws = openSocket(syncUrl(2), map.id, map.keys.editor);
		await waitForOpen(ws);
		const state = await requestFullState(ws);
		const closed = waitForClose(ws);
		const phone = new Y.Doc();
		Y.applyUpdate(phone, state);
		const before = Y.encodeStateVector(phone);
		addAsset(phone as AtlasDoc, { name: 'Sent during the pause', category: 'places', description: '', holder: '', tags: [], geometry: { type: 'Point', coordinates: [-87.6, 41.8] } }, { id: 'pausedXXXXXXXXXX', name: 'Pat', affiliation: 'community-member' });

		// The instance stops (as under a long GC or a starved VM); the facilitator replaces the
		// participant link through another instance, and the phone sends its write.
		process.kill(paused.pid, 'SIGSTOP');
		try {
			const response = await fetch(`${cluster!.instances[1].url}/api/maps/${map.id}/rotate`, {
				method: 'POST',
				headers: { Authorization: `Bearer ${map.keys.facilitator}`, 'Content-Type': 'application/json', Origin: cluster!.instances[1].url },
				body: JSON.stringify({ role: 'editor' })
			});
			expect(response.status).toBe(200);
			ws.send(syncMessage(2, Y.encodeStateAsUpdate(phone, before)));
			// The pause itself (not a wait for sync): longer than the key lease, one poll and a second.
			await new Promise((resolve) => setTimeout(resolve, 2 * (DEFAULT_CLUSTER_POLL_MS + KEY_LEASE_EXTRA_MS)));
		} finally {
			process.kill(paused.pid, 'SIGCONT');
		}
		expect(await closed).toEqual({ code: 4401, reason: 'key replaced' });

		// The instance works on: a write with the new link through it is stored, and the old one's is nowhere.
		const { links } = (await (await fetch(`${cluster!.instances[0].url}/api/maps/${map.id}/links`, { headers: { Authorization: `Bearer ${map.keys.facilitator}` } })).json()) as { links: { editor: string } };
		const fresh = client(2, map.id, links.editor.split('#key=')[1]);
		await fresh.synced;
		fresh.doc.getMap('assets').set('after-the-pause', new Y.Map());
		const watcher = client(0, map.id, map.keys.viewer);
		await waitForDoc(watcher.doc, (doc) => doc.getMap('assets').has('after-the-pause'), 'the new link\'s write through the resumed instance');
		const stored = await storedDoc(map.id);
		const names = (doc: Y.Doc) => [...doc.getMap<Y.Map<unknown>>('assets').values()].map((asset) => asset.get('name'));
		expect(stored.getMap('assets').has('after-the-pause')).toBe(true);
		expect(names(stored)).not.toContain('Sent during the pause');
		expect(names(watcher.doc)).not.toContain('Sent during the pause');
	}, 60_000);
});

describe.skipIf(!postgres || !redis)('instances sharing a database without Redis, or with another secret, are refused at start', () => {
	it('says so clearly, in both directions', async () => {
		const schema = freshSchemaName();
		await createSchema(postgres!, schema);
		const databaseUrl = urlWithSchema(postgres!, schema);
		const secret = 'cd'.repeat(32);
		const started: Array<{ dispose(): Promise<void> }> = [];
		const refusal = async (env: Record<string, string>) => {
			try {
				started.push(await startTestServer({ DATABASE_URL: databaseUrl, SERVER_SECRET: secret, ...env }));
				return 'started';
			} catch (error) {
				return error instanceof Error ? error.message : String(error);
			}
		};
		try {
			const alone = await startTestServer({ DATABASE_URL: databaseUrl, SERVER_SECRET: secret });
			started.push(alone);
			const prefix = freshRedisPrefix();
			expect(await Promise.all([refusal({}), refusal({ REDIS_URL: redis!, REDIS_PREFIX: prefix })])).toEqual([
				expect.stringMatching(/Refusing to start: another Asset Atlas instance is serving .* must all set REDIS_URL/),
				expect.stringMatching(/Refusing to start: an Asset Atlas instance without REDIS_URL is serving/)
			]);
			await alone.dispose();
			started.splice(started.indexOf(alone), 1);
			// Now instances with REDIS_URL may share it, and one without is refused beside them.
			expect(await Promise.all([refusal({ REDIS_URL: redis!, REDIS_PREFIX: prefix }), refusal({ REDIS_URL: redis!, REDIS_PREFIX: prefix })])).toEqual(['started', 'started']);
			expect(
				await Promise.all([
					refusal({}),
					// Another server secret could not open the join codes the others sealed.
					refusal({ REDIS_URL: redis!, REDIS_PREFIX: prefix, SERVER_SECRET: 'ef'.repeat(32) }),
					// Redis that does not answer: a clear error, not a hang.
					refusal({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_PREFIX: prefix })
				])
			).toEqual([
				expect.stringMatching(/Refusing to start: another Asset Atlas instance is serving/),
				expect.stringMatching(/Refusing to start: this instance's server secret differs/),
				expect.stringMatching(/Cluster error: Redis at 127\.0\.0\.1:1/)
			]);
		} finally {
			await Promise.all(started.map((server) => server.dispose()));
			await dropSchemas(postgres!, [schema]);
		}
	}, 60_000);

	it('an instance on another REDIS_PREFIX than the running ones is refused; with none running, its prefix is filed instead', async () => {
		const schema = freshSchemaName();
		await createSchema(postgres!, schema);
		const databaseUrl = urlWithSchema(postgres!, schema);
		const env = { DATABASE_URL: databaseUrl, SERVER_SECRET: '9a'.repeat(32), REDIS_URL: redis! };
		const [first, second] = [freshRedisPrefix(), freshRedisPrefix()];
		const filed = () => withClient(databaseUrl, async (db) => (await db.query<{ value: string }>(`SELECT value FROM settings WHERE name = 'cluster-bus'`)).rows.map((row) => row.value));
		const refusal = (prefix: string) =>
			startTestServer({ ...env, REDIS_PREFIX: prefix }).then(
				async (server) => {
					await server.dispose();
					return 'started';
				},
				(error: unknown) => (error instanceof Error ? error.message : String(error))
			);
		try {
			const running = await startTestServer({ ...env, REDIS_PREFIX: first });
			try {
				// A SHA-256 of the prefix, never the URL.
				expect(await filed()).toEqual([createHash('sha256').update(first).digest('hex')]);
				expect(await refusal(second)).toMatch(/Refusing to start: this instance's REDIS_PREFIX differs from the one the instance already serving .* uses: it would not hear their edits/);
			} finally {
				await running.dispose();
			}
			// Nobody running: the deployment moved to another prefix.
			const moved = await startTestServer({ ...env, REDIS_PREFIX: second });
			try {
				expect(moved.output()).toMatch(/REDIS_PREFIX differs from the one the instances that served .* before used; none of them is running/);
				expect(await filed()).toEqual([createHash('sha256').update(second).digest('hex')]);
			} finally {
				await moved.dispose();
			}
		} finally {
			await dropSchemas(postgres!, [schema]);
		}
	}, 60_000);
});
