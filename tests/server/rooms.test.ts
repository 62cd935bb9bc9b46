/**
 * Room behavior in-process (memory store): ordering against the disk, failures,
 * compaction, unloading and awareness.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createMemoryStore } from '../../server/persistence/memory.ts';
import { faultyStore, type FaultyStore } from '../helpers/faulty-store.ts';
import { startInProcess, type InProcessServer } from '../helpers/in-process.ts';
import {
	connectClient,
	createMap,
	openSocket,
	pollUntil,
	requestFullState,
	waitForClose,
	waitForDoc,
	waitForOpen,
	type Client
} from '../helpers/sync-clients.ts';

let app: InProcessServer | null = null;
const clients: Client[] = [];

function client(mapId: string, key: string): Client {
	const c = connectClient(app!.syncUrl, mapId, key);
	clients.push(c);
	return c;
}

async function start(store?: FaultyStore, compactThreshold?: number) {
	app = await startInProcess({}, { store: store ?? createMemoryStore(), compactThreshold, unloadGraceMs: 0 });
	return app;
}

afterEach(async () => {
	for (const c of clients.splice(0)) c.destroy();
	await app?.close();
	app = null;
});

describe('rooms', () => {
	it('broadcasts an update and answers sync step 1 only after the update is stored', async () => {
		const store = faultyStore(createMemoryStore());
		const { syncUrl } = await start(store);
		const map = await createMap(app!.url);
		const writer = client(map.id, map.keys.editor);
		const reader = client(map.id, map.keys.editor);
		await Promise.all([writer.synced, reader.synced]);

		const held = store.holdAppends();
		writer.doc.getMap('assets').set('slow', 1);
		await held.reached;
		const raw = openSocket(syncUrl, map.id, map.keys.viewer);
		await waitForOpen(raw);
		let answered = false;
		const reply = requestFullState(raw).then((state) => {
			answered = true;
			return state;
		});
		// Round-trip something through a different room-independent path so the server has
		// certainly had the chance to answer if it (wrongly) would.
		await fetch(`${app!.url}/api/config`);
		expect(reader.doc.getMap('assets').has('slow')).toBe(false);
		expect(answered).toBe(false);

		held.release();
		await waitForDoc(reader.doc, (d) => d.getMap('assets').get('slow') === 1, 'reader after release');
		const seen = new Y.Doc();
		Y.applyUpdate(seen, await reply);
		expect(seen.getMap('assets').get('slow')).toBe(1);
		raw.close();
	});

	it('queues messages that arrive while the room is loading', async () => {
		const store = faultyStore(createMemoryStore());
		await start(store);
		const map = await createMap(app!.url);
		const held = store.holdLoads();
		const early = client(map.id, map.keys.editor);
		early.doc.getMap('assets').set('early', true);
		await held.reached;
		held.release();
		await early.synced;
		const late = client(map.id, map.keys.viewer);
		await late.synced;
		expect(late.doc.getMap('assets').get('early')).toBe(true);
		expect(late.doc.getMap('meta').get('title')).toBe('Test map');
	});

	it('on a failed write: logs the map id, closes sockets with 4503, and a new room recovers', async () => {
		const store = faultyStore(createMemoryStore());
		await start(store);
		const map = await createMap(app!.url);
		const writer = client(map.id, map.keys.editor);
		const reader = client(map.id, map.keys.viewer);
		await Promise.all([writer.synced, reader.synced]);
		const closes = [writer, reader].map(
			(c) => new Promise<number>((resolve) => c.provider.on('connection-close', (event) => resolve(event?.code ?? 0)))
		);
		store.failAppends(true);
		writer.doc.getMap('assets').set('lost', 1);
		expect(await Promise.all(closes)).toEqual([4503, 4503]);
		expect(reader.doc.getMap('assets').has('lost')).toBe(false);
		const logs = app!.logs.join('\n');
		expect(logs).toContain(map.id);
		expect(logs).toContain('disk full');
		for (const key of Object.values(map.keys)) expect(logs).not.toContain(key);

		// The disk comes back: the stock client reconnects and its edit is saved after all.
		store.failAppends(false);
		await waitForDoc(reader.doc, (d) => d.getMap('assets').get('lost') === 1, 'edit after recovery');
		const rows = await app!.atlas.store.loadUpdates(map.id);
		const disk = new Y.Doc();
		for (const row of rows) Y.applyUpdate(disk, row.data);
		expect(disk.getMap('assets').get('lost')).toBe(1);
	});

	it('compacts past the threshold and when the last client leaves, then unloads', async () => {
		await start(undefined, 5);
		const map = await createMap(app!.url);
		const writer = client(map.id, map.keys.editor);
		const reader = client(map.id, map.keys.editor);
		await Promise.all([writer.synced, reader.synced]);
		for (let i = 0; i < 30; i++) {
			writer.doc.getMap('assets').set(`k${i}`, i);
			await waitForDoc(reader.doc, (d) => d.getMap('assets').get(`k${i}`) === i, `k${i}`);
		}
		expect(await app!.atlas.store.countUpdates(map.id)).toBeLessThanOrEqual(6);
		expect(app!.atlas.rooms.has(map.id)).toBe(true);

		for (const c of clients.splice(0)) c.destroy();
		await pollUntil(() => !app!.atlas.rooms.has(map.id), 'room to unload');
		expect(await app!.atlas.store.countUpdates(map.id)).toBe(1);
		const fresh = client(map.id, map.keys.viewer);
		await fresh.synced;
		expect(fresh.doc.getMap('assets').size).toBe(30);
	});

	it('a compaction that keeps failing is retried with pauses, not after every write', async () => {
		const inner = createMemoryStore();
		let attempts = 0;
		const failing = {
			...inner,
			async compactStored() {
				attempts++;
				throw new Error('disk full (simulated)');
			},
			async compact() {
				attempts++;
				throw new Error('disk full (simulated)');
			}
		};
		app = await startInProcess({}, { store: failing, compactThreshold: 5, unloadGraceMs: 60_000 });
		const map = await createMap(app.url);
		const writer = client(map.id, map.keys.editor);
		const reader = client(map.id, map.keys.editor);
		await Promise.all([writer.synced, reader.synced]);
		for (let i = 0; i < 40; i++) {
			writer.doc.getMap('assets').set(`k${i}`, i);
			await waitForDoc(reader.doc, (d) => d.getMap('assets').get(`k${i}`) === i, `k${i}`);
		}
		// Every write past the threshold would have tried again (35 tries); the pauses double from 1 s.
		expect(attempts).toBeGreaterThanOrEqual(1);
		expect(attempts).toBeLessThan(8);
		expect(app.logs.filter((line) => line.includes('compaction failed'))).toHaveLength(attempts);
		expect(await inner.countUpdates(map.id)).toBeGreaterThan(40);
	});

	it('relays awareness and removes a client’s states when it disconnects', async () => {
		await start();
		const map = await createMap(app!.url);
		const a = client(map.id, map.keys.editor);
		const b = client(map.id, map.keys.viewer);
		await Promise.all([a.synced, b.synced]);
		const seen = new Promise<void>((resolve) =>
			b.provider.awareness.on('change', () => {
				if (b.provider.awareness.getStates().get(a.doc.clientID)?.name === 'Ana') resolve();
			})
		);
		a.provider.awareness.setLocalStateField('name', 'Ana');
		await seen;
		// A late joiner gets the current states on connect.
		const c = client(map.id, map.keys.viewer);
		await pollUntil(() => c.provider.awareness.getStates().get(a.doc.clientID)?.name === 'Ana', 'late joiner awareness');
		// Terminate without a goodbye: the server must remove A's state for the others.
		a.provider.ws?.close();
		a.provider.shouldConnect = false;
		await pollUntil(() => !b.provider.awareness.getStates().has(a.doc.clientID), 'awareness removal');
	});

	it('close() compacts and closes sockets with 1012 so clients reconnect', async () => {
		const { syncUrl } = await start();
		const map = await createMap(app!.url);
		const writer = client(map.id, map.keys.editor);
		await writer.synced;
		for (let i = 0; i < 10; i++) writer.doc.getMap('assets').set(`k${i}`, i);
		const raw = openSocket(syncUrl, map.id, map.keys.viewer);
		await waitForOpen(raw);
		await requestFullState(raw);
		const closed = waitForClose(raw);
		const store = app!.atlas.store;
		await app!.close();
		app = null;
		expect((await closed).code).toBe(1012);
		expect(await store.countUpdates(map.id)).toBe(1);
		const disk = new Y.Doc();
		for (const row of await store.loadUpdates(map.id)) Y.applyUpdate(disk, row.data);
		expect(disk.getMap('assets').size).toBe(10);
	});

	it('with the heap near its limit, a map not yet open is not loaded (1013, try again) while open maps go on', async () => {
		let tight = false;
		app = await startInProcess({}, { store: createMemoryStore(), unloadGraceMs: 60_000, memory: { tight: () => tight } });
		const open = await createMap(app.url);
		const other = await createMap(app.url);
		const writer = client(open.id, open.keys.editor);
		const idle = await createMap(app.url);
		const visitor = client(idle.id, idle.keys.editor);
		await Promise.all([writer.synced, visitor.synced]);
		visitor.destroy();
		await pollUntil(() => app!.atlas.rooms.room(idle.id)?.connectionCount === 0, 'the idle room emptied');

		tight = true;
		const refused = openSocket(app.syncUrl, other.id, other.keys.editor);
		expect(await waitForClose(refused)).toEqual({ code: 1013, reason: 'server busy; try again shortly' });
		// Empty rooms are let go at once, not after their grace period.
		await pollUntil(() => !app!.atlas.rooms.has(idle.id), 'the idle room unloaded');
		// The open map still syncs reads.
		const reader = client(open.id, open.keys.viewer);
		await reader.synced;

		tight = false;
		const welcome = client(other.id, other.keys.editor);
		await welcome.synced;
	});
});
