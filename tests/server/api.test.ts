/** The JSON API against the real server process, plus config-dependent cases in-process. */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess } from '../helpers/in-process.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { createMap } from '../helpers/sync-clients.ts';

let server: TestServer;

function mapCount(): number {
	const db = new Database(server.sqliteFile, { readonly: true, fileMustExist: true });
	try {
		return (db.prepare('SELECT (SELECT COUNT(*) FROM maps) + (SELECT COUNT(*) FROM doc_updates) AS n').get() as { n: number }).n;
	} finally {
		db.close();
	}
}

async function post(body: string, contentType = 'application/json'): Promise<Response> {
	return fetch(`${server.url}/api/maps`, { method: 'POST', headers: { 'Content-Type': contentType }, body });
}

function get(path: string, key?: string): Promise<Response> {
	return fetch(`${server.url}${path}`, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
}

beforeAll(async () => {
	server = await startTestServer();
});
afterAll(async () => {
	await server?.dispose();
});

describe('POST /api/maps', () => {
	it('creates a map with three distinct links on this host', async () => {
		const response = await post(JSON.stringify({ title: '  Eastside assets ', place: 'Eastside' }));
		expect(response.status).toBe(201);
		expect(response.headers.get('referrer-policy')).toBe('no-referrer');
		expect(response.headers.get('cache-control')).toBe('no-store');
		const body = (await response.json()) as { id: string; links: Record<string, string> };
		expect(body.id).toMatch(/^[23456789abcdefghjkmnpqrstuvwxyz]{10}$/);
		const keys = new Set<string>();
		for (const role of ['facilitator', 'editor', 'viewer']) {
			const link = body.links[role];
			expect(link.startsWith(`${server.url}/m/${body.id}#key=`)).toBe(true);
			const key = link.split('#key=')[1];
			expect(Buffer.from(key, 'base64url').length).toBeGreaterThanOrEqual(16);
			keys.add(key);
		}
		expect(keys.size).toBe(3);
		const access = await get(`/api/maps/${body.id}/access`, body.links.editor.split('#key=')[1]);
		expect(await access.json()).toEqual({ role: 'editor', title: 'Eastside assets' });
	});

	it('rejects bad input with 4xx JSON and creates nothing', async () => {
		const before = mapCount();
		const cases: Array<[Promise<Response>, number]> = [
			[post(JSON.stringify({ place: 'x' })), 400],
			[post(JSON.stringify({ title: '   ' })), 400],
			[post(JSON.stringify({ title: 42 })), 400],
			[post(JSON.stringify({ title: 'ok', place: ['x'] })), 400],
			[post(JSON.stringify({ title: 'x'.repeat(201) })), 400],
			[post(JSON.stringify(['title'])), 400],
			[post('{"title": '), 400],
			[post('not json at all'), 400],
			[post(JSON.stringify({ title: 'form' }), 'text/plain'), 415],
			[post(JSON.stringify({ title: 'big', place: 'x'.repeat(17 * 1024) })), 413]
		];
		for (const [pending, status] of cases) {
			const response = await pending;
			expect(response.status).toBe(status);
			const body = (await response.json()) as { error: unknown };
			expect(typeof body.error).toBe('string');
		}
		expect(mapCount()).toBe(before);
	});

	it('rejects a chunked body that grows past 16 KiB', async () => {
		const before = mapCount();
		const parts = [Buffer.from('{"title":"t","place":"'), ...Array.from({ length: 40 }, () => Buffer.alloc(1024, 0x61)), Buffer.from('"}')];
		// A stream has no Content-Length, so the server must count as it reads.
		const body = new ReadableStream<Uint8Array>({
			pull(controller) {
				const next = parts.shift();
				if (next) controller.enqueue(next);
				else controller.close();
			}
		});
		const response = await fetch(`${server.url}/api/maps`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body,
			duplex: 'half'
		} as RequestInit);
		expect(response.status).toBe(413);
		expect(mapCount()).toBe(before);
	});
});

