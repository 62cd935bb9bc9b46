/**
 * The room registry and runner of one instance among several, with a bus of the test's own
 * (`testBus`: it delivers only what the test hands it, as a Redis that lost or forged
 * messages would) and real stores:
 *
 * - An instance that never hears a replaced key's message (Redis away for good, or an
 *   instance on another REDIS_PREFIX) still closes the old key's sockets: the 2 s head poll
 *   reads every loaded map's key generations in the same query (PostgreSQL, two stores on
 *   one schema as two instances; the latency through the poll is printed, never asserted).
 * - A revoke message carries no authority: the registry reads the generations from the
 *   store, so a forged one with a huge generation closes nothing still valid.
 * - After a stall longer than the key lease (one poll and a second), the writes that queued
 *   up are judged only once the keys have been read again: a write from a key replaced on
 *   another instance meanwhile is refused with 4401 and never stored.
 * - An update from the bus that does not apply is dropped and read from the store instead;
 *   the room stays open. Only the store's own rows failing to apply fail the room (4503).
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Role } from '../../src/lib/doc/model.ts';
import { FIRST_GENERATIONS, hashKeys, keysFor, newFacilitatorKey } from '../../server/auth.ts';
import type { ClusterBus, MapListener } from '../../server/cluster/bus.ts';
import { CompactionConflict, type DocStore } from '../../server/persistence/doc-store.ts';
import { createMemoryStore } from '../../server/persistence/memory.ts';
import { createPostgresStore } from '../../server/persistence/postgres.ts';
import { RoomRegistry, DEFAULT_CLUSTER_POLL_MS, type KeyedConnection } from '../../server/room/registry.ts';
import type { Logger } from '../../server/room/runner.ts';
import { dropSchemas, freshSchemaName, testPostgres } from '../helpers/postgres.ts';
import { pollUntil, withDeadline } from '../helpers/sync-clients.ts';
import { syncFrame } from '../helpers/yjs-frames.ts';
import { addAsset } from '../../src/lib/doc/mutations.ts';
import type { AtlasDoc } from '../../src/lib/doc/schema.ts';

const postgres = await testPostgres();
const schemas: string[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
	if (postgres) await dropSchemas(postgres, schemas);
});

/** A bus that is "on" but delivers only what the test hands it; what the instance publishes goes nowhere. */
function testBus() {
	const listeners = new Map<string, Set<MapListener>>();
	const revokeHandlers: Array<(mapId: string, role: Role, generation: number) => void> = [];
	const bus: ClusterBus = {
		enabled: true,
		instanceId: 'test-instance',
		subscribe: async (mapId, listener) => {
			if (!listeners.has(mapId)) listeners.set(mapId, new Set());
			listeners.get(mapId)!.add(listener);
		},
		unsubscribe: (mapId, listener) => void listeners.get(mapId)?.delete(listener),
		publishUpdate: () => {},
		publishOwners: () => {},
		publishPresence: () => {},
		publishRevoke: () => {},
		onRevoke: (handler) => void revokeHandlers.push(handler),
		onResync: () => {},
		close: async () => {}
	};
	return {
		bus,
		revoke: (mapId: string, role: Role, generation: number) => revokeHandlers.forEach((handler) => handler(mapId, role, generation)),
		listeners: (mapId: string) => [...(listeners.get(mapId) ?? [])]
	};
}

function quietLogger() {
	const lines: string[] = [];
	const logger: Logger = {
		error: (message) => void lines.push(`error: ${message}`),
		warn: (message) => void lines.push(`warn: ${message}`),
		debug: () => {}
	};
	return { logger, lines };
}

/** A socket as the registry sees it: records its close. */
function connection(role: Role, keyGeneration: number) {
	let closedWith: ((close: { code: number; reason: string }) => void) | null = null;
	const closed = new Promise<{ code: number; reason: string }>((resolve) => (closedWith = resolve));
	const state = { close: null as { code: number; reason: string } | null, sent: [] as Uint8Array[] };
	const conn: KeyedConnection = {
		role,
		identity: { name: role, affiliation: 'student', session: null, device: null },
		keyGeneration,
		bufferedBytes: 0,
		get closing() {
			return state.close !== null;
		},
		send: (data) => void state.sent.push(data),
		close: (code, reason) => {
			if (state.close) return;
			state.close = { code, reason };
			closedWith!(state.close);
		}
	};
	return { conn, closed, state };
}

