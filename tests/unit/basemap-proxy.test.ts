/** Pure parts of the basemap proxy: the style plan, cache freshness, tile arithmetic, resource paths. */
import { describe, expect, it } from 'vitest';
import { freshnessOf, DEFAULT_FRESH_MS } from '../../server/basemap/cache-policy.ts';
import { parseResourcePath, safeContentType } from '../../server/basemap/basemap-http.ts';
import { buildPlan, fontstacksOf, upstreamSpriteUrl, upstreamTileUrl } from '../../server/basemap/style-plan.ts';
import { latToTileY, lngToTileX, parseBbox, tileCount, tilesIn } from '../../server/basemap/tile-math.ts';
import { composeBasemap } from '../../src/lib/map/basemap.ts';

const headers = (values: Record<string, string>) => ({ get: (name: string) => values[name.toLowerCase()] ?? null });

describe('cache freshness (a shared cache, RFC 9111)', () => {
	it('reads s-maxage over max-age over Expires, and refuses private and no-store', () => {
		expect(freshnessOf(headers({ 'cache-control': 'public, max-age=600, s-maxage=7200' }))).toEqual({ store: true, freshForMs: 7_200_000 });
		expect(freshnessOf(headers({ 'cache-control': 'max-age=600' }))).toEqual({ store: true, freshForMs: 600_000 });
		expect(freshnessOf(headers({ expires: 'Thu, 01 Jan 2026 01:00:00 GMT', date: 'Thu, 01 Jan 2026 00:00:00 GMT' })).freshForMs).toBe(3_600_000);
		expect(freshnessOf(headers({})).freshForMs).toBe(DEFAULT_FRESH_MS);
		expect(freshnessOf(headers({ 'cache-control': 'private, max-age=600' })).store).toBe(false);
		expect(freshnessOf(headers({ 'cache-control': 'no-store' })).store).toBe(false);
		expect(freshnessOf(headers({ 'cache-control': 'no-cache' }))).toEqual({ store: true, freshForMs: 0 });
		expect(freshnessOf(headers({ 'cache-control': 'max-age=0' })).freshForMs).toBe(0);
		// A tiny max-age still spares the upstream a request per phone for a minute.
		expect(freshnessOf(headers({ 'cache-control': 'max-age=5' })).freshForMs).toBe(60_000);
	});
});

describe('tile arithmetic', () => {
	it('finds the tiles of a place and of an area', () => {
		// London at z10 is tile 511/340 (the OSM wiki's worked example).
		expect([lngToTileX(-0.1276, 10), latToTileY(51.5072, 10)]).toEqual([511, 340]);
		expect(tileCount([-180, -85, 180, 85], 2)).toBe(16);
		expect([...tilesIn([-0.2, 51.4, -0.1, 51.6], 0, 1)]).toEqual([
			{ z: 0, x: 0, y: 0 },
			{ z: 1, x: 0, y: 0 }
		]);
		expect(parseBbox('1,2,3,4')).toEqual([1, 2, 3, 4]);
		for (const bad of ['1,2,3', '3,2,1,4', '1,2,3,95', 'a,b,c,d', null, [1, 2, 3, Number.NaN]]) expect(parseBbox(bad)).toBeNull();
	});
});

describe('resource paths', () => {
	it('parses what MapLibre asks for and refuses everything else', () => {
		expect(parseResourcePath('/basemap/tiles/openmaptiles/14/4823/6160')).toEqual({ kind: 'tile', source: 'openmaptiles', z: 14, x: 4823, y: 6160 });
		expect(parseResourcePath('/basemap/glyphs/Noto%20Sans%20Regular/256-511.pbf')).toEqual({ kind: 'glyph', fontstack: 'Noto Sans Regular', range: '256-511' });
		expect(parseResourcePath('/basemap/sprites/ofm@2x.png')).toEqual({ kind: 'sprite', id: 'ofm', scale: '@2x', ext: 'png' });
		for (const bad of [
			'/basemap/tiles/x/2/4/0',
			'/basemap/tiles/../1/0/0',
			'/basemap/glyphs/%E0%A4%A/0-255.pbf',
			'/basemap/glyphs/a%2Fb/0-255.pbf',
			'/basemap/glyphs/Noto/0-300.pbf',
			'/basemap/glyphs/Noto/65536-65791.pbf',
			'/basemap/sprites/a.svg'
		]) {
			expect(parseResourcePath(bad), bad).toBeNull();
		}
	});

	it('labels what it serves by what it is, never as a page', () => {
		const tile = { kind: 'tile', source: 's', z: 0, x: 0, y: 0 } as const;
		expect(safeContentType(tile, 'text/html')).toBe('application/x-protobuf');
		expect(safeContentType(tile, 'image/webp')).toBe('image/webp');
		expect(safeContentType({ kind: 'sprite', id: 'a', scale: '', ext: 'json' }, 'text/html')).toBe('application/json');
	});
});

