/**
 * The street basemap through our own origin (server/basemap/): the style rewritten to
 * /basemap/ paths, tiles, glyphs and sprites fetched from a fake upstream on this machine
 * and cached on disk, the fallback when the upstream is gone, and offline area packs
 * made online and served with the upstream stopped.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { latToTileY, lngToTileX, tileCount } from '../../server/basemap/tile-math.ts';
import { FAKE_CENTER, startFakeBasemap, type FakeBasemap } from '../helpers/fake-basemap.ts';
import { createMap, pollUntil, type CreatedMap } from '../helpers/sync-clients.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const [LNG, LAT] = FAKE_CENTER;
const centerTile = (z: number) => `${z}/${lngToTileX(LNG, z)}/${latToTileY(LAT, z)}`;
/** About 1.5 km around the fake neighbourhood. */
const AREA: [number, number, number, number] = [LNG - 0.01, LAT - 0.008, LNG + 0.01, LAT + 0.008];

const upstreamHits = (fake: FakeBasemap, path: string) => fake.requests.filter((request) => request.path === path).length;

async function facilitatorApi(server: TestServer, map: CreatedMap, path: string, init: { method?: string; body?: unknown; key?: string } = {}) {
	return fetch(`${server.url}/api/maps/${map.id}/${path}`, {
		method: init.method ?? 'GET',
		headers: {
			Authorization: `Bearer ${init.key ?? map.keys.facilitator}`,
			...(init.body !== undefined ? { 'Content-Type': 'application/json', Origin: server.url } : { Origin: server.url })
		},
		body: init.body !== undefined ? JSON.stringify(init.body) : undefined
	});
}

