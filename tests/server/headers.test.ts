/**
 * Response headers: Referrer-Policy on every response, the app's Content-Security-Policy
 * left as the app sets it (`connect-src 'self'`: the basemap comes through our own
 * /basemap/), and no key in any log line.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('headers in-process, whichever way the app sets them', () => {
	let app: InProcessServer;

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
		app = await startInProcess({}, {}, fakeApp);
	});
	afterAll(async () => {
		await app?.close();
	});

	it('passes the app CSP through unchanged and overrides its Referrer-Policy', async () => {
		for (const path of ['/set-header', '/object', '/flat-array', '/implicit']) {
			const response = await fetch(`${app.url}${path}`);
			expect(response.status, path).toBe(200);
			expect(response.headers.get('content-security-policy'), path).toBe(APP_CSP);
			const csp = directives(response.headers.get('content-security-policy'));
			expect(csp.get('connect-src'), path).toEqual(["'self'"]);
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
		server = await startTestServer();
	});
	afterAll(async () => {
		await server?.dispose();
	});

	it.runIf(built)('the built app: pages allow only our own origin, everything carries no-referrer', async () => {
		for (const path of ['/', '/m/abcdefghjk', '/no/such/page']) {
			const response = await fetch(`${server.url}${path}`);
			await response.text();
			const csp = directives(response.headers.get('content-security-policy'));
			expect(csp.get('connect-src'), path).toEqual(["'self'"]);
			expect(csp.get('img-src'), path).toEqual(["'self'", 'data:', 'blob:']);
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
