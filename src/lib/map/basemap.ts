/**
 * The page's basemap: the street style our server proxies (/basemap/style.json) with the
 * offline Natural Earth countries underneath, hidden. Where the street map cannot be
 * drawn (the server has no internet and no pack or cache for this view, or this phone
 * is offline without the tiles) the page shows the countries instead and says so.
 * Switching is a visibility change, not a new style, so asset layers stay put.
 */
import type { LayerSpecification, Map as MaplibreMap, MapSourceDataEvent, StyleSpecification } from 'maplibre-gl';
import { BASEMAP_COLORS } from './basemap-style.ts';

export type BasemapMode = 'streets' | 'countries';

export interface Basemap {
	style: StyleSpecification;
	/** Street layers and sources; empty when only the countries style could be had. */
	streetLayers: string[];
	streetSources: string[];
	/** The street map's attribution, as text. */
	attribution: string;
	/** What the server said about its upstream when the style was served. */
	upstream: string;
}

const COUNTRY_LAYERS = ['atlas-countries-water', 'atlas-countries-land', 'atlas-countries-borders'];
export const STYLE_TIMEOUT_MS = 4000;
const STATUS_TIMEOUT_MS = 3000;
/** How soon an unanswered status check is tried again while the countries are shown. */
const STATUS_RETRY_MS = 5000;

function countryParts(origin: string, visible: boolean): { sources: StyleSpecification['sources']; layers: LayerSpecification[] } {
	const visibility = visible ? 'visible' : 'none';
	return {
		sources: {
			'atlas-land': { type: 'geojson', data: `${origin}/basemap/land.json`, attribution: 'Natural Earth' },
			'atlas-borders': { type: 'geojson', data: `${origin}/basemap/borders.json` }
		},
		layers: [
			{ id: 'atlas-countries-water', type: 'background', layout: { visibility }, paint: { 'background-color': BASEMAP_COLORS.water } },
			{ id: 'atlas-countries-land', type: 'fill', source: 'atlas-land', layout: { visibility }, paint: { 'fill-color': BASEMAP_COLORS.land } },
			{
				id: 'atlas-countries-borders',
				type: 'line',
				source: 'atlas-borders',
				layout: { visibility },
				paint: {
					'line-color': BASEMAP_COLORS.border,
					'line-width': ['interpolate', ['linear'], ['zoom'], 2, 0.6, 8, 1.5],
					'line-dasharray': [3, 2]
				}
			}
		]
	};
}

/** Only the countries: what a page shows when the street style cannot be had at all. */
export function countriesOnly(origin: string): Basemap {
	const parts = countryParts(origin, true);
	return {
		style: { version: 8, name: 'Asset Atlas countries', sources: parts.sources, layers: parts.layers },
		streetLayers: [],
		streetSources: [],
		attribution: '',
		upstream: 'off'
	};
}

function absolute(origin: string, path: unknown): unknown {
	return typeof path === 'string' && path.startsWith('/') ? `${origin}${path}` : path;
}

/** The server's street style with its /basemap/ paths made absolute (MapLibre needs that) and the countries beneath. */
export function composeBasemap(origin: string, street: StyleSpecification): Basemap {
	const parts = countryParts(origin, false);
	const sources: StyleSpecification['sources'] = { ...parts.sources };
	for (const [id, source] of Object.entries(street.sources)) {
		const copy = { ...source } as Record<string, unknown>;
		if (Array.isArray(copy.tiles)) copy.tiles = copy.tiles.map((tile) => absolute(origin, tile));
		sources[id] = copy as unknown as StyleSpecification['sources'][string];
	}
	const sprite = Array.isArray(street.sprite)
		? street.sprite.map((entry) => ({ ...entry, url: absolute(origin, entry.url) as string }))
		: (absolute(origin, street.sprite) as StyleSpecification['sprite']);
	const metadata = (street.metadata ?? {}) as Record<string, unknown>;
	return {
		style: {
			...street,
			sources,
			sprite,
			glyphs: absolute(origin, street.glyphs) as string | undefined,
			layers: [...parts.layers, ...street.layers]
		},
		streetLayers: street.layers.map((layer) => layer.id),
		streetSources: Object.keys(street.sources),
		attribution: typeof metadata['atlas:attribution'] === 'string' ? metadata['atlas:attribution'] : '',
		upstream: typeof metadata['atlas:upstream'] === 'string' ? metadata['atlas:upstream'] : 'unknown'
	};
}

function isStyle(value: unknown): value is StyleSpecification {
	const record = value as Record<string, unknown> | null;
	return typeof record === 'object' && record !== null && record.version === 8 && typeof record.sources === 'object' && Array.isArray(record.layers);
}

/** The street basemap if the server has one within a few seconds, else the countries. */
export async function loadBasemap(origin: string, timeoutMs = STYLE_TIMEOUT_MS): Promise<Basemap> {
	try {
		const response = await fetch(`${origin}/basemap/style.json`, { signal: AbortSignal.timeout(timeoutMs) });
		if (!response.ok) return countriesOnly(origin);
		const body: unknown = await response.json();
		return isStyle(body) ? composeBasemap(origin, body) : countriesOnly(origin);
	} catch {
		return countriesOnly(origin);
	}
}