describe('style plan', () => {
	const upstream = 'https://tiles.example.org/styles/liberty';
	const style = {
		version: 8,
		glyphs: 'https://tiles.example.org/fonts/{fontstack}/{range}.pbf',
		sprite: [{ id: 'ofm', url: '/sprites/ofm' }],
		sources: {
			openmaptiles: { type: 'vector', url: 'https://tiles.example.org/planet' },
			relief: { type: 'raster', tiles: ['https://a.example.org/r/{z}/{x}/{y}.png', 'https://b.example.org/r/{z}/{x}/{y}.png'], scheme: 'tms', maxzoom: 6 },
			points: { type: 'geojson', data: 'https://example.org/points.json' },
			'bad id!': { type: 'vector', tiles: ['https://x.example.org/{z}/{x}/{y}'] }
		},
		layers: [
			{ id: 'bg', type: 'background' },
			{ id: 'roads', type: 'line', source: 'openmaptiles', 'source-layer': 'transportation' },
			{ id: 'points', type: 'circle', source: 'points' },
			{ id: 'labels', type: 'symbol', source: 'openmaptiles', layout: { 'text-field': '{name}', 'text-font': ['step', ['zoom'], ['literal', ['Noto Sans Regular']], 12, ['literal', ['Noto Sans Bold']]] } },
			{ id: 'default-font', type: 'symbol', source: 'openmaptiles', layout: { 'text-field': '{ref}' } },
			{ id: 'icons', type: 'symbol', source: 'openmaptiles', layout: { 'icon-image': 'x' } }
		]
	};
	const tileJson = { tiles: ['https://tiles.example.org/planet/2026/{z}/{x}/{y}.pbf'], minzoom: 0, maxzoom: 14, attribution: '<a href="x">&copy; OpenMapTiles</a> <b>OSM</b>' };
	const fetchJson = async (url: string) => {
		if (url === upstream) return style;
		if (url === 'https://tiles.example.org/planet') return tileJson;
		throw new Error(`unexpected ${url}`);
	};

	it('rewrites every URL to /basemap/, inlines TileJSON, and drops what it cannot serve', async () => {
		const plan = await buildPlan(upstream, fetchJson);
		expect(plan.style.sources).toEqual({
			openmaptiles: { type: 'vector', tiles: ['/basemap/tiles/openmaptiles/{z}/{x}/{y}'], minzoom: 0, maxzoom: 14, attribution: '© OpenMapTiles OSM' },
			relief: { type: 'raster', tiles: ['/basemap/tiles/relief/{z}/{x}/{y}'], minzoom: 0, maxzoom: 6 }
		});
		expect((plan.style.layers as { id: string }[]).map((layer) => layer.id)).toEqual(['bg', 'roads', 'labels', 'default-font', 'icons']);
		expect(plan.style.sprite).toEqual([{ id: 'ofm', url: '/basemap/sprites/ofm' }]);
		expect(plan.style.glyphs).toBe('/basemap/glyphs/{fontstack}/{range}.pbf');
		expect(plan.sprites).toEqual({ ofm: 'https://tiles.example.org/sprites/ofm' });
		expect(plan.fontstacks.sort()).toEqual(['Noto Sans Bold', 'Noto Sans Regular', 'Open Sans Regular,Arial Unicode MS Regular']);
		expect(plan.attribution).toBe('© OpenMapTiles OSM');
		// TMS rows are flipped when asking upstream; subdomains are spread by tile.
		expect(upstreamTileUrl(plan.sources.relief, 2, 1, 0)).toBe('https://b.example.org/r/2/1/3.png');
		expect(upstreamTileUrl(plan.sources.openmaptiles, 14, 1, 2)).toBe('https://tiles.example.org/planet/2026/14/1/2.pbf');
		expect(upstreamSpriteUrl('https://x.example.org/s/ofm?v=2', '@2x', 'json')).toBe('https://x.example.org/s/ofm@2x.json?v=2');
		expect(JSON.stringify(plan.style)).not.toContain('example.org');
	});

	it('refuses something that is not a style', async () => {
		await expect(buildPlan(upstream, async () => ({ version: 7 }))).rejects.toThrow(/not a MapLibre style/);
		await expect(buildPlan(upstream, async () => ({ version: 8, sources: {}, layers: [] }))).rejects.toThrow(/no tiled source/);
	});

	it('collects font stacks, literal or in expressions', () => {
		expect(fontstacksOf([{ type: 'symbol', layout: { 'text-field': 'x', 'text-font': ['A', 'B'] } }])).toEqual(['A,B']);
		expect(fontstacksOf([{ type: 'symbol', layout: { 'text-font': ['A'] } }])).toEqual([]);
	});

	it('the page puts the countries beneath the streets, hidden, with absolute URLs', async () => {
		const plan = await buildPlan(upstream, fetchJson);
		const basemap = composeBasemap('http://192.168.1.20:3000', { ...plan.style, metadata: { 'atlas:attribution': plan.attribution, 'atlas:upstream': 'reachable' } } as never);
		expect(basemap.style.layers.slice(0, 3).map((layer) => [layer.id, (layer.layout as { visibility: string }).visibility])).toEqual([
			['atlas-countries-water', 'none'],
			['atlas-countries-land', 'none'],
			['atlas-countries-borders', 'none']
		]);
		expect((basemap.style.sources.openmaptiles as { tiles: string[] }).tiles).toEqual(['http://192.168.1.20:3000/basemap/tiles/openmaptiles/{z}/{x}/{y}']);
		expect(basemap.style.glyphs).toBe('http://192.168.1.20:3000/basemap/glyphs/{fontstack}/{range}.pbf');
		expect(basemap.streetLayers).toEqual(['bg', 'roads', 'labels', 'default-font', 'icons']);
		expect(basemap.attribution).toBe('© OpenMapTiles OSM');
		expect(basemap.upstream).toBe('reachable');
	});
});