describe('street basemap proxy', () => {
	let fake: FakeBasemap;
	let server: TestServer;

	beforeAll(async () => {
		fake = await startFakeBasemap();
		server = await startTestServer({ BASEMAP_UPSTREAM: fake.styleUrl });
	});
	afterAll(async () => {
		await server?.dispose();
		await fake?.stop();
	});
	afterEach(() => {
		fake.failWith(null);
		fake.tileHeaders = { 'Cache-Control': 'max-age=3600' };
	});

	it('serves the upstream style with every URL pointing back at /basemap/', async () => {
		const response = await fetch(`${server.url}/basemap/style.json`);
		expect(response.status).toBe(200);
		const style = (await response.json()) as {
			sources: Record<string, { tiles: string[]; url?: string; maxzoom: number; attribution?: string }>;
			layers: { id: string }[];
			glyphs: string;
			sprite: string;
			metadata: Record<string, string>;
		};
		const text = JSON.stringify(style);
		expect(text).not.toContain(fake.origin);
		expect(text).not.toContain('pmtiles');
		expect(style.glyphs).toBe('/basemap/glyphs/{fontstack}/{range}.pbf');
		expect(style.sprite).toBe('/basemap/sprites/default');
		expect(Object.keys(style.sources).sort()).toEqual(['relief', 'streets']);
		expect(style.sources.streets.tiles).toEqual(['/basemap/tiles/streets/{z}/{x}/{y}']);
		expect(style.sources.streets.url).toBeUndefined();
		expect(style.sources.streets.maxzoom).toBe(14);
		expect(style.layers.map((layer) => layer.id)).not.toContain('elsewhere');
		// Attribution as text, no markup.
		expect(style.metadata['atlas:attribution']).toContain('© OpenStreetMap contributors');
		expect(style.metadata['atlas:attribution']).not.toContain('<');
		expect(fake.requests.every((request) => request.userAgent.startsWith('AssetAtlas/'))).toBe(true);
	});

	it('fetches a tile once, caches it, and serves it gzip-compressed as a real vector tile', async () => {
		const path = `/v/${centerTile(14)}.pbf`;
		const before = upstreamHits(fake, path);
		for (let i = 0; i < 3; i++) {
			const response = await fetch(`${server.url}/basemap/tiles/streets/${centerTile(14)}`, { headers: { 'Accept-Encoding': 'identity' } });
			expect(response.status).toBe(200);
			expect(response.headers.get('content-type')).toBe('application/x-protobuf');
			const tile = new VectorTile(new PbfReader(new Uint8Array(await response.arrayBuffer())));
			expect(Object.keys(tile.layers)).toEqual(expect.arrayContaining(['transportation', 'building']));
		}
		expect(upstreamHits(fake, path) - before).toBe(1);
		// With gzip accepted, the stored compressed body goes out as it is.
		const raw = await import('node:http').then(
			(http) =>
				new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
					http.get(`${server.url}/basemap/tiles/streets/${centerTile(14)}`, { headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
						const chunks: Buffer[] = [];
						res.on('data', (chunk: Buffer) => chunks.push(chunk));
						res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
					}).on('error', reject);
				})
		);
		expect(raw.encoding).toBe('gzip');
		expect(Object.keys(new VectorTile(new PbfReader(gunzipSync(raw.body))).layers)).toContain('transportation');
	});

	it('answers an empty tile with 204 and remembers it', async () => {
		const path = '/v/14/0/0.pbf';
		const first = await fetch(`${server.url}/basemap/tiles/streets/14/0/0`);
		expect(first.status).toBe(204);
		expect((await fetch(`${server.url}/basemap/tiles/streets/14/0/0`)).status).toBe(204);
		expect(upstreamHits(fake, path)).toBe(1);
	});

	it('serves the glyphs and sprites the style names, and nothing else', async () => {
		const glyphs = await fetch(`${server.url}/basemap/glyphs/Noto%20Sans%20Regular/0-255.pbf`);
		expect(glyphs.status).toBe(200);
		expect(glyphs.headers.get('content-type')).toBe('application/x-protobuf');
		await glyphs.arrayBuffer();
		for (const name of ['default.json', 'default@2x.json', 'default.png', 'default@2x.png']) {
			const sprite = await fetch(`${server.url}/basemap/sprites/${name}`);
			expect(sprite.status, name).toBe(200);
			expect(sprite.headers.get('content-type'), name).toBe(name.endsWith('.json') ? 'application/json' : 'image/png');
			await sprite.arrayBuffer();
		}
		const refused = [
			'/basemap/glyphs/Comic%20Sans/0-255.pbf', // not in the style
			'/basemap/glyphs/Noto%20Sans%20Regular/1-256.pbf', // not a range
			'/basemap/glyphs/..%2F..%2Fetc/0-255.pbf',
			'/basemap/sprites/other.json',
			'/basemap/tiles/elsewhere/1/0/0',
			'/basemap/tiles/streets/15/0/0', // beyond the source's zooms
			'/basemap/tiles/streets/3/8/0', // not a tile
			'/basemap/tiles/streets/a/b/c'
		];
		const upstreamBefore = fake.requests.length;
		for (const path of refused) {
			const response = await fetch(`${server.url}${path}`);
			expect(response.status, path).toBe(404);
			await response.arrayBuffer();
		}
		expect(fake.requests.length).toBe(upstreamBefore);
		const post = await fetch(`${server.url}/basemap/style.json`, { method: 'POST' });
		expect(post.status).toBe(405);
	});

	it('respects the upstream cache headers: no-store is never kept, no-cache is asked again', async () => {
		fake.tileHeaders = { 'Cache-Control': 'no-store' };
		const tile = centerTile(13);
		const path = `/v/${tile}.pbf`;
		for (let i = 0; i < 2; i++) await (await fetch(`${server.url}/basemap/tiles/streets/${tile}`)).arrayBuffer();
		expect(upstreamHits(fake, path)).toBe(2);
		fake.tileHeaders = { 'Cache-Control': 'no-cache', ETag: '"v1"' };
		const other = centerTile(12);
		for (let i = 0; i < 2; i++) await (await fetch(`${server.url}/basemap/tiles/streets/${other}`)).arrayBuffer();
		expect(upstreamHits(fake, `/v/${other}.pbf`)).toBe(2);
	});

	it('serves what it cached when the upstream fails, and says what it can cover', async () => {
		const cached = centerTile(14);
		fake.failWith(503);
		const response = await fetch(`${server.url}/basemap/tiles/streets/${cached}`);
		expect(response.status).toBe(200);
		await response.arrayBuffer();
		const unseen = await fetch(`${server.url}/basemap/tiles/streets/14/100/100`);
		expect(unseen.status).toBe(503);
		await unseen.arrayBuffer();
		const status = (await (await fetch(`${server.url}/basemap/status?bbox=${LNG - 0.001},${LAT - 0.001},${LNG + 0.001},${LAT + 0.001}&zoom=14.2`)).json()) as Record<string, unknown>;
		expect(status).toEqual({ upstream: 'unreachable', streets: true, coverage: 1 });
		const elsewhere = (await (await fetch(`${server.url}/basemap/status?bbox=10,10,10.01,10.01&zoom=14`)).json()) as Record<string, unknown>;
		expect(elsewhere.coverage).toBe(0);
		const bad = (await (await fetch(`${server.url}/basemap/status?bbox=nope&zoom=3`)).json()) as Record<string, unknown>;
		expect(bad.coverage).toBeNull();
	});
});

