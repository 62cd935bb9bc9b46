/** Who may open a map's socket, against the real server and in-process. */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newMapId } from '../../src/lib/doc/ids.ts';
import { startInProcess } from '../helpers/in-process.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, createMap, openSocket, waitForClose } from '../helpers/sync-clients.ts';

let server: TestServer;

function rows(sql: string, ...params: string[]): number {
	const db = new Database(server.sqliteFile, { readonly: true, fileMustExist: true });
	try {
		return (db.prepare(sql).get(...params) as { n: number }).n;
	} finally {
		db.close();
	}
}

beforeAll(async () => {
	server = await startTestServer();
});
afterAll(async () => {
	await server?.dispose();
});

describe('socket access', () => {
	it('closes a bad, missing or foreign key with 4401 and stores nothing', async () => {
		const map = await createMap(server.url);
		const other = await createMap(server.url);
		const unknownId = newMapId();
		const totalBefore = rows('SELECT COUNT(*) AS n FROM doc_updates');

		const attempts = [
			openSocket(server.syncUrl, map.id, 'not-a-key'),
			openSocket(server.syncUrl, map.id, null),
			openSocket(server.syncUrl, map.id, other.keys.facilitator),
			openSocket(server.syncUrl, unknownId, map.keys.facilitator),
			openSocket(server.syncUrl, map.id, 'x'.repeat(5000))
		];
		const closes = await Promise.all(attempts.map(waitForClose));
		for (const close of closes) expect(close.code).toBe(4401);

		expect(rows('SELECT COUNT(*) AS n FROM doc_updates WHERE map_id = ?', unknownId)).toBe(0);
		expect(rows('SELECT COUNT(*) AS n FROM maps WHERE id = ?', unknownId)).toBe(0);
		expect(rows('SELECT COUNT(*) AS n FROM doc_updates')).toBe(totalBefore);
	});

	it('closes a malformed map id with 4400', async () => {
		const map = await createMap(server.url);
		for (const id of ['BAD', 'aaaaaaaaa1', '..%2Fetc', 'abcdefghjk/more', '']) {
			const close = await waitForClose(openSocket(server.syncUrl, id, map.keys.facilitator));
			expect(close.code, `id "${id}"`).toBe(4400);
		}
	});

	it('a stock client with a bad key stops retrying', async () => {
		const map = await createMap(server.url);
		const c = connectClient(server.syncUrl, map.id, 'wrong');
		const closed = await new Promise<number>((resolve) =>
			c.provider.on('closed', (event: { code: number }) => resolve(event.code))
		);
		expect(closed).toBe(4401);
		expect(c.provider.shouldConnect).toBe(false);
		c.destroy();
	});
});

describe('socket access in-process', () => {
	it('a refused socket creates no room and no document', async () => {
		const app = await startInProcess();
		try {
			const map = await createMap(app.url);
			const unknownId = newMapId();
			const closes = await Promise.all([
				waitForClose(openSocket(app.syncUrl, unknownId, map.keys.facilitator)),
				waitForClose(openSocket(app.syncUrl, map.id, 'nope'))
			]);
			expect(closes.map((c) => c.code)).toEqual([4401, 4401]);
			expect(app.atlas.rooms.size).toBe(0);
			expect(await app.atlas.store.countUpdates(unknownId)).toBe(0);
			expect(await app.atlas.store.getMap(unknownId)).toBeNull();
		} finally {
			await app.close();
		}
	});

	it('refuses sockets from a foreign Origin with 4403, allows listed ones', async () => {
		const app = await startInProcess({ allowedOrigins: ['https://partner.example'] });
		try {
			const map = await createMap(app.url);
			const { default: WebSocket } = await import('ws');
			const foreign = new WebSocket(`${app.syncUrl}/${map.id}?key=${map.keys.editor}`, { origin: 'https://evil.example' });
			foreign.on('error', () => {});
			expect((await waitForClose(foreign)).code).toBe(4403);
			const listed = new WebSocket(`${app.syncUrl}/${map.id}?key=${map.keys.editor}`, { origin: 'https://partner.example' });
			await new Promise((resolve) => listed.once('message', resolve));
			listed.close();
		} finally {
			await app.close();
		}
	});
});
