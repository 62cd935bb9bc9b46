/**
 * The browser's side of the HTTP API (server/app.ts). Responses are parsed into typed
 * values here, once; keys travel in the Authorization header, never in a URL.
 */
import { isMapId } from './doc/ids.ts';
import { ROLES, type Role } from './doc/model.ts';
import { isRecord, text } from './doc/validate.ts';
import { parseHistoryPage, type HistoryKind, type HistoryPage } from './history.ts';

export interface MapLinks {
	facilitator: string;
	editor: string;
	viewer: string;
}

export class ApiError extends Error {
	constructor(
		readonly status: number,
		message: string
	) {
		super(message);
		this.name = 'ApiError';
	}
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function request(path: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
	const response = await fetch(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
	const body: unknown = await response.json().catch(() => null);
	if (!response.ok) {
		const reason = isRecord(body) && typeof body.error === 'string' ? body.error : response.statusText;
		throw new ApiError(response.status, reason);
	}
	if (!isRecord(body)) throw new ApiError(response.status, 'unexpected response');
	return body;
}

function parseLinks(value: unknown): MapLinks {
	if (!isRecord(value)) throw new ApiError(500, 'links missing');
	const links = { facilitator: value.facilitator, editor: value.editor, viewer: value.viewer };
	for (const link of Object.values(links)) {
		if (typeof link !== 'string') throw new ApiError(500, 'links missing');
	}
	return links as MapLinks;
}

/** A place found by GET /api/places (server/places/gazetteer.ts has the server's side). */
export interface PlaceResult {
	name: string;
	country: string;
	admin: string;
	lon: number;
	lat: number;
	population: number;
	zoom: number;
	bbox?: [number, number, number, number];
	source: 'gazetteer' | 'upstream';
}

function parsePlace(value: unknown): PlaceResult | null {
	if (!isRecord(value)) return null;
	const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
	const [lon, lat, zoom] = [num(value.lon), num(value.lat), num(value.zoom)];
	if (lon === null || lat === null || zoom === null || Math.abs(lon) > 180 || Math.abs(lat) > 90) return null;
	const name = text(value.name, 200);
	if (!name) return null;
	const bbox = Array.isArray(value.bbox) && value.bbox.length === 4 && value.bbox.every((n) => num(n) !== null) ? (value.bbox as PlaceResult['bbox']) : undefined;
	return {
		name,
		country: text(value.country, 2),
		admin: text(value.admin, 80),
		lon,
		lat,
		population: num(value.population) ?? 0,
		zoom: Math.max(0, Math.min(22, zoom)),
		...(bbox ? { bbox } : {}),
		source: value.source === 'upstream' ? 'upstream' : 'gazetteer'
	};
}

/** Places by name (2 to 80 characters), best first. */
export async function searchPlaces(query: string, signal?: AbortSignal): Promise<PlaceResult[]> {
	const body = await request(`/api/places?q=${encodeURIComponent(query)}`, { signal });
	return Array.isArray(body.places) ? body.places.map(parsePlace).filter((place): place is PlaceResult => place !== null) : [];
}

/** `code`: the server's creation code, when it creates maps only with one (MAP_CREATION=token). `view`: a picked place's. */
export async function createMap(input: { title: string; place: string; view?: { center: [number, number]; zoom: number } }, code: string | null = null): Promise<{ id: string; links: MapLinks }> {
	const body = await request('/api/maps', {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...(code ? bearer(code) : {}) },
		body: JSON.stringify(input)
	});
	if (!isMapId(body.id)) throw new ApiError(500, 'unexpected map id');
	return { id: body.id, links: parseLinks(body.links) };
}


export async function fetchAccess(mapId: string, key: string): Promise<{ role: Role; title: string }> {
	const body = await request(`/api/maps/${mapId}/access`, { headers: bearer(key) });
	if (!(ROLES as readonly unknown[]).includes(body.role)) throw new ApiError(500, 'unexpected role');
	return { role: body.role as Role, title: text(body.title, 200) };
}

/**
 * How the links reach phones: PUBLIC_ORIGIN; the address this page was opened at; this
 * machine's address on the local network (the page is on localhost); or localhost only,
 * which no phone can use.
 */
export type ReachSource = 'public' | 'request' | 'lan' | 'loopback';

export interface ShareInfo {
	links: MapLinks;
	/** A short address for people who cannot scan a QR code; null if the server has none. */
	join: { code: string; url: string } | null;
	reach: { origin: string; source: ReachSource };
}

const REACH_SOURCES: readonly string[] = ['public', 'request', 'lan', 'loopback'];

function parseShareInfo(body: Record<string, unknown>): ShareInfo {
	const join = body.join;
	const validJoin = isRecord(join) && typeof join.code === 'string' && typeof join.url === 'string';
	const reach = body.reach;
	const links = parseLinks(body.links);
	return {
		links,
		join: validJoin ? { code: join.code as string, url: join.url as string } : null,
		reach:
			isRecord(reach) && typeof reach.origin === 'string' && REACH_SOURCES.includes(reach.source as string)
				? { origin: reach.origin, source: reach.source as ReachSource }
				: { origin: new URL(links.editor).origin, source: 'request' }
	};
}

export async function fetchShareInfo(mapId: string, key: string): Promise<ShareInfo> {
	return parseShareInfo(await request(`/api/maps/${mapId}/links`, { headers: bearer(key) }));
}

/**
 * Replaces one role's key: the old link stops working at once. For the facilitator key
 * the answer holds the only copy of the new facilitator link.
 */
export async function rotateKey(mapId: string, key: string, role: Role): Promise<ShareInfo> {
	return parseShareInfo(
		await request(`/api/maps/${mapId}/rotate`, {
			method: 'POST',
			headers: { ...bearer(key), 'content-type': 'application/json' },
			body: JSON.stringify({ role })
		})
	);
}

export interface HistoryQuery {
	entry?: string;
	kind?: HistoryKind;
	before?: string;
	limit?: number;
}

/** One page of the map's history, newest first; `next` fetches the page after it. */
export async function fetchHistory(mapId: string, key: string, query: HistoryQuery = {}): Promise<HistoryPage> {
	const params = new URLSearchParams();
	for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
	const body = await request(`/api/maps/${mapId}/history?${params}`, { headers: bearer(key) });
	return parseHistoryPage(body);
}

export interface ClientConfig {
	/** Whether the server proxies a street basemap (BASEMAP_UPSTREAM); pages fall back to countries either way. */
	streets: boolean;
	mapCreation: 'open' | 'token';
}

export async function fetchClientConfig(): Promise<ClientConfig> {
	try {
		const body = await request('/api/config');
		return {
			streets: body.streets === true,
			mapCreation: body.mapCreation === 'token' ? 'token' : 'open'
		};
	} catch {
		return { streets: false, mapCreation: 'open' };
	}
}

/** The key from a share link's fragment (`#key=…`). */
export function keyFromHash(hash: string): string | null {
	const params = new URLSearchParams(hash.replace(/^#/, ''));
	const key = params.get('key');
	return key && /^[A-Za-z0-9_-]{16,128}$/.test(key) ? key : null;
}

export interface FrozenSnapshot {
	id: string;
	url: string;
	sha256: string;
	citation: { apa: string; plain: string };
	/** Returned once: whoever holds it may annotate the snapshot. */
	annotationKey: string;
}

export interface SnapshotSummary {
	id: string;
	url: string;
	takenAt: number;
	sha256: string;
}

/** Freezes the map as it is now (editor or facilitator key). */
export async function freezeSnapshot(mapId: string, key: string, takenBy: { name: string; affiliation: string } | null): Promise<FrozenSnapshot> {
	const body = await request(`/api/maps/${mapId}/snapshots`, {
		method: 'POST',
		headers: { ...bearer(key), 'content-type': 'application/json' },
		body: JSON.stringify(takenBy ? { takenBy } : {})
	});
	const citation = isRecord(body.citation) ? body.citation : {};
	const id = text(body.id, 64);
	if (!id || !/^[A-Za-z0-9_-]+$/.test(id)) throw new ApiError(500, 'snapshot id missing');
	return {
		id,
		url: text(body.url, 2000),
		sha256: text(body.sha256, 64),
		citation: { apa: text(citation.apa, 4000), plain: text(citation.plain, 4000) },
		annotationKey: text(body.annotationKey, 200)
	};
}

/** Files a snapshot's picture, once, with its annotation key (or the facilitator's key). */
export async function fileSnapshotPicture(snapshotId: string, key: string, png: Blob): Promise<{ pngSha256: string }> {
	const body = await request(`/api/snapshots/${encodeURIComponent(snapshotId)}/png`, {
		method: 'PUT',
		headers: { ...bearer(key), 'content-type': 'image/png' },
		body: png
	});
	return { pngSha256: text(body.pngSha256, 64) };
}

/** The map's snapshots, newest first (any role's key). */
export async function fetchSnapshots(mapId: string, key: string): Promise<SnapshotSummary[]> {
	const body = await request(`/api/maps/${mapId}/snapshots`, { headers: bearer(key) });
	const list = Array.isArray(body.snapshots) ? body.snapshots : [];
	return list.filter(isRecord).map((item) => ({
		id: text(item.id, 64),
		url: text(item.url, 2000),
		takenAt: typeof item.takenAt === 'number' ? item.takenAt : 0,
		sha256: text(item.sha256, 64)
	}));
}