let counter = 0;
async function createMap(store: DocStore): Promise<string> {
	const id = `regmap${String(counter++).padStart(4, '0')}`;
	await store.createMap({
		id,
		title: 'A map',
		place: '',
		createdAt: 1_700_000_000_000,
		keyHashes: hashKeys(keysFor(newFacilitatorKey(), id, { ...FIRST_GENERATIONS })),
		keyGenerations: { ...FIRST_GENERATIONS },
		linkSecret: null
	});
	return id;
}

/** Resolves once the room has loaded and handled everything queued so far (its join included). */
async function settled(registry: RoomRegistry, mapId: string): Promise<void> {
	await pollUntil(() => registry.room(mapId)?.doc !== null && registry.room(mapId)?.doc !== undefined, 'the room to load');
}

describe.skipIf(!postgres)('replaced keys without the bus: the head poll', () => {
	it('an instance that never hears the revoke message closes the old key\'s sockets within one poll, from the generations read with the heads', async () => {
		const schema = freshSchemaName();
		schemas.push(schema);
		// Two instances on one database, each with its own pool and a bus that delivers nothing
		// (as if they used different REDIS_PREFIXes).
		const [storeA, storeB] = await Promise.all([0, 1].map(() => createPostgresStore(postgres!, { schema, poolSize: 2 })));
		cleanups.push(async () => {
			await Promise.all([storeA.close(), storeB.close()]);
		});
		const [a, b] = [storeA, storeB].map((store) => new RoomRegistry({ store, cluster: testBus().bus, logger: quietLogger().logger, presenceTickMs: 1000 }));
		cleanups.push(async () => {
			await Promise.all([a.closeAll(), b.closeAll()]);
		});
		const mapId = await createMap(storeA);
		const onA = connection('editor', 0);
		const onB = connection('editor', 0);
		const viewerOnB = connection('viewer', 0);
		a.join(mapId, onA.conn);
		b.join(mapId, onB.conn);
		b.join(mapId, viewerOnB.conn);
		await Promise.all([settled(a, mapId), settled(b, mapId)]);

		// The facilitator replaces the editor link through A (what the API does).
		expect(await storeA.rotateKey(mapId, 'editor', 0, 'e'.repeat(64))).toBe(true);
		const started = performance.now();
		a.keyReplaced(mapId, 'editor', 1);
		expect((await onA.closed).code).toBe(4401);
		// B hears nothing from the bus; its poll reads the generation with the heads.
		const close = await withDeadline(onB.closed, 'the old editor key\'s socket on the other instance to close', 3 * DEFAULT_CLUSTER_POLL_MS + 2000);
		const latency = performance.now() - started;
		expect(close).toEqual({ code: 4401, reason: 'key replaced' });
		expect(viewerOnB.state.close).toBeNull();
		expect(b.isRevoked(mapId, 'editor', 0)).toBe(true);
		expect(b.isRevoked(mapId, 'editor', 1)).toBe(false);
		console.log(`replaced key without the bus: the other instance closed the old key's socket ${latency.toFixed(0)} ms after the rotation (poll every ${DEFAULT_CLUSTER_POLL_MS} ms)`);
	}, 15_000);
});

/** A participant's new asset as the sync frame their client would send, built on the room's state. */
function assetFrame(room: Y.Doc, name: string): { frame: Uint8Array; update: Uint8Array } {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, Y.encodeStateAsUpdate(room));
	const before = Y.encodeStateVector(doc);
	addAsset(doc as AtlasDoc, { name, category: 'places', description: '', holder: '', tags: [], geometry: { type: 'Point', coordinates: [-87.6, 41.8] } }, { id: 'partnerXXXXXXXXX', name: 'Pat', affiliation: 'community-member' });
	const update = Y.encodeStateAsUpdate(doc, before);
	return { frame: syncFrame('update', update), update };
}

const assetNames = (doc: Y.Doc) => [...doc.getMap<Y.Map<unknown>>('assets').values()].map((asset) => asset.get('name'));

