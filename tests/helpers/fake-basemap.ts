/**
 * A street-map upstream on this machine, for tests: a MapLibre style with a TileJSON
 * vector source (real vector tiles cut from GeoJSON with geojson-vt and encoded with
 * vt-pbf), a raster source, glyph ranges and a sprite. It logs every request, can be
 * stopped and started on the same port, and can be told to fail.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GeoJSONVT } from '@maplibre/geojson-vt';
import { fromGeojsonVt } from '@maplibre/vt-pbf';
import { PbfWriter } from 'pbf';

/** Where the fake neighbourhood is: Springfield, Illinois. */
export const FAKE_CENTER: [number, number] = [-89.65, 39.8];

/** A 1×1 PNG (valid, tiny). */
export const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

type Feature = { type: 'Feature'; properties: Record<string, string | number>; geometry: { type: string; coordinates: unknown } };

/** A grid of streets, a lake, a park, blocks of buildings and labelled places around FAKE_CENTER. */
function neighbourhood(): Record<string, { type: 'FeatureCollection'; features: Feature[] }> {
	const [lng, lat] = FAKE_CENTER;
	const step = 0.004;
	const roads: Feature[] = [];
	for (let i = -6; i <= 6; i++) {
		const kind = i % 3 === 0 ? 'primary' : 'minor';
		roads.push({ type: 'Feature', properties: { class: kind, name: `${['Oak', 'Elm', 'Maple', 'Cedar'][(i + 8) % 4]} Street` }, geometry: { type: 'LineString', coordinates: [[lng - 0.03, lat + i * step], [lng + 0.03, lat + i * step]] } });
		roads.push({ type: 'Feature', properties: { class: kind, name: `${i + 7}th Avenue` }, geometry: { type: 'LineString', coordinates: [[lng + i * step, lat - 0.03], [lng + i * step, lat + 0.03]] } });
	}
	const square = (x: number, y: number, w: number, h: number) => [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]];
	const buildings: Feature[] = [];
	for (let i = -5; i < 5; i++) for (let j = -5; j < 5; j++) if ((i + j) % 2 === 0) buildings.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: square(lng + i * step + 0.0008, lat + j * step + 0.0008, 0.0022, 0.0018) } });
	return {
		water: { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { class: 'lake' }, geometry: { type: 'Polygon', coordinates: square(lng + 0.012, lat + 0.008, 0.012, 0.008) } }] },
		park: { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { class: 'park', name: 'Washington Park' }, geometry: { type: 'Polygon', coordinates: square(lng - 0.02, lat - 0.016, 0.01, 0.008) } }] },
		transportation: { type: 'FeatureCollection', features: roads },
		building: { type: 'FeatureCollection', features: buildings },
		place: {
			type: 'FeatureCollection',
			features: [
				{ type: 'Feature', properties: { class: 'suburb', name: 'Eastside' }, geometry: { type: 'Point', coordinates: [lng + 0.01, lat] } },
				{ type: 'Feature', properties: { class: 'suburb', name: 'Café Ñandú' }, geometry: { type: 'Point', coordinates: [lng - 0.01, lat + 0.004] } },
				{ type: 'Feature', properties: { class: 'suburb', name: 'Библиотека' }, geometry: { type: 'Point', coordinates: [lng, lat - 0.01] } }
			]
		}
	};
}

export function fakeStyle(origin: string): Record<string, unknown> {
	return {
		version: 8,
		name: 'Fake streets',
		glyphs: `${origin}/fonts/{fontstack}/{range}.pbf`,
		sprite: `${origin}/sprites/streets`,
		sources: {
			streets: { type: 'vector', url: `${origin}/tiles.json` },
			relief: { type: 'raster', tiles: [`${origin}/relief/{z}/{x}/{y}.png`], tileSize: 256, maxzoom: 6, attribution: 'Natural Earth relief' },
			// A source we cannot proxy: left out with its layer.
			elsewhere: { type: 'vector', url: 'pmtiles://example.org/x.pmtiles' }
		},
		layers: [
			{ id: 'background', type: 'background', paint: { 'background-color': '#f6f3ee' } },
			{ id: 'relief', type: 'raster', source: 'relief', maxzoom: 7, paint: { 'raster-opacity': 0.2 } },
			{ id: 'park', type: 'fill', source: 'streets', 'source-layer': 'park', paint: { 'fill-color': '#cfe8c4' } },
			{ id: 'water', type: 'fill', source: 'streets', 'source-layer': 'water', paint: { 'fill-color': '#a8cbe6' } },
			{ id: 'building', type: 'fill', source: 'streets', 'source-layer': 'building', minzoom: 13, paint: { 'fill-color': '#e0d9cf', 'fill-outline-color': '#cbbfb0' } },
			{ id: 'road-casing', type: 'line', source: 'streets', 'source-layer': 'transportation', paint: { 'line-color': '#c9c2b8', 'line-width': ['interpolate', ['linear'], ['zoom'], 12, 2, 16, 12] } },
			{ id: 'road', type: 'line', source: 'streets', 'source-layer': 'transportation', paint: { 'line-color': ['match', ['get', 'class'], 'primary', '#fde8a8', '#ffffff'], 'line-width': ['interpolate', ['linear'], ['zoom'], 12, 1, 16, 9] } },
			{ id: 'elsewhere', type: 'fill', source: 'elsewhere', 'source-layer': 'x' },
			{
				id: 'place-label',
				type: 'symbol',
				source: 'streets',
				'source-layer': 'place',
				layout: { 'text-field': ['get', 'name'], 'text-font': ['literal', ['Noto Sans Regular']], 'text-size': 14 },
				paint: { 'text-color': '#333' }
			},
			{ id: 'road-label', type: 'symbol', source: 'streets', 'source-layer': 'transportation', layout: { 'symbol-placement': 'line', 'text-field': ['get', 'name'], 'text-font': ['Noto Sans Bold'] } }
		]
	};
}

