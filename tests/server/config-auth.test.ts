import { describe, expect, it } from 'vitest';
import { deriveKey, hashKeys, keysFor, newFacilitatorKey, roleForKey } from '../../server/auth.ts';
import { ConfigError, loadConfig } from '../../server/config.ts';

describe('loadConfig', () => {
	it('has defaults', () => {
		expect(loadConfig({})).toEqual({
			port: 3000,
			host: '0.0.0.0',
			dataDir: './data',
			databaseUrl: null,
			redisUrl: null,
			redisPrefix: 'atlas:',
			serverSecret: null,
			basemapUpstream: 'https://tiles.openfreemap.org/styles/liberty',
			basemapCacheMaxBytes: 2 * 2 ** 30,
			basemapPackMaxTiles: 25_000,
			basemapPackMaxBytes: 500 * 2 ** 20,
			geocoderUpstream: null,
			allowedOrigins: [],
			publicOrigin: null,
			addressHeader: null,
			xffDepth: 1,
			mapCreation: 'open',
			createToken: null,
			mapCreationsPerHour: 60,
			maxMapBytes: 16 * 1024 * 1024,
			maxStoredBytes: null,
			maxSocketsPerAddress: 200,
			maxSocketsPerKey: 500
		});
	});

	it('reads every variable', () => {
		expect(
			loadConfig({
				PORT: '0',
				HOST: '127.0.0.1',
				DATA_DIR: '/var/atlas',
				DATABASE_URL: 'postgres://atlas:secret@db.internal:5432/atlas',
				REDIS_URL: 'redis://:pw@cache.internal:6379/0',
				REDIS_PREFIX: 'atlas-east:',
				SERVER_SECRET: 'ab'.repeat(32),
				BASEMAP_UPSTREAM: 'https://tiles.example.org/style.json',
				BASEMAP_CACHE_MAX_BYTES: '1GiB',
				BASEMAP_PACK_MAX_TILES: '1000',
				BASEMAP_PACK_MAX_BYTES: '50MiB',
				GEOCODER_UPSTREAM: 'https://nominatim.example.org/search',
				ALLOWED_ORIGINS: ' https://a.example , http://localhost:5173,',
				PUBLIC_ORIGIN: 'https://atlas.example.org/',
				ADDRESS_HEADER: 'X-Forwarded-For',
				XFF_DEPTH: '2',
				MAP_CREATION: 'token',
				CREATE_TOKEN: 'a-long-creation-token',
				MAP_CREATIONS_PER_HOUR: '5',
				MAX_MAP_BYTES: '32MiB',
				MAX_STORED_BYTES: '10GB',
				MAX_SOCKETS_PER_ADDRESS: '300',
				MAX_SOCKETS_PER_KEY: '800'
			})
		).toEqual({
			port: 0,
			host: '127.0.0.1',
			dataDir: '/var/atlas',
			databaseUrl: 'postgres://atlas:secret@db.internal:5432/atlas',
			redisUrl: 'redis://:pw@cache.internal:6379/0',
			redisPrefix: 'atlas-east:',
			serverSecret: new Uint8Array(32).fill(0xab),
			basemapUpstream: 'https://tiles.example.org/style.json',
			basemapCacheMaxBytes: 2 ** 30,
			basemapPackMaxTiles: 1000,
			basemapPackMaxBytes: 50 * 2 ** 20,
			geocoderUpstream: 'https://nominatim.example.org/search',
			allowedOrigins: ['https://a.example', 'http://localhost:5173'],
			publicOrigin: 'https://atlas.example.org',
			addressHeader: 'x-forwarded-for',
			xffDepth: 2,
			mapCreation: 'token',
			createToken: 'a-long-creation-token',
			mapCreationsPerHour: 5,
			maxMapBytes: 32 * 1024 * 1024,
			maxStoredBytes: 10e9,
			maxSocketsPerAddress: 300,
			maxSocketsPerKey: 800
		});
	});

	it.each([
		[{ PORT: 'abc' }, /PORT/],
		[{ PORT: '70000' }, /PORT/],
		[{ PORT: '-1' }, /PORT/],
		[{ PUBLIC_ORIGIN: 'atlas.example.org' }, /PUBLIC_ORIGIN/],
		[{ PUBLIC_ORIGIN: 'https://atlas.example.org/app' }, /PUBLIC_ORIGIN/],
		[{ ALLOWED_ORIGINS: 'https://ok.example,ftp://x' }, /ALLOWED_ORIGINS/],
		[{ BASEMAP_UPSTREAM: 'javascript:alert(1)' }, /BASEMAP_UPSTREAM/],
		// The former name still works, and is checked the same way.
		[{ BASEMAP_STYLE_URL: 'file:///etc/passwd' }, /BASEMAP_UPSTREAM/],
		[{ GEOCODER_UPSTREAM: 'file:///etc/passwd' }, /GEOCODER_UPSTREAM/],
		[{ BASEMAP_PACK_MAX_TILES: 'many' }, /BASEMAP_PACK_MAX_TILES/],
		[{ BASEMAP_CACHE_MAX_BYTES: 'huge' }, /BASEMAP_CACHE_MAX_BYTES/],
		[{ MAP_CREATION: 'closed' }, /MAP_CREATION/],
		[{ MAP_CREATION: 'token' }, /CREATE_TOKEN/],
		[{ MAP_CREATION: 'token', CREATE_TOKEN: 'short' }, /CREATE_TOKEN/],
		[{ MAX_MAP_BYTES: 'lots' }, /MAX_MAP_BYTES/],
		[{ MAX_STORED_BYTES: '10' }, /MAX_STORED_BYTES/],
		[{ XFF_DEPTH: '0' }, /XFF_DEPTH/],
		[{ ADDRESS_HEADER: 'X Forwarded' }, /ADDRESS_HEADER/],
		[{ MAX_SOCKETS_PER_ADDRESS: '-3' }, /MAX_SOCKETS_PER_ADDRESS/],
		[{ DATABASE_URL: 'mysql://atlas:secret@db/atlas' }, /DATABASE_URL must be a PostgreSQL URL.*got a mysql: URL/],
		[{ DATABASE_URL: 'db.internal:5432/atlas' }, /DATABASE_URL must be a PostgreSQL URL/],
		[{ DATABASE_URL: 'atlas' }, /DATABASE_URL must be a PostgreSQL URL/],
		[{ DATABASE_URL: 'postgres://db/atlas', REDIS_URL: 'http://cache:6379' }, /REDIS_URL must be a Redis URL/],
		// Several instances share a database: Redis alone connects nothing.
		[{ REDIS_URL: 'redis://127.0.0.1:6379' }, /set DATABASE_URL too/],
		[{ REDIS_PREFIX: 'has space' }, /REDIS_PREFIX/],
		[{ SERVER_SECRET: 'short' }, /SERVER_SECRET must be 64 hexadecimal characters/]
	])('rejects %o', (env, message) => {
		expect(() => loadConfig(env)).toThrow(ConfigError);
		expect(() => loadConfig(env)).toThrow(message);
	});

	it('accepts postgresql:// too, and never repeats a DATABASE_URL it refuses (it may hold a password)', () => {
		expect(loadConfig({ DATABASE_URL: 'postgresql:///atlas?host=/var/run/postgresql' }).databaseUrl).toBe('postgresql:///atlas?host=/var/run/postgresql');
		let message = '';
		try {
			loadConfig({ DATABASE_URL: 'http://atlas:hunter2@db/atlas' });
		} catch (error) {
			message = (error as Error).message;
		}
		expect(message).toMatch(/DATABASE_URL must be a PostgreSQL URL/);
		expect(message).not.toContain('hunter2');
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
