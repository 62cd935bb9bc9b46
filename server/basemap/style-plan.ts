/**
 * Turns an upstream MapLibre style into one that loads only from our origin, and a plan
 * of where each local path comes from upstream. The plan is the allowlist of the proxy:
 * the server fetches only URLs derived from it, so `/basemap/` is never an open proxy.
 *
 * Pure apart from `fetchJson`, which the service passes in (and tests fake).
 */
import type { Bbox } from './tile-math.ts';

export const LOCAL_PREFIX = '/basemap';

export type TiledSourceType = 'vector' | 'raster' | 'raster-dem';

export interface SourcePlan {
	type: TiledSourceType;
	/** Upstream URL templates with {z}/{x}/{y}; one is picked per tile. */
	tiles: string[];
	minzoom: number;
	maxzoom: number;
	scheme: 'xyz' | 'tms';
	bounds: Bbox | null;
}

export interface BasemapPlan {
	/** The upstream style URL this plan was made from (a changed BASEMAP_UPSTREAM makes a new plan). */
	upstream: string;
	/** The style as browsers get it: every URL a path under /basemap/. */
	style: Record<string, unknown>;
	sources: Record<string, SourcePlan>;
	/** Upstream glyph template with {fontstack} and {range}. */
	glyphs: string | null;
	/** Sprite id -> upstream base URL (MapLibre appends [@2x].json/.png). */
	sprites: Record<string, string>;
	/** Font stacks the style's text layers use, as MapLibre requests them (comma-joined). */
	fontstacks: string[];
	/** Upstream attributions, as text. */
	attribution: string;
}

export class StylePlanError extends Error {}

export type FetchJson = (url: string) => Promise<unknown>;

const SOURCE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const SPRITE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const TILED: ReadonlySet<string> = new Set(['vector', 'raster', 'raster-dem']);
/** MapLibre's default when a symbol layer names no font. */
const DEFAULT_FONTSTACK = 'Open Sans Regular,Arial Unicode MS Regular';

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function httpUrl(raw: unknown, base: string): string | null {
	if (typeof raw !== 'string') return null;
	try {
		const url = new URL(raw, base);
		return url.protocol === 'http:' || url.protocol === 'https:' ? url.href.replace(/%7B/gi, '{').replace(/%7D/gi, '}') : null;
	} catch {
		return null;
	}
}

function zoom(raw: unknown, fallback: number): number {
	return typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw <= 24 ? raw : fallback;
}

function bboxOf(raw: unknown): Bbox | null {
	if (!Array.isArray(raw) || raw.length !== 4 || !raw.every((n) => typeof n === 'number' && Number.isFinite(n))) return null;
	return raw as Bbox;
}

function textOf(html: unknown): string {
	// Attributions are HTML upstream; we keep the words only (the client shows text).
	return typeof html === 'string' ? html.replace(/<[^>]*>/g, '').replace(/&copy;/g, '©').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim() : '';
}

export function localTilesPath(sourceId: string): string {
	return `${LOCAL_PREFIX}/tiles/${sourceId}/{z}/{x}/{y}`;
}

export const LOCAL_GLYPHS = `${LOCAL_PREFIX}/glyphs/{fontstack}/{range}.pbf`;

export function localSpritePath(id: string): string {
	return `${LOCAL_PREFIX}/sprites/${id}`;
}

/** Font stacks named by the style's symbol layers, literal or inside expressions. */
export function fontstacksOf(layers: unknown[]): string[] {
	const stacks = new Set<string>();
	const isStack = (value: unknown): value is string[] =>
		Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string');
	const visit = (value: unknown) => {
		if (!Array.isArray(value)) return;
		if (value[0] === 'literal' && isStack(value[1])) stacks.add(value[1].join(','));
		else for (const item of value) visit(item);
	};
	for (const layer of layers) {
		if (!isRecord(layer) || layer.type !== 'symbol' || !isRecord(layer.layout)) continue;
		const font = layer.layout['text-font'];
		if (layer.layout['text-field'] === undefined) continue;
		if (font === undefined) stacks.add(DEFAULT_FONTSTACK);
		else if (isStack(font) && !['literal', 'step', 'match', 'case', 'coalesce', 'interpolate'].includes(font[0])) stacks.add(font.join(','));
		else visit(font);
	}
	return [...stacks];
}

