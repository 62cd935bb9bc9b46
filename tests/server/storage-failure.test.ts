/**
 * A real SQLite write failure in the real server process is never silent.
 *
 * How the write is made to fail, honestly: another connection to the same database
 * file (this test process) takes SQLite's write lock with BEGIN IMMEDIATE and holds it.
 * The server's next append then waits (a short busy timeout, tried again on a timer for 5 s) and fails with SQLITE_BUSY
 * ("database is locked"), a real error from the real driver on the real file, on the
 * same code path a read-only file or a full disk takes (appendUpdate throws). Making the
 * file read-only would not do it (the server's handle is already open and keeps its
 * rights), and a full disk cannot be staged portably without root (a tiny tmpfs). The
 * faulty-store test in rooms.test.ts covers the same path in-process.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, createMap, pollUntil, waitForDoc, withDeadline, type Client } from '../helpers/sync-clients.ts';
import { diskDoc } from '../helpers/yjs-frames.ts';

let server: TestServer;
const clients: Client[] = [];

beforeAll(async () => {
	server = await startTestServer();
});
afterAll(async () => {
	for (const c of clients.splice(0)) c.destroy();
	await server?.dispose();
});

describe('storage failure', () => {
	it('closes the room with 4503, logs an error, sends and stores nothing; saves the edit once the disk is back', async () => {
		const map = await createMap(server.url);
		const writer = connectClient(server.syncUrl, map.id, map.keys.editor);
		const reader = connectClient(server.syncUrl, map.id, map.keys.viewer);
		clients.push(writer, reader);
		await Promise.all([writer.synced, reader.synced]);
		writer.doc.getMap('assets').set('saved', 1);
		await waitForDoc(reader.doc, (d) => d.getMap('assets').get('saved') === 1, 'a first edit');
		const rowsBefore = diskDoc(server.sqliteFile, map.id).rows;

		const closeCodes = [writer, reader].map((c) =>
			withDeadline(
				new Promise<number>((resolve) => c.provider.once('connection-close', (event) => resolve(event?.code ?? 0))),
				'4503 close'
			)
		);
		const blocker = new Database(server.sqliteFile);
		try {
			blocker.exec('BEGIN IMMEDIATE');
			writer.doc.getMap('assets').set('unsaved', 'while the disk fails');
			expect(await Promise.all(closeCodes)).toEqual([4503, 4503]);

			// Not sent to anyone, not on disk (readers still work while a writer holds the lock).
			expect(reader.doc.getMap('assets').has('unsaved')).toBe(false);
			const disk = diskDoc(server.sqliteFile, map.id);
			expect(disk.rows).toBe(rowsBefore);
			expect(disk.doc.getMap('assets').has('unsaved')).toBe(false);
			await pollUntil(() => /write failed/.test(server.output()), 'the error in the log');
			const output = server.output();
			expect(output).toMatch(new RegExp(`map ${map.id}: write failed, closing the room: database is locked`));
			for (const key of Object.values(map.keys)) expect(output).not.toContain(key);
		} finally {
			blocker.exec('ROLLBACK');
			blocker.close();
		}

		// 4503 invites a reconnect: the stock client comes back, resends its edit, and now it sticks.
		await waitForDoc(reader.doc, (d) => d.getMap('assets').get('unsaved') === 'while the disk fails', 'the edit after recovery');
		expect(diskDoc(server.sqliteFile, map.id).doc.getMap('assets').get('unsaved')).toBe('while the disk fails');
	});
});