/** A glyph PBF with the font stack's name and range and no glyphs (enough for MapLibre). */
export function emptyGlyphs(fontstack: string, range: string): Buffer {
	const pbf = new PbfWriter();
	pbf.writeMessage(1, (_: unknown, writer: PbfWriter) => {
		writer.writeStringField(1, fontstack);
		writer.writeStringField(2, range);
	}, null);
	return Buffer.from(pbf.finish());
}

export interface FakeBasemap {
	readonly origin: string;
	readonly styleUrl: string;
	/** Every path asked for, in order, with the User-Agent it came with. */
	readonly requests: { path: string; userAgent: string }[];
	/** Answers everything with this status from now on (null: answer normally). */
	failWith(status: number | null): void;
	/** Headers sent with every tile (e.g. Cache-Control). */
	tileHeaders: Record<string, string>;
	stop(): Promise<void>;
	/** Starts again on the same port. */
	start(): Promise<void>;
}

export async function startFakeBasemap(): Promise<FakeBasemap> {
	const layers = Object.fromEntries(Object.entries(neighbourhood()).map(([name, data]) => [name, new GeoJSONVT(data as never, { maxZoom: 14, indexMaxZoom: 5 })]));
	const requests: { path: string; userAgent: string }[] = [];
	let failure: number | null = null;
	let origin = '';

	const handle = (req: IncomingMessage, res: import('node:http').ServerResponse) => {
		const path = new URL(req.url ?? '/', 'http://x').pathname;
		requests.push({ path, userAgent: String(req.headers['user-agent'] ?? '') });
		if (failure !== null) return void res.writeHead(failure).end();
		const json = (body: unknown, headers: Record<string, string> = {}) => {
			res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=3600', ...headers });
			res.end(JSON.stringify(body));
		};
		if (path === '/styles/streets') return json(fakeStyle(origin));
		if (path === '/tiles.json') {
			return json({ tilejson: '3.0.0', tiles: [`${origin}/v/{z}/{x}/{y}.pbf`], minzoom: 0, maxzoom: 14, attribution: '<a href="https://www.openstreetmap.org/copyright">&copy; OpenStreetMap contributors</a>' });
		}
		const tile = /^\/v\/(\d+)\/(\d+)\/(\d+)\.pbf$/.exec(path);
		if (tile) {
			const [z, x, y] = tile.slice(1).map(Number);
			const parts: Record<string, never> = {};
			for (const [name, index] of Object.entries(layers)) {
				const cut = index.getTile(z, x, y);
				if (cut) parts[name] = cut as never;
			}
			if (Object.keys(parts).length === 0) return void res.writeHead(404).end();
			res.writeHead(200, { 'Content-Type': 'application/x-protobuf', ...fake.tileHeaders });
			return void res.end(Buffer.from(fromGeojsonVt(parts)));
		}
		if (/^\/relief\/\d+\/\d+\/\d+\.png$/.test(path)) {
			res.writeHead(200, { 'Content-Type': 'image/png', 'Cache-Control': 'max-age=86400' });
			return void res.end(PNG_1X1);
		}
		const glyph = /^\/fonts\/([^/]+)\/(\d+-\d+)\.pbf$/.exec(path);
		if (glyph) {
			res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Cache-Control': 'max-age=86400' });
			return void res.end(emptyGlyphs(decodeURIComponent(glyph[1]), glyph[2]));
		}
		const sprite = /^\/sprites\/streets(@2x)?\.(json|png)$/.exec(path);
		if (sprite) {
			if (sprite[2] === 'json') return json({ dot: { x: 0, y: 0, width: 1, height: 1, pixelRatio: sprite[1] ? 2 : 1 } });
			res.writeHead(200, { 'Content-Type': 'image/png' });
			return void res.end(PNG_1X1);
		}
		res.writeHead(404).end();
	};

	let server: Server = createServer(handle);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as AddressInfo).port;
	origin = `http://127.0.0.1:${port}`;

	const fake: FakeBasemap = {
		origin,
		styleUrl: `${origin}/styles/streets`,
		requests,
		tileHeaders: { 'Cache-Control': 'max-age=3600' },
		failWith(status) {
			failure = status;
		},
		async stop() {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
		async start() {
			server = createServer(handle);
			await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
		}
	};
	return fake;
}