describe('a stalled instance and a key replaced meanwhile', () => {
	it('judges the writes that queued up during the stall only after reading the keys again: the replaced key\'s write is refused (4401) and never stored', async () => {
		const store = createMemoryStore();
		let now = 0;
		// No poll and no revoke message reach this instance: only the lease acts.
		const registry = new RoomRegistry({ store, cluster: testBus().bus, logger: quietLogger().logger, clusterPollMs: 3_600_000, keyLeaseMs: 3000, clock: () => now });
		cleanups.push(() => registry.closeAll());
		const mapId = await createMap(store);
		const pat = connection('editor', 0);
		const room = registry.join(mapId, pat.conn);
		await settled(registry, mapId);

		// Another instance replaces the editor link; the message never comes here.
		expect(await store.rotateKey(mapId, 'editor', 0, 'e'.repeat(64))).toBe(true);

		// Within the lease (a second later) the old key's write is still taken: the window
		// server/RULES.md documents, bounded by the lease.
		now = 1000;
		room.receive(pat.conn, assetFrame(room.doc!, 'Within the lease').frame);
		await pollUntil(() => assetNames(room.doc!).includes('Within the lease'), 'the write within the lease');
		expect(pat.state.close).toBeNull();
		const rowsBefore = (await store.loadUpdates(mapId)).length;

		// A stall of 10 s: the next write waits for the keys to be read, which closes the socket first.
		now = 11_000;
		room.receive(pat.conn, assetFrame(room.doc!, 'After the stall').frame);
		expect(await withDeadline(pat.closed, 'the replaced key\'s socket to close')).toEqual({ code: 4401, reason: 'key replaced' });
		expect(registry.isRevoked(mapId, 'editor', 0)).toBe(true);

		// The new key's socket writes at once (the read renewed the lease), and the old one's write is nowhere.
		const newPat = connection('editor', 1);
		registry.join(mapId, newPat.conn);
		room.receive(newPat.conn, assetFrame(room.doc!, 'With the new link').frame);
		await pollUntil(() => assetNames(room.doc!).includes('With the new link'), 'the new key\'s write');
		expect(newPat.state.close).toBeNull();
		expect(assetNames(room.doc!)).not.toContain('After the stall');
		const stored = new Y.Doc();
		const rows = await store.loadUpdates(mapId);
		for (const row of rows) Y.applyUpdate(stored, row.data);
		expect(rows.length).toBe(rowsBefore + 1);
		expect(assetNames(stored).sort()).toEqual(['Within the lease', 'With the new link'].sort());
	});
});

describe('revoke messages carry no authority', () => {
	it('a revoke message only makes the registry read the generations from the store: a forged huge generation closes nothing still valid', async () => {
		const store = createMemoryStore();
		const { bus, revoke } = testBus();
		// No poll during the test: only the revoke messages act.
		const registry = new RoomRegistry({ store, cluster: bus, logger: quietLogger().logger, clusterPollMs: 3_600_000 });
		cleanups.push(() => registry.closeAll());
		const mapId = await createMap(store);
		const editor = connection('editor', 0);
		const viewer = connection('viewer', 0);
		const facilitator = connection('facilitator', 0);
		for (const c of [editor, viewer, facilitator]) registry.join(mapId, c.conn);
		await settled(registry, mapId);

		// Forged: nothing was replaced in the store.
		revoke(mapId, 'editor', 1e9);
		revoke(mapId, 'facilitator', 2 ** 31);
		// A real replacement of the viewer key, announced after them: once it has closed the
		// viewer, the forged ones have been read too (reads for one map run in order).
		expect(await store.rotateKey(mapId, 'viewer', 0, 'v'.repeat(64))).toBe(true);
		revoke(mapId, 'viewer', 1);
		expect(await withDeadline(viewer.closed, 'the replaced viewer key to close')).toEqual({ code: 4401, reason: 'key replaced' });
		expect(editor.state.close).toBeNull();
		expect(facilitator.state.close).toBeNull();
		expect(registry.isRevoked(mapId, 'editor', 0)).toBe(false);
		expect(registry.isRevoked(mapId, 'facilitator', 0)).toBe(false);

		// A real replacement announced with a forged generation: closed up to what the store says.
		expect(await store.rotateKey(mapId, 'editor', 0, 'e'.repeat(64))).toBe(true);
		revoke(mapId, 'editor', 1e9);
		expect(await withDeadline(editor.closed, 'the replaced editor key to close')).toEqual({ code: 4401, reason: 'key replaced' });
		expect(registry.isRevoked(mapId, 'editor', 0)).toBe(true);
		expect(registry.isRevoked(mapId, 'editor', 1)).toBe(false);
		expect(facilitator.state.close).toBeNull();
	});
});

/** Updates a writer made, in order. */
function writes(count: number, clientId: number): Uint8Array[] {
	const doc = new Y.Doc();
	doc.clientID = clientId;
	const updates: Uint8Array[] = [];
	doc.on('update', (u: Uint8Array) => updates.push(u));
	for (let i = 0; i < count; i++) doc.getMap('assets').set(`k${i}`, i);
	return updates;
}