interface Status {
	upstream: string;
	coverage: number | null;
}

async function fetchStatus(origin: string, map: MaplibreMap): Promise<Status | null> {
	const bounds = map.getBounds();
	const bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()].map((n, index) =>
		Math.max(index % 2 === 0 ? -180 : -85, Math.min(index % 2 === 0 ? 180 : 85, n)).toFixed(5)
	);
	try {
		const response = await fetch(`${origin}/basemap/status?bbox=${bbox.join(',')}&zoom=${map.getZoom().toFixed(2)}`, {
			signal: AbortSignal.timeout(STATUS_TIMEOUT_MS),
			cache: 'no-store'
		});
		if (!response.ok) return null;
		const body = (await response.json()) as Record<string, unknown>;
		return { upstream: String(body.upstream), coverage: typeof body.coverage === 'number' ? body.coverage : null };
	} catch {
		return null;
	}
}

/**
 * Keeps the map on streets where they can be drawn and on countries where they cannot:
 * - the server says its upstream answers, or it holds at least half the view's tiles: streets;
 * - otherwise countries, checked again after each move (a pack may cover the next view);
 * - a view where every street tile failed (this phone lost the server, or the server its
 *   upstream mid-workshop) falls back to countries and asks the server again.
 */
export function followBasemap(map: MaplibreMap, basemap: Basemap, origin: string, onMode: (mode: BasemapMode) => void): () => void {
	if (basemap.streetLayers.length === 0) {
		onMode('countries');
		return () => {};
	}
	const streetSources = new Set(basemap.streetSources);
	let mode: BasemapMode = basemap.upstream === 'unreachable' ? 'countries' : 'streets';
	let failed = 0;
	let loaded = 0;
	let checking = false;
	let timer: ReturnType<typeof setTimeout> | null = null;
	let stopped = false;

	const apply = (next: BasemapMode) => {
		if (stopped) return;
		mode = next;
		for (const id of basemap.streetLayers) map.setLayoutProperty(id, 'visibility', next === 'streets' ? 'visible' : 'none');
		for (const id of COUNTRY_LAYERS) map.setLayoutProperty(id, 'visibility', next === 'countries' ? 'visible' : 'none');
		failed = 0;
		loaded = 0;
		onMode(next);
	};
	// Street layers may come with their own visibility; we only ever hide or show all of them.
	const original = new Map(basemap.streetLayers.map((id) => [id, map.getLayoutProperty(id, 'visibility') as string | undefined]));
	const showStreets = () => {
		apply('streets');
		for (const [id, visibility] of original) if (visibility === 'none') map.setLayoutProperty(id, 'visibility', 'none');
	};

	const check = async () => {
		if (checking || stopped) return;
		checking = true;
		const status = await fetchStatus(origin, map);
		checking = false;
		if (stopped) return;
		if (status) {
			const streets = status.upstream !== 'unreachable' || (status.coverage ?? 0) >= 0.5;
			if (streets && mode !== 'streets') showStreets();
			else if (!streets && mode !== 'countries') apply('countries');
		} else if (mode === 'streets' && failed > 0 && loaded === 0) {
			apply('countries');
		} else if (mode === 'countries') {
			// No answer (a slow phone, a busy server): ask again rather than stay on the
			// countries until the person happens to move the map.
			later(STATUS_RETRY_MS);
		}
	};
	const later = (ms: number) => {
		if (timer) clearTimeout(timer);
		timer = setTimeout(() => void check(), ms);
	};

	const onError = (event: { sourceId?: string; tile?: unknown; error?: unknown }) => {
		if (event.sourceId && streetSources.has(event.sourceId) && event.tile) failed++;
		// Listening to 'error' stops MapLibre's own logging; keep the rest visible.
		else console.error(event.error ?? event);
	};
	const onData = (event: { dataType: string }) => {
		const source = event as MapSourceDataEvent;
		if (source.dataType === 'source' && streetSources.has(source.sourceId) && source.tile) loaded++;
	};
	const onMoveStart = () => {
		failed = 0;
		loaded = 0;
	};
	const onIdle = () => {
		if (mode === 'streets' && failed > 0 && loaded === 0) later(0);
	};
	const onMoveEnd = () => {
		if (mode === 'countries') later(600);
	};
	map.on('error', onError);
	map.on('data', onData);
	map.on('movestart', onMoveStart);
	map.on('idle', onIdle);
	map.on('moveend', onMoveEnd);
	if (mode === 'countries') apply('countries');
	else onMode('streets');
	void check();
	return () => {
		stopped = true;
		if (timer) clearTimeout(timer);
		map.off('error', onError);
		map.off('data', onData);
		map.off('movestart', onMoveStart);
		map.off('idle', onIdle);
		map.off('moveend', onMoveEnd);
	};
}
