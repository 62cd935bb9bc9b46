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
	waitForClose,
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

	it("refuses a viewer's write with 4409: other clients and the disk never see it", async () => {
		const map = await createMap(server.url);
		const editor = client(map.id, map.keys.editor);
		const viewer = client(map.id, map.keys.viewer);
		await Promise.all([editor.synced, viewer.synced]);
		const rowsBefore = rowCount(map.id);

		// The editor's writes reach the viewer, and the viewer's empty sync step 2 did not
		// cost it its socket.
		editor.doc.getMap('assets').set('fromEditor', 1);
		await waitForDoc(viewer.doc, (d) => d.getMap('assets').has('fromEditor'), 'viewer to see editor');
		const rowsWithEdit = rowCount(map.id);
		expect(rowsWithEdit).toBeGreaterThan(rowsBefore);

		// A stock client treats 44xx as final and reports it through 'closed'.
		const closed = new Promise<{ code: number; reason: string }>((resolve) =>
			viewer.provider.on('closed', (event: { code: number; reason: string }) => resolve(event))
		);
		viewer.doc.getMap('assets').set('fromViewer', 'should not spread');
		const close = await closed;
		expect(close.code).toBe(4409);
		expect(close.reason).toBe('write refused: viewers are read-only');
		expect(viewer.provider.shouldConnect).toBe(false);

		// The room handled the refused frame before this later edit, so had the write been
		// broadcast, the editor would have it by now.
		const probe = client(map.id, map.keys.facilitator);
		await probe.synced;
		probe.doc.getMap('assets').set('after', 1);
		await waitForDoc(editor.doc, (d) => d.getMap('assets').has('after'), 'editor to see a later edit');
		expect(editor.doc.getMap('assets').has('fromViewer')).toBe(false);
		expect(probe.doc.getMap('assets').has('fromViewer')).toBe(false);
		expect(rowCount(map.id)).toBe(rowsWithEdit + 1);
		closeClients();

		await server.restart();
		const fresh = client(map.id, map.keys.facilitator);
		await fresh.synced;
		expect(fresh.doc.getMap('assets').get('fromEditor')).toBe(1);
		expect(fresh.doc.getMap('assets').has('fromViewer')).toBe(false);
		closeClients();
	});

	it('keeps a viewer socket that sends nothing new, closes one that sends a raw write (4409)', async () => {
		const map = await createMap(server.url);
		const ws = openSocket(server.syncUrl, map.id, map.keys.viewer);
		await waitForOpen(ws);
		// The usual sync step 2 of a viewer: an empty update. Harmless, so the socket stays.
		ws.send(syncMessage(1, Y.encodeStateAsUpdate(new Y.Doc())));
		const state = await requestFullState(ws);
		const seen = new Y.Doc();
		Y.applyUpdate(seen, state);
		expect(seen.getMap('meta').get('title')).toBe('Test map');
		// Sending back what the server already has is a no-op too.
		ws.send(syncMessage(2, state));
		await requestFullState(ws);

		const sneaky = new Y.Doc();
		sneaky.getMap('assets').set('raw', 'viewer write');
		ws.send(syncMessage(2, Y.encodeStateAsUpdate(sneaky)));
		expect((await waitForClose(ws)).code).toBe(4409);
		const check = openSocket(server.syncUrl, map.id, map.keys.viewer);
		await waitForOpen(check);
		const after = new Y.Doc();
		Y.applyUpdate(after, await requestFullState(check));
		expect(after.getMap('assets').has('raw')).toBe(false);
		expect(rowCount(map.id)).toBe(1);
		check.close();
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