describe('updates from the bus that do not apply', () => {
	it('are dropped and read from the store instead; the room stays open and ends with the stored rows', async () => {
		const store = createMemoryStore();
		const { bus, listeners } = testBus();
		const { logger, lines } = quietLogger();
		const registry = new RoomRegistry({ store, cluster: bus, logger, clusterPollMs: 3_600_000 });
		cleanups.push(() => registry.closeAll());
		const mapId = await createMap(store);
		const updates = writes(3, 77);
		const first = await store.appendUpdate(mapId, updates[0]);
		const member = connection('viewer', 0);
		registry.join(mapId, member.conn);
		await settled(registry, mapId);
		const room = registry.room(mapId)!;
		await pollUntil(() => room.doc!.getMap('assets').has('k0'), 'the stored row to be applied');

		// Another instance commits seq first+1 and first+2; what arrives on the bus for first+1 is garbage.
		const second = await store.appendUpdate(mapId, updates[1]);
		const third = await store.appendUpdate(mapId, updates[2]);
		const [listener] = listeners(mapId);
		listener.update({ seq: second, update: new Uint8Array([1, 200, 200, 200, 200, 200, 1, 7]), owners: [] });
		listener.update({ seq: third, update: updates[2], owners: [] });
		await pollUntil(() => {
			if (member.state.close) throw new Error(`the room closed its sockets: ${member.state.close.code} ${member.state.close.reason}`);
			return room.doc!.getMap('assets').has('k1') && room.doc!.getMap('assets').has('k2');
		}, 'the room to read the rows from the store');
		expect(member.state.close).toBeNull();
		expect(room.isUsable).toBe(true);
		expect(room.doc!.getMap('assets').toJSON()).toEqual({ k0: 0, k1: 1, k2: 2 });
		expect(lines.filter((line) => line.startsWith('error:'))).toEqual([]);
		expect(lines.some((line) => /warn: map .*: an update from another instance .* did not apply/.test(line))).toBe(true);
		expect(first).toBe(1);
	});

	it('the store\'s own rows failing to apply still fail the room (4503)', async () => {
		const store = createMemoryStore();
		const { bus, listeners } = testBus();
		const { logger, lines } = quietLogger();
		const registry = new RoomRegistry({ store, cluster: bus, logger, clusterPollMs: 3_600_000 });
		cleanups.push(() => registry.closeAll());
		const mapId = await createMap(store);
		await store.appendUpdate(mapId, writes(1, 78)[0]);
		const member = connection('viewer', 0);
		registry.join(mapId, member.conn);
		await settled(registry, mapId);
		// A row in the store that is not an update, announced as too large to travel.
		const seq = await store.appendUpdate(mapId, new Uint8Array([1, 200, 200, 200, 200, 200, 1, 7]));
		listeners(mapId)[0].update({ seq, update: null, owners: [] });
		expect((await withDeadline(member.closed, 'the room to fail')).code).toBe(4503);
		expect(lines.some((line) => line.startsWith('error:'))).toBe(true);
	});
});

describe('a compaction that gives way to another instance\'s', () => {
	it('is a warning, not an error; any other compaction failure stays an error', async () => {
		for (const [failure, level] of [
			[new CompactionConflict('another instance compacted these rows while this one merged them'), 'warn'],
			[new Error('disk on fire'), 'error']
		] as const) {
			const inner = createMemoryStore();
			const store: DocStore = {
				...inner,
				compactStored: async () => {
					throw failure;
				}
			};
			const { logger, lines } = quietLogger();
			const registry = new RoomRegistry({ store, cluster: testBus().bus, logger, clusterPollMs: 3_600_000, unloadGraceMs: 0 });
			cleanups.push(() => registry.closeAll());
			const mapId = await createMap(store);
			for (const update of writes(3, 79)) await store.appendUpdate(mapId, update);
			const member = connection('viewer', 0);
			const room = registry.join(mapId, member.conn);
			await settled(registry, mapId);
			// The last one leaves: the room compacts and unloads.
			room.leave(member.conn);
			await pollUntil(() => !room.isUsable, 'the room to unload');
			const compaction = lines.filter((line) => /compaction/.test(line));
			expect(compaction).toHaveLength(1);
			expect(compaction[0].startsWith(`${level}:`), compaction[0]).toBe(true);
		}
	});
});