describe('offline area packs', () => {
	let fake: FakeBasemap;
	let server: TestServer;
	let map: CreatedMap;

	beforeAll(async () => {
		fake = await startFakeBasemap();
		server = await startTestServer({ BASEMAP_UPSTREAM: fake.styleUrl, BASEMAP_PACK_MAX_TILES: '400' });
		map = await createMap(server.url);
	});
	afterAll(async () => {
		await server?.dispose();
		await fake?.stop();
	});

	it('estimates first, refuses what is too big, and only for the facilitator', async () => {
		const estimate = await facilitatorApi(server, map, 'packs/estimate', { method: 'POST', body: { bbox: AREA, maxZoom: 14 } });
		expect(estimate.status).toBe(200);
		const body = (await estimate.json()) as { tiles: number; bytes: number; withinLimits: boolean };
		// Vector tiles z0-14 plus relief z0-6 over the area.
		let expected = 0;
		for (let z = 0; z <= 14; z++) expected += tileCount(AREA, z);
		for (let z = 0; z <= 6; z++) expected += tileCount(AREA, z);
		expect(body.tiles).toBe(expected);
		expect(body.bytes).toBeGreaterThan(0);
		expect(body.withinLimits).toBe(true);

		const huge: [number, number, number, number] = [LNG - 1, LAT - 1, LNG + 1, LAT + 1];
		const tooBig = await facilitatorApi(server, map, 'packs/estimate', { method: 'POST', body: { bbox: huge, maxZoom: 16 } });
		expect(((await tooBig.json()) as { withinLimits: boolean }).withinLimits).toBe(false);
		const refused = await facilitatorApi(server, map, 'packs', { method: 'POST', body: { bbox: huge, maxZoom: 16, name: 'County' } });
		expect(refused.status).toBe(413);
		expect(((await refused.json()) as { error: string }).error).toMatch(/bigger than the server allows/);

		expect((await facilitatorApi(server, map, 'packs', { method: 'POST', body: { bbox: AREA }, key: map.keys.editor })).status).toBe(403);
		expect((await facilitatorApi(server, map, 'packs', { key: map.keys.viewer })).status).toBe(403);
		for (const bad of [{ bbox: 'x' }, { bbox: [1, 2, 3] }, { bbox: [10, 0, 5, 1] }, { bbox: AREA, maxZoom: 17 }, { bbox: AREA, maxZoom: 1.5 }, []]) {
			const response = await facilitatorApi(server, map, 'packs', { method: 'POST', body: bad });
			expect(response.status, JSON.stringify(bad)).toBe(400);
			await response.arrayBuffer();
		}
		const list = (await (await facilitatorApi(server, map, 'packs')).json()) as { packs: unknown[] };
		expect(list.packs).toEqual([]);
	});

	it('downloads an area online, then serves it with the upstream stopped and the server restarted', async () => {
		const created = await facilitatorApi(server, map, 'packs', { method: 'POST', body: { bbox: AREA, maxZoom: 14, name: 'Eastside <b>walk</b>' } });
		expect(created.status).toBe(202);
		const { pack } = (await created.json()) as { pack: { id: string; name: string } };
		expect(pack.name).toBe('Eastside <b>walk</b>');
		type Listed = { id: string; state: string; done: number; total: number; bytes: number; error: string | null };
		let listed: Listed | undefined;
		await pollUntil(async () => {
			const body = (await (await facilitatorApi(server, map, 'packs')).json()) as { packs: Listed[] };
			listed = body.packs.find((candidate) => candidate.id === pack.id);
			return listed?.state === 'ready' || listed?.state === 'failed';
		}, 'the pack to finish', 60_000);
		expect(listed?.error).toBeNull();
		expect(listed?.state).toBe('ready');
		expect(listed?.done).toBe(listed?.total);
		expect(listed?.bytes).toBeGreaterThan(1000);
		// The glyph ranges the area's labels need: Latin-1 for "Café Ñandú", Cyrillic for "Библиотека".
		const glyphPaths = new Set(fake.requests.filter((request) => request.path.startsWith('/fonts/')).map((request) => decodeURIComponent(request.path)));
		expect(glyphPaths).toContain('/fonts/Noto Sans Regular/0-255.pbf');
		expect(glyphPaths).toContain('/fonts/Noto Sans Regular/1024-1279.pbf');
		expect(glyphPaths).toContain('/fonts/Noto Sans Bold/0-255.pbf');

		await fake.stop();
		await server.restart();
		// The style comes from the saved plan, the area's tiles from the pack.
		expect((await fetch(`${server.url}/basemap/style.json`)).status).toBe(200);
		for (const z of [10, 12, 13, 14]) {
			const response = await fetch(`${server.url}/basemap/tiles/streets/${centerTile(z)}`);
			expect(response.status, `z${z}`).toBe(200);
			await response.arrayBuffer();
		}
		const glyph = await fetch(`${server.url}/basemap/glyphs/Noto%20Sans%20Regular/1024-1279.pbf`);
		expect(glyph.status).toBe(200);
		await glyph.arrayBuffer();
		const sprite = await fetch(`${server.url}/basemap/sprites/default@2x.png`);
		expect(sprite.status).toBe(200);
		await sprite.arrayBuffer();
		const outside = await fetch(`${server.url}/basemap/tiles/streets/14/1/1`);
		expect(outside.status).toBe(503);
		await outside.arrayBuffer();
		const status = (await (await fetch(`${server.url}/basemap/status?bbox=${AREA.join(',')}&zoom=14`)).json()) as Record<string, unknown>;
		expect(status.coverage).toBe(1);
		expect(status.upstream).toBe('unreachable');

		// Removed, it is no longer listed.
		const removed = await facilitatorApi(server, map, `packs/${pack.id}`, { method: 'DELETE' });
		expect(removed.status).toBe(204);
		const list = (await (await facilitatorApi(server, map, 'packs')).json()) as { packs: unknown[] };
		expect(list.packs).toEqual([]);
		expect((await facilitatorApi(server, map, `packs/${pack.id}`, { method: 'DELETE' })).status).toBe(404);
		await fake.start();
	});
});

