import { describe, expect, it } from 'vitest';
import { deriveKey, hashKeys, keysFor, newFacilitatorKey, roleForKey } from '../../server/auth.ts';
import { ConfigError, loadConfig } from '../../server/config.ts';

describe('loadConfig', () => {
	it('has defaults', () => {
		expect(loadConfig({})).toEqual({
			port: 3000,
			host: '0.0.0.0',
			dataDir: './data',
			basemapStyleUrl: null,
			basemapOrigins: [],
			allowedOrigins: [],
			publicOrigin: null
		});
	});

	it('reads every variable', () => {
		expect(
			loadConfig({
				PORT: '0',
				HOST: '127.0.0.1',
				DATA_DIR: '/var/atlas',
				BASEMAP_STYLE_URL: 'https://tiles.example.org/style.json',
				BASEMAP_ORIGINS: 'https://*.tiles.example.org, http://localhost:8080,',
				ALLOWED_ORIGINS: ' https://a.example , http://localhost:5173,',
				PUBLIC_ORIGIN: 'https://atlas.example.org/'
			})
		).toEqual({
			port: 0,
			host: '127.0.0.1',
			dataDir: '/var/atlas',
			basemapStyleUrl: 'https://tiles.example.org/style.json',
			basemapOrigins: ['https://*.tiles.example.org', 'http://localhost:8080'],
			allowedOrigins: ['https://a.example', 'http://localhost:5173'],
			publicOrigin: 'https://atlas.example.org'
		});
	});

	it.each([
		[{ PORT: 'abc' }, /PORT/],
		[{ PORT: '70000' }, /PORT/],
		[{ PORT: '-1' }, /PORT/],
		[{ PUBLIC_ORIGIN: 'atlas.example.org' }, /PUBLIC_ORIGIN/],
		[{ PUBLIC_ORIGIN: 'https://atlas.example.org/app' }, /PUBLIC_ORIGIN/],
		[{ ALLOWED_ORIGINS: 'https://ok.example,ftp://x' }, /ALLOWED_ORIGINS/],
		[{ BASEMAP_STYLE_URL: 'javascript:alert(1)' }, /BASEMAP_STYLE_URL/],
		// These go into a CSP header: nothing but origins may pass.
		[{ BASEMAP_ORIGINS: 'https://tiles.example.org/path' }, /BASEMAP_ORIGINS/],
		[{ BASEMAP_ORIGINS: "https://a.example;script-src 'unsafe-inline'" }, /BASEMAP_ORIGINS/],
		[{ BASEMAP_ORIGINS: '*' }, /BASEMAP_ORIGINS/],
		[{ BASEMAP_ORIGINS: 'https://**.example.org' }, /BASEMAP_ORIGINS/],
		[{ BASEMAP_ORIGINS: 'ftp://tiles.example.org' }, /BASEMAP_ORIGINS/]
	])('rejects %o', (env, message) => {
		expect(() => loadConfig(env)).toThrow(ConfigError);
		expect(() => loadConfig(env)).toThrow(message);
	});
});

const gen = (n: number) => ({ facilitator: n, editor: n, viewer: n });

describe('capability keys', () => {
	it('gives each role its own key, derived reproducibly from the facilitator key', () => {
		const facilitator = newFacilitatorKey();
		expect(Buffer.from(facilitator, 'base64url')).toHaveLength(24);
		const keys = keysFor(facilitator, 'abcdefghjk', gen(0));
		expect(keysFor(facilitator, 'abcdefghjk', gen(0))).toEqual(keys);
		expect(new Set(Object.values(keys)).size).toBe(3);
		expect(keys.editor).toBe(deriveKey(facilitator, 'editor', 'abcdefghjk', 0));
		// Another map, or a rotated generation, gives different keys.
		expect(keysFor(facilitator, 'abcdefghjm', gen(0)).editor).not.toBe(keys.editor);
		expect(keysFor(facilitator, 'abcdefghjk', gen(1)).viewer).not.toBe(keys.viewer);
	});

	it('derives the shared keys from the link secret, so a new facilitator key keeps them', () => {
		const first = newFacilitatorKey();
		const keys = keysFor(first, 'abcdefghjk', gen(0));
		const replaced = keysFor(newFacilitatorKey(), 'abcdefghjk', gen(0), first);
		expect(replaced.editor).toBe(keys.editor);
		expect(replaced.viewer).toBe(keys.viewer);
		expect(replaced.facilitator).not.toBe(keys.facilitator);
	});

	it('looks up roles by hash only', () => {
		const keys = keysFor(newFacilitatorKey(), 'abcdefghjk', gen(0));
		const hashes = hashKeys(keys);
		expect(Object.values(hashes).join()).not.toContain(keys.facilitator);
		expect(roleForKey(hashes, keys.facilitator)).toBe('facilitator');
		expect(roleForKey(hashes, keys.editor)).toBe('editor');
		expect(roleForKey(hashes, keys.viewer)).toBe('viewer');
		for (const bad of ['', 'nope', null, undefined, 42, keys.editor + 'x', 'x'.repeat(10_000)]) {
			expect(roleForKey(hashes, bad)).toBeNull();
		}
	});
});
