/**
 * Stock y-websocket clients against the real server process: convergence, read-only
 * viewers, and "on disk before anyone sees it" across a SIGKILL.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import {
	connectClient,
	createMap,
	openSocket,
	requestFullState,
	syncMessage,
	waitForDoc,
	waitForOpen,
	type Client
} from '../helpers/sync-clients.ts';

let server: TestServer;
const clients: Client[] = [];

function client(mapId: string, key: string): Client {
	const c = connectClient(server.syncUrl, mapId, key);
	clients.push(c);
	return c;
}

function closeClients() {
	for (const c of clients.splice(0)) c.destroy();
}

function rowCount(mapId: string): number {
	const db = new Database(server.sqliteFile, { readonly: true, fileMustExist: true });
	try {
		return (db.prepare('SELECT COUNT(*) AS n FROM doc_updates WHERE map_id = ?').get(mapId) as { n: number }).n;
	} finally {
		db.close();
	}
}

beforeAll(async () => {
	server = await startTestServer();
});

afterAll(async () => {
	closeClients();
	await server?.dispose();
});

describe('sync with stock y-websocket clients', () => {
	it('two clients converge on edits made on either side', async () => {
		const map = await createMap(server.url);
		const a = client(map.id, map.keys.facilitator);
		const b = client(map.id, map.keys.editor);
		await Promise.all([a.synced, b.synced]);
		// The server's initial document reached both.
		expect(a.doc.getMap('meta').get('title')).toBe('Test map');
		expect(b.doc.getMap('meta').get('place')).toBe('Testville');

		a.doc.getMap('assets').set('fromA', 1);
		b.doc.getMap('assets').set('fromB', 2);
		await waitForDoc(a.doc, (d) => d.getMap('assets').has('fromB'), 'A to see B');
		await waitForDoc(b.doc, (d) => d.getMap('assets').has('fromA'), 'B to see A');
		expect(a.doc.getMap('assets').toJSON()).toEqual(b.doc.getMap('assets').toJSON());
		closeClients();
	});

	it("drops a viewer's writes: other clients and the disk never see them", async () => {
		const map = await createMap(server.url);
		const editor = client(map.id, map.keys.editor);
		const viewer = client(map.id, map.keys.viewer);
		await Promise.all([editor.synced, viewer.synced]);
		const rowsBefore = rowCount(map.id);

		viewer.doc.getMap('assets').set('fromViewer', 'should not spread');
		// Awareness goes through the same per-room queue after the dropped write, so once the
		// editor sees the marker, the server has already processed (and dropped) the write.
		const marker = new Promise<void>((resolve) => {
			editor.provider.awareness.on('change', () => {
				if (editor.provider.awareness.getStates().get(viewer.doc.clientID)?.marker === 1) resolve();
			});
		});
		viewer.provider.awareness.setLocalStateField('marker', 1);
		await marker;
		expect(editor.doc.getMap('assets').has('fromViewer')).toBe(false);
		expect(rowCount(map.id)).toBe(rowsBefore);

		// The editor's writes still reach the viewer.
		editor.doc.getMap('assets').set('fromEditor', 1);
		await waitForDoc(viewer.doc, (d) => d.getMap('assets').has('fromEditor'), 'viewer to see editor');
		closeClients();

		await server.restart();
		const fresh = client(map.id, map.keys.facilitator);
		await fresh.synced;
		expect(fresh.doc.getMap('assets').get('fromEditor')).toBe(1);
		expect(fresh.doc.getMap('assets').has('fromViewer')).toBe(false);
		closeClients();
	});

	it('drops a raw viewer update frame', async () => {
		const map = await createMap(server.url);
		const ws = openSocket(server.syncUrl, map.id, map.keys.viewer);
		await waitForOpen(ws);
		const sneaky = new Y.Doc();
		sneaky.getMap('assets').set('raw', 'viewer write');
		const update = Y.encodeStateAsUpdate(sneaky);
		ws.send(syncMessage(2, update));
		ws.send(syncMessage(1, update));
		// Answered in order, so this reply reflects the room after both frames were handled.
		const state = await requestFullState(ws);
		const seen = new Y.Doc();
		Y.applyUpdate(seen, state);
		expect(seen.getMap('meta').get('title')).toBe('Test map');
		expect(seen.getMap('assets').has('raw')).toBe(false);
		expect(rowCount(map.id)).toBe(1);
		ws.close();
	});

	it('keeps every update anyone has seen across a SIGKILL', async () => {
		const map = await createMap(server.url);
		const writer = client(map.id, map.keys.editor);
		const reader = client(map.id, map.keys.editor);
		await Promise.all([writer.synced, reader.synced]);

		const burst = writer.doc.getMap<number>('assets');
		for (let i = 0; i < 200; i++) burst.set(`k${i}`, i);
		await waitForDoc(reader.doc, (d) => d.getMap('assets').size === 200, 'reader to see 200 updates');

		await server.kill('SIGKILL');
		closeClients();
		await server.restart();
		const fresh = client(map.id, map.keys.viewer);
		await fresh.synced;
		const restored = fresh.doc.getMap<number>('assets');
		expect(restored.size).toBe(200);
		for (let i = 0; i < 200; i++) expect(restored.get(`k${i}`)).toBe(i);
		closeClients();
	});

	it('on SIGTERM compacts open rooms, exits cleanly, and loses nothing', async () => {
		const map = await createMap(server.url);
		const writer = client(map.id, map.keys.editor);
		const reader = client(map.id, map.keys.viewer);
		await Promise.all([writer.synced, reader.synced]);
		for (let i = 0; i < 20; i++) writer.doc.getMap('assets').set(`k${i}`, i);
		await waitForDoc(reader.doc, (d) => d.getMap('assets').size === 20, 'reader to see 20 edits');
		expect(rowCount(map.id)).toBeGreaterThan(1);

		expect(await server.kill('SIGTERM')).toEqual({ code: 0, signal: null });
		expect(server.output()).toContain('Received SIGTERM');
		closeClients();
		expect(rowCount(map.id)).toBe(1);
		await server.restart();
		const fresh = client(map.id, map.keys.viewer);
		await fresh.synced;
		expect(fresh.doc.getMap('assets').size).toBe(20);
		closeClients();
	});
});
