/**
 * Response headers: Referrer-Policy on every response, the app's Content-Security-Policy
 * extended with the configured basemap origins (server/http/security-headers.ts), and no
 * key in any log line.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { basemapOrigins, cspAdditionsFor, extendCsp } from '../../server/http/security-headers.ts';
import { startInProcess, type InProcessServer } from '../helpers/in-process.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { createMap, openSocket, waitForClose, waitForOpen } from '../helpers/sync-clients.ts';

/** What svelte.config.js makes SvelteKit send (hash mode: one script hash per page). */
const APP_CSP =
	"default-src 'self'; worker-src 'self' blob:; connect-src 'self'; img-src 'self' data: blob:; object-src 'none'; " +
	"script-src 'self' 'sha256-AAAA'; style-src 'self' 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

function directives(policy: string | null): Map<string, string[]> {
	const out = new Map<string, string[]>();
	for (const part of (policy ?? '').split(';')) {
		const [name, ...sources] = part.trim().split(/\s+/);
		if (name) out.set(name, sources);
	}
	return out;
}

describe('extendCsp', () => {
	const additions = { 'connect-src': ['https://tiles.example.org'], 'img-src': ['https://tiles.example.org'] };

	it('adds the basemap origins to connect-src and img-src and changes nothing else', () => {
		const before = directives(APP_CSP);
		const after = directives(extendCsp(APP_CSP, additions));
		expect(after.get('connect-src')).toEqual(["'self'", 'https://tiles.example.org']);
		expect(after.get('img-src')).toEqual(["'self'", 'data:', 'blob:', 'https://tiles.example.org']);
		for (const [name, sources] of before) {
			if (name !== 'connect-src' && name !== 'img-src') expect(after.get(name), name).toEqual(sources);
		}
		expect(after.get('script-src')).not.toContain("'unsafe-inline'");
		// Idempotent: extending twice adds nothing more.
		expect(extendCsp(extendCsp(APP_CSP, additions), additions)).toBe(extendCsp(APP_CSP, additions));
	});

	it('creates a missing directive from default-src, keeps an explicit none', () => {
		const created = directives(extendCsp("default-src 'self' data:; img-src 'none'", additions));
		expect(created.get('connect-src')).toEqual(["'self'", 'data:', 'https://tiles.example.org']);
		expect(created.get('img-src')).toEqual(["'none'"]);
		// Without default-src nothing restricts connect-src, so nothing is added.
		expect(extendCsp("script-src 'self'", additions)).toBe("script-src 'self'");
	});

	it('takes the origins from BASEMAP_STYLE_URL and BASEMAP_ORIGINS', () => {
		const config = loadConfig({
			BASEMAP_STYLE_URL: 'https://tiles.example.org/styles/atlas/style.json?token=abc',
			BASEMAP_ORIGINS: 'https://*.tiles.example.org,https://fonts.example.org,https://tiles.example.org'
		});
		expect(basemapOrigins(config)).toEqual(['https://tiles.example.org', 'https://*.tiles.example.org', 'https://fonts.example.org']);
		// A style served by this server needs nothing added.
		expect(cspAdditionsFor(loadConfig({ BASEMAP_STYLE_URL: '/basemap/style.json' }))).toBeNull();
		expect(cspAdditionsFor(loadConfig({}))).toBeNull();
	});
});

describe('headers in-process, whichever way the app sets them', () => {
	let app: InProcessServer;
	const BASEMAP = 'https://tiles.example.org';

	/** Stands in for SvelteKit (setHeader + writeHead) and sirv (writeHead with an object). */
	function fakeApp(req: IncomingMessage, res: ServerResponse): void {
		const path = new URL(req.url ?? '/', 'http://x').pathname;
		if (path === '/set-header') {
			res.setHeader('content-security-policy', APP_CSP);
			res.setHeader('Referrer-Policy', 'unsafe-url');
			res.writeHead(200, { 'content-type': 'text/html' }).end('<p>page</p>');
		} else if (path === '/object') {
			res.writeHead(200, { 'Content-Security-Policy': APP_CSP, 'Content-Type': 'text/html' }).end('<p>page</p>');
		} else if (path === '/flat-array') {
			res.writeHead(200, ['Content-Security-Policy', APP_CSP, 'Content-Type', 'text/html']).end('<p>page</p>');
		} else if (path === '/implicit') {
			// No writeHead at all: Node writes the head itself on end().
			res.setHeader('Content-Security-Policy', APP_CSP);
			res.statusCode = 200;
			res.end('<p>page</p>');
		} else if (path === '/static.js') {
			res.writeHead(200, { 'Content-Type': 'text/javascript' }).end('1');
		} else {
			res.writeHead(404, 'Not Found').end('nothing here');
		}
	}

	beforeAll(async () => {
		app = await startInProcess({ basemapStyleUrl: `${BASEMAP}/style.json`, basemapOrigins: ['https://fonts.example.org'] }, {}, fakeApp);
	});
	afterAll(async () => {
		await app?.close();
	});

	it('extends the CSP of app responses with the basemap origins', async () => {
		for (const path of ['/set-header', '/object', '/flat-array', '/implicit']) {
			const response = await fetch(`${app.url}${path}`);
			expect(response.status, path).toBe(200);
			const csp = directives(response.headers.get('content-security-policy'));
			expect(csp.get('connect-src'), path).toEqual(["'self'", BASEMAP, 'https://fonts.example.org']);
			expect(csp.get('img-src'), path).toEqual(["'self'", 'data:', 'blob:', BASEMAP, 'https://fonts.example.org']);
			expect(csp.get('script-src'), path).toEqual(["'self'", "'sha256-AAAA'"]);
			expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
			expect(await response.text()).toBe('<p>page</p>');
		}
	});

	it('sends Referrer-Policy: no-referrer on API, /j, app, static, 404, 405 and 426 responses', async () => {
		const map = await createMap(app.url);
		const requests: Array<[string, RequestInit | undefined, number]> = [
			['/api/config', undefined, 200],
			[`/api/maps/${map.id}/access`, { headers: { Authorization: `Bearer ${map.keys.viewer}` } }, 200],
			[`/api/maps/${map.id}/access`, undefined, 401],
			['/api/nope', undefined, 404],
			['/api/maps', undefined, 405],
			['/j/abcdefgh', undefined, 404],
			['/j/abcdefgh', { method: 'POST' }, 405],
			[`/sync/${map.id}?key=${map.keys.editor}`, undefined, 426],
			['/static.js', undefined, 200],
			['/no/such/page', undefined, 404]
		];
		for (const [path, init, status] of requests) {
			const response = await fetch(`${app.url}${path}`, { redirect: 'manual', ...init });
			expect(response.status, path).toBe(status);
			expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
			await response.arrayBuffer();
		}
	});

	it('sends it on the WebSocket handshake too', async () => {
		const map = await createMap(app.url);
		const ws = openSocket(app.syncUrl, map.id, map.keys.viewer);
		const upgrade = new Promise<IncomingMessage>((resolve) => ws.once('upgrade', resolve));
		await waitForOpen(ws);
		expect((await upgrade).headers['referrer-policy']).toBe('no-referrer');
		ws.close();
	});
});