describe('without an upstream', () => {
	it('falls back at once when the upstream cannot be reached and nothing is cached', async () => {
		const fake = await startFakeBasemap();
		const styleUrl = fake.styleUrl;
		await fake.stop();
		const server = await startTestServer({ BASEMAP_UPSTREAM: styleUrl });
		try {
			const style = await fetch(`${server.url}/basemap/style.json`);
			expect(style.status).toBe(503);
			expect(((await style.json()) as { error: string }).error).toMatch(/cannot be reached/);
			const tile = await fetch(`${server.url}/basemap/tiles/streets/1/0/0`);
			expect(tile.status).toBe(503);
			await tile.arrayBuffer();
			expect(await (await fetch(`${server.url}/basemap/status`)).json()).toEqual({ upstream: 'unreachable', streets: false, coverage: null });
		} finally {
			await server.dispose();
		}
	});

	it('BASEMAP_UPSTREAM=none turns the street map off and creates no cache', async () => {
		const server = await startTestServer({ BASEMAP_UPSTREAM: 'none' });
		try {
			const style = await fetch(`${server.url}/basemap/style.json`);
			expect(style.status).toBe(503);
			expect(((await style.json()) as { error: string }).error).toMatch(/turned off/);
			expect((await fetch(`${server.url}/basemap/tiles/streets/1/0/0`)).status).toBe(404);
			expect(await (await fetch(`${server.url}/basemap/status`)).json()).toEqual({ upstream: 'off', streets: false, coverage: null });
			const map = await createMap(server.url);
			expect((await facilitatorApi(server, map, 'packs')).status).toBe(404);
			expect(existsSync(join(server.dataDir, 'basemap.sqlite'))).toBe(false);
			// The offline countries are the app's and stay available.
			expect(existsSync(join(server.dataDir, 'atlas.sqlite'))).toBe(true);
		} finally {
			await server.dispose();
		}
	});
});