async function planSource(id: string, source: Record<string, unknown>, styleUrl: string, fetchJson: FetchJson): Promise<{ plan: SourcePlan; attribution: string; local: Record<string, unknown> } | null> {
	if (typeof source.type !== 'string' || !TILED.has(source.type)) return null;
	let spec: Record<string, unknown> = source;
	let base = styleUrl;
	if (typeof source.url === 'string') {
		const tileJsonUrl = httpUrl(source.url, styleUrl);
		if (!tileJsonUrl) return null; // mapbox://, pmtiles:// and other schemes we cannot proxy
		const tileJson = await fetchJson(tileJsonUrl);
		if (!isRecord(tileJson)) throw new StylePlanError(`TileJSON of source ${id} is not an object`);
		spec = { ...tileJson, ...Object.fromEntries(Object.entries(source).filter(([key]) => key !== 'url')) };
		base = tileJsonUrl;
	}
	const tiles = Array.isArray(spec.tiles) ? spec.tiles.map((tile) => httpUrl(tile, base)).filter((tile): tile is string => tile !== null) : [];
	if (tiles.length === 0) return null;
	const plan: SourcePlan = {
		type: source.type as TiledSourceType,
		tiles: tiles.slice(0, 8),
		minzoom: zoom(spec.minzoom, 0),
		maxzoom: zoom(spec.maxzoom, 22),
		scheme: spec.scheme === 'tms' ? 'tms' : 'xyz',
		bounds: bboxOf(spec.bounds)
	};
	const attribution = textOf(spec.attribution);
	const local: Record<string, unknown> = { type: plan.type, tiles: [localTilesPath(id)], minzoom: plan.minzoom, maxzoom: plan.maxzoom };
	if (plan.bounds) local.bounds = plan.bounds;
	if (attribution) local.attribution = attribution;
	for (const key of ['tileSize', 'encoding', 'volatile', 'promoteId'] as const) if (spec[key] !== undefined) local[key] = spec[key];
	// Our tile paths are always XYZ: the proxy flips TMS rows when it asks upstream.
	return { plan, attribution, local };
}

/**
 * Builds the plan. Sources we cannot serve (GeoJSON by URL, images, video, other URL
 * schemes) are left out together with the layers that draw them.
 */
export async function buildPlan(upstream: string, fetchJson: FetchJson): Promise<BasemapPlan> {
	const raw = await fetchJson(upstream);
	if (!isRecord(raw) || raw.version !== 8 || !isRecord(raw.sources) || !Array.isArray(raw.layers)) {
		throw new StylePlanError('the upstream style is not a MapLibre style (version 8 with sources and layers)');
	}
	const sources: Record<string, SourcePlan> = {};
	const localSources: Record<string, unknown> = {};
	const attributions = new Set<string>();
	for (const [id, source] of Object.entries(raw.sources)) {
		if (!SOURCE_ID.test(id) || !isRecord(source)) continue;
		const planned = await planSource(id, source, upstream, fetchJson);
		if (!planned) continue;
		sources[id] = planned.plan;
		localSources[id] = planned.local;
		if (planned.attribution) attributions.add(planned.attribution);
	}
	if (Object.keys(sources).length === 0) throw new StylePlanError('the upstream style has no tiled source we can serve');
	const layers = raw.layers.filter((layer) => isRecord(layer) && (layer.type === 'background' || (typeof layer.source === 'string' && layer.source in localSources)));
	const glyphs = httpUrl(raw.glyphs, upstream);
	const sprites: Record<string, string> = {};
	let localSprite: unknown;
	if (typeof raw.sprite === 'string') {
		const url = httpUrl(raw.sprite, upstream);
		if (url) {
			sprites.default = url;
			localSprite = localSpritePath('default');
		}
	} else if (Array.isArray(raw.sprite)) {
		const entries: { id: string; url: string }[] = [];
		for (const entry of raw.sprite) {
			const url = isRecord(entry) ? httpUrl(entry.url, upstream) : null;
			if (!url || !isRecord(entry) || typeof entry.id !== 'string' || !SPRITE_ID.test(entry.id)) continue;
			sprites[entry.id] = url;
			entries.push({ id: entry.id, url: localSpritePath(entry.id) });
		}
		if (entries.length > 0) localSprite = entries;
	}
	const style: Record<string, unknown> = { ...raw, sources: localSources, layers };
	delete style.sprite;
	delete style.glyphs;
	if (localSprite !== undefined) style.sprite = localSprite;
	// Text layers need glyphs; without a glyph source MapLibre would refuse the style.
	const textLayers = layers.some((layer) => isRecord(layer) && layer.type === 'symbol' && isRecord(layer.layout) && layer.layout['text-field'] !== undefined);
	if (glyphs) style.glyphs = LOCAL_GLYPHS;
	else if (textLayers) style.layers = layers.filter((layer) => !(isRecord(layer) && layer.type === 'symbol' && isRecord(layer.layout) && layer.layout['text-field'] !== undefined));
	return {
		upstream,
		style,
		sources,
		glyphs,
		sprites,
		fontstacks: glyphs ? fontstacksOf(style.layers as unknown[]) : [],
		attribution: [...attributions].join(' · ')
	};
}

/** The upstream URL of one tile (TMS sources count rows from the south). */
export function upstreamTileUrl(source: SourcePlan, z: number, x: number, y: number): string {
	const template = source.tiles[(x + y) % source.tiles.length];
	const row = source.scheme === 'tms' ? 2 ** z - 1 - y : y;
	return template.replaceAll('{z}', String(z)).replaceAll('{x}', String(x)).replaceAll('{y}', String(row));
}

export function upstreamGlyphUrl(template: string, fontstack: string, range: string): string {
	return template.replaceAll('{fontstack}', encodeURIComponent(fontstack)).replaceAll('{range}', range);
}

/** `base` + '' or '@2x' + '.json' or '.png', keeping any query string after the path. */
export function upstreamSpriteUrl(base: string, scale: '' | '@2x', ext: 'json' | 'png'): string {
	const url = new URL(base);
	url.pathname = `${url.pathname}${scale}.${ext}`;
	return url.href;
}
