/**
 * An optional upstream geocoder (GEOCODER_UPSTREAM), asked through the server so pages
 * never talk to it. Only the search text travels: the address is the configured one, never
 * anything a client sent. Nominatim (`/search`, jsonv2) and Photon (`/api`, GeoJSON)
 * answers are both understood.
 */
import { TokenBucket } from '../limits.ts';
import type { Logger } from '../room/runner.ts';
import { MAX_LIMIT, type Place } from './gazetteer.ts';

export const UPSTREAM_TIMEOUT_MS = 3_000;
export const USER_AGENT = 'AssetAtlas/0.1 (self-hosted community asset mapping server; place search)';
const CACHE_ENTRIES = 500;
const CACHE_MS = 10 * 60_000;

export interface UpstreamGeocoder {
	search(text: string): Promise<Place[]>;
}

const finite = (value: unknown): number | null => {
	const number = typeof value === 'string' ? Number(value) : value;
	return typeof number === 'number' && Number.isFinite(number) ? number : null;
};

function validPosition(lon: number | null, lat: number | null): lon is number {
	return lon !== null && lat !== null && lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90;
}

function zoomForBbox(bbox: [number, number, number, number] | undefined): number {
	if (!bbox) return 13;
	const span = Math.max(bbox[2] - bbox[0], bbox[3] - bbox[1], 1e-6);
	return Math.max(2, Math.min(16, Math.round(Math.log2(360 / span))));
}

const text = (value: unknown, max = 200) => (typeof value === 'string' ? value.slice(0, max) : '');

/** Nominatim jsonv2: [{ name, display_name, lat, lon, boundingbox: [s, n, w, e], address? }]. */
function fromNominatim(items: unknown[]): Place[] {
	const places: Place[] = [];
	for (const item of items) {
		if (typeof item !== 'object' || item === null) continue;
		const record = item as Record<string, unknown>;
		const lon = finite(record.lon);
		const lat = finite(record.lat);
		if (!validPosition(lon, lat)) continue;
		const box = Array.isArray(record.boundingbox) ? record.boundingbox.map(finite) : [];
		const bbox = box.length === 4 && box.every((n) => n !== null) ? ([box[2], box[0], box[3], box[1]] as [number, number, number, number]) : undefined;
		const address = typeof record.address === 'object' && record.address !== null ? (record.address as Record<string, unknown>) : {};
		const name = text(record.name) || text(record.display_name).split(',')[0];
		if (!name) continue;
		places.push(upstreamPlace(name, address.country_code, address.state, lon, lat!, bbox));
	}
	return places;
}

/** A place either geocoder found, in our shape (no population: zoom from its extent). */
function upstreamPlace(name: string, country: unknown, admin: unknown, lon: number, lat: number, bbox: [number, number, number, number] | undefined): Place {
	return {
		name,
		country: text(country, 2).toUpperCase(),
		admin: text(admin, 80),
		lon,
		lat,
		population: 0,
		zoom: zoomForBbox(bbox),
		...(bbox ? { bbox } : {}),
		source: 'upstream'
	};
}

/** Photon: a GeoJSON FeatureCollection; properties { name, countrycode, state, extent: [w, n, e, s] }. */
function fromPhoton(features: unknown[]): Place[] {
	const places: Place[] = [];
	for (const feature of features) {
		if (typeof feature !== 'object' || feature === null) continue;
		const { geometry, properties } = feature as { geometry?: { coordinates?: unknown[] }; properties?: Record<string, unknown> };
		const lon = finite(geometry?.coordinates?.[0]);
		const lat = finite(geometry?.coordinates?.[1]);
		if (!validPosition(lon, lat) || !properties) continue;
		const name = text(properties.name);
		if (!name) continue;
		const extent = Array.isArray(properties.extent) ? properties.extent.map(finite) : [];
		const bbox = extent.length === 4 && extent.every((n) => n !== null) ? ([extent[0], extent[3], extent[2], extent[1]] as [number, number, number, number]) : undefined;
		places.push(upstreamPlace(name, properties.countrycode, properties.state, lon, lat!, bbox));
	}
	return places;
}

/**
 * Asks the upstream at most once a second across the whole server (Nominatim's public
 * usage policy), caches answers for ten minutes, and answers [] on any failure (logged).
 */
export function createUpstreamGeocoder(base: string, logger: Logger, fetchImpl: typeof fetch = fetch): UpstreamGeocoder {
	const rate = new TokenBucket(1, 3);
	const cache = new Map<string, { at: number; places: Place[] }>();
	const photon = /\/api\/?$/.test(new URL(base).pathname);
	return {
		async search(query) {
			const hit = cache.get(query);
			if (hit && Date.now() - hit.at < CACHE_MS) return hit.places;
			if (!rate.take()) return [];
			const url = new URL(base);
			url.searchParams.set('q', query);
			url.searchParams.set('limit', String(MAX_LIMIT));
			if (!photon) {
				url.searchParams.set('format', 'jsonv2');
				url.searchParams.set('addressdetails', '1');
			}
			try {
				const response = await fetchImpl(url, {
					headers: { 'User-Agent': USER_AGENT, Accept: 'application/json' },
					redirect: 'error',
					signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS)
				});
				if (!response.ok) throw new Error(`status ${response.status}`);
				const body: unknown = await response.json();
				const places = Array.isArray(body)
					? fromNominatim(body)
					: typeof body === 'object' && body !== null && Array.isArray((body as { features?: unknown }).features)
						? fromPhoton((body as { features: unknown[] }).features)
						: null;
				if (!places) throw new Error('answer is neither Nominatim nor Photon JSON');
				if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
				cache.set(query, { at: Date.now(), places });
				return places;
			} catch (error) {
				logger.warn(`geocoder upstream failed: ${error instanceof Error ? error.message : String(error)}`);
				return [];
			}
		}
	};
}