describe('headers and logs of the real server process', () => {
	let server: TestServer;
	const built = existsSync(new URL('../../build/handler.js', import.meta.url));

	beforeAll(async () => {
		server = await startTestServer({
			BASEMAP_STYLE_URL: 'https://tiles.example.org/styles/atlas.json',
			BASEMAP_ORIGINS: 'https://*.tiles.example.org,https://fonts.example.org'
		});
	});
	afterAll(async () => {
		await server?.dispose();
	});

	it.runIf(built)('the built app: pages carry the extended CSP, everything carries no-referrer', async () => {
		for (const path of ['/', '/m/abcdefghjk', '/no/such/page']) {
			const response = await fetch(`${server.url}${path}`);
			await response.text();
			const csp = directives(response.headers.get('content-security-policy'));
			expect(csp.get('connect-src'), path).toEqual(["'self'", 'https://tiles.example.org', 'https://*.tiles.example.org', 'https://fonts.example.org']);
			expect(csp.get('img-src'), path).toEqual(expect.arrayContaining(['https://tiles.example.org', 'https://*.tiles.example.org']));
			// Still no inline script: only SvelteKit's hashes.
			expect(csp.get('script-src')?.filter((source) => !source.startsWith("'sha256-")), path).toEqual(["'self'"]);
			expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
		}
		const home = await (await fetch(`${server.url}/`)).text();
		// A static file (served by sirv inside the app handler).
		const asset = /_app\/immutable\/[^"'\s]+\.js/.exec(home)?.[0];
		expect(asset).toBeDefined();
		const response = await fetch(`${server.url}/${asset}`);
		await response.arrayBuffer();
		expect(response.status).toBe(200);
		expect(response.headers.get('referrer-policy')).toBe('no-referrer');
	});

	it('never logs a key, whatever URL or socket carries one', async () => {
		const map = await createMap(server.url);
		const keys = Object.values(map.keys);
		// Plain GETs of key-bearing sync URLs, sockets with good and bad keys, garbage on a good socket.
		for (const key of keys) {
			const response = await fetch(`${server.url}/sync/${map.id}?key=${key}`);
			expect(response.status).toBe(426);
			await response.text();
		}
		for (const key of [...keys.map((key) => `${key}x`), 'wrong-key']) {
			expect((await waitForClose(openSocket(server.syncUrl, map.id, key))).code).toBe(4401);
		}
		const ws = openSocket(server.syncUrl, map.id, map.keys.editor);
		await waitForOpen(ws);
		ws.send(new Uint8Array([0, 2, 50, 1]));
		expect((await waitForClose(ws)).code).toBe(4400);
		const links = await fetch(`${server.url}/api/maps/${map.id}/links`, { headers: { Authorization: `Bearer ${map.keys.facilitator}` } });
		const { join } = (await links.json()) as { join: { code: string } };
		const rotated = await fetch(`${server.url}/api/maps/${map.id}/rotate`, {
			method: 'POST',
			headers: { Authorization: `Bearer ${map.keys.facilitator}`, 'Content-Type': 'application/json', Origin: server.url },
			body: JSON.stringify({ role: 'viewer' })
		});
		expect(rotated.status).toBe(200);
		await rotated.text();
		// The old join code is a capability too.
		await (await fetch(`${server.url}/j/${join.code}`, { redirect: 'manual' })).text();
		const output = server.output();
		expect(output).toContain('closing a socket'); // the log is really being captured
		for (const secret of [...keys, join.code]) expect(output).not.toContain(secret);
	});
});
