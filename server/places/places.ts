/**
 * Place search for the map's search box and for a new map's starting view: the offline
 * gazetteer first, then (when GEOCODER_UPSTREAM is set) the upstream's answers it did not
 * already have.
 */
import type { Logger } from '../room/runner.ts';
import { loadGazetteer, MAX_LIMIT, normalizeName, parseQuery, type Place } from './gazetteer.ts';
import { createUpstreamGeocoder, type UpstreamGeocoder } from './upstream.ts';

export interface PlaceService {
	/** Throws PlaceQueryError for text that is too short or too long. */
	search(raw: unknown): Promise<Place[]>;
	/** The gazetteer place a map's Place field names exactly, if any. */
	lookup(place: string): Promise<Place | null>;
}

const UPSTREAM_ROOM = 3;

/** Same name within about 5 km: the upstream's copy of a place we already list. */
function sameplace(a: Place, b: Place): boolean {
	return normalizeName(a.name) === normalizeName(b.name) && Math.abs(a.lon - b.lon) < 0.05 && Math.abs(a.lat - b.lat) < 0.05;
}

export function createPlaceService(options: { upstream: string | null; logger: Logger; fetch?: typeof fetch }): PlaceService {
	const upstream: UpstreamGeocoder | null = options.upstream ? createUpstreamGeocoder(options.upstream, options.logger, options.fetch) : null;
	return {
		async search(raw) {
			const query = parseQuery(raw);
			const [{ gazetteer }, extra] = await Promise.all([
				loadGazetteer(),
				upstream && query.text.length >= 3 ? upstream.search(String(raw).trim()) : Promise.resolve([])
			]);
			const own = gazetteer.search(raw, MAX_LIMIT);
			const more = extra.filter((place) => !own.some((known) => sameplace(known, place)));
			// The upstream's answers come after ours, with room kept for up to three of them.
			const places = [...own.slice(0, MAX_LIMIT - Math.min(UPSTREAM_ROOM, more.length)), ...more];
			return places.slice(0, MAX_LIMIT);
		},
		async lookup(place) {
			if (!place.trim()) return null;
			const { gazetteer } = await loadGazetteer();
			return gazetteer.lookup(place);
		}
	};
}