describe('GET /api/maps/<id>/access and /links', () => {
	it('answers each role, and refuses bad keys and unknown maps', async () => {
		const map = await createMap(server.url, { title: 'Roles' });
		for (const role of ['facilitator', 'editor', 'viewer'] as const) {
			const response = await get(`/api/maps/${map.id}/access`, map.keys[role]);
			expect(response.status).toBe(200);
			expect(await response.json()).toEqual({ role, title: 'Roles' });
		}
		expect((await get(`/api/maps/${map.id}/access`)).status).toBe(401);
		expect((await get(`/api/maps/${map.id}/access`, 'wrong')).status).toBe(401);
		expect((await get(`/api/maps/zzzzzzzzzz/access`, map.keys.facilitator)).status).toBe(404);
		expect((await get(`/api/maps/NOT-AN-ID/access`, map.keys.facilitator)).status).toBe(404);
	});

	it('gives the facilitator the same links again, and nobody else', async () => {
		const map = await createMap(server.url);
		const response = await get(`/api/maps/${map.id}/links`, map.keys.facilitator);
		expect(response.status).toBe(200);
		expect(response.headers.get('cache-control')).toBe('no-store');
		const body = (await response.json()) as { links: unknown; join: { code: string; url: string } };
		expect(body.links).toEqual(map.links);
		expect(body.join.code).toMatch(/^[23456789abcdefghjkmnpqrstuvwxyz]{8}$/);
		expect(body.join.url).toBe(`${server.url}/j/${body.join.code}`);
		// Asking again gives the same code.
		expect(((await (await get(`/api/maps/${map.id}/links`, map.keys.facilitator)).json()) as typeof body).join).toEqual(body.join);
		expect((await get(`/api/maps/${map.id}/links`, map.keys.editor)).status).toBe(403);
		expect((await get(`/api/maps/${map.id}/links`, map.keys.viewer)).status).toBe(403);
		expect((await get(`/api/maps/${map.id}/links`, 'nope')).status).toBe(401);
	});
});

describe('other routes', () => {
	it('serves /api/config, 404s unknown API paths, 405s wrong methods', async () => {
		const config = await get('/api/config');
		expect(await config.json()).toEqual({ streets: false, mapCreation: 'open' });
		const unknown = await get('/api/nope');
		expect(unknown.status).toBe(404);
		expect(await unknown.json()).toEqual({ error: 'not found' });
		const wrong = await fetch(`${server.url}/api/maps`, { method: 'GET' });
		expect(wrong.status).toBe(405);
	});

	it('says the app is not built for non-API paths when build/ is missing', async () => {
		if (existsSync(new URL('../../build/handler.js', import.meta.url))) return;
		const response = await get('/');
		expect(response.status).toBe(503);
		expect(await response.text()).toBe('App not built: run npm run build');
	});
});

describe('configuration-dependent behavior (in-process)', () => {
	it('uses PUBLIC_ORIGIN for links', async () => {
		const app = await startInProcess({ publicOrigin: 'https://atlas.example.org' });
		try {
			const map = await createMap(app.url);
			expect(map.links.viewer.startsWith(`https://atlas.example.org/m/${map.id}#key=`)).toBe(true);
			const links = await fetch(`${app.url}/api/maps/${map.id}/links`, {
				headers: { Authorization: `Bearer ${map.keys.facilitator}` }
			});
			const body = (await links.json()) as { links: unknown; join: { url: string } };
			expect(body.links).toEqual(map.links);
			expect(body.join.url).toMatch(/^https:\/\/atlas\.example\.org\/j\/[a-z2-9]{8}$/);
			const config = await fetch(`${app.url}/api/config`);
			expect(await config.json()).toEqual({ streets: false, mapCreation: 'open' });
			// A cross-site page cannot create maps with a visitor's browser.
			const foreign = await fetch(`${app.url}/api/maps`, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', Origin: 'https://evil.example' },
				body: JSON.stringify({ title: 'x' })
			});
			expect(foreign.status).toBe(403);
			expect(app.logs.join('\n')).not.toContain(map.keys.facilitator);
		} finally {
			await app.close();
		}
	});

	it('passes non-API requests to next()', async () => {
		const app = await startInProcess();
		try {
			const response = await fetch(`${app.url}/m/abc`);
			expect(await response.text()).toBe('not api');
		} finally {
			await app.close();
		}
	});
});
