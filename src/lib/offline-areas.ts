/**
 * The facilitator's offline areas (server/basemap/packs.ts) as the page sees them:
 * estimate, create, follow, resume, remove. Parsed into typed values here, once.
 */
import { ApiError } from './api.ts';
import { isRecord } from './doc/validate.ts';

export type Bbox = [number, number, number, number];
export type PackState = 'queued' | 'downloading' | 'ready' | 'failed';

export interface OfflineArea {
	id: string;
	name: string;
	bbox: Bbox;
	maxZoom: number;
	createdAt: number;
	state: PackState;
	done: number;
	total: number;
	bytes: number;
	error: string | null;
}

export interface PackEstimate {
	tiles: number;
	bytes: number;
	maxZoom: number;
	withinLimits: boolean;
	limits: { maxTiles: number; maxBytes: number };
}

const STATES: readonly PackState[] = ['queued', 'downloading', 'ready', 'failed'];
const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

function parseArea(value: unknown): OfflineArea | null {
	if (!isRecord(value) || typeof value.id !== 'string' || !Array.isArray(value.bbox) || value.bbox.length !== 4) return null;
	const state = STATES.includes(value.state as PackState) ? (value.state as PackState) : 'failed';
	return {
		id: value.id,
		name: typeof value.name === 'string' ? value.name : '',
		bbox: value.bbox.map(num) as Bbox,
		maxZoom: num(value.maxZoom),
		createdAt: num(value.createdAt),
		state,
		done: num(value.done),
		total: num(value.total),
		bytes: num(value.bytes),
		error: typeof value.error === 'string' ? value.error : null
	};
}

function parseEstimate(value: unknown): PackEstimate {
	if (!isRecord(value)) throw new ApiError(500, 'unexpected response');
	const limits = isRecord(value.limits) ? value.limits : {};
	return {
		tiles: num(value.tiles),
		bytes: num(value.bytes),
		maxZoom: num(value.maxZoom),
		withinLimits: value.withinLimits === true,
		limits: { maxTiles: num(limits.maxTiles), maxBytes: num(limits.maxBytes) }
	};
}

async function call(mapId: string, key: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<unknown> {
	const response = await fetch(`/api/maps/${mapId}/packs${path}`, {
		method: init.method ?? 'GET',
		headers: { accept: 'application/json', authorization: `Bearer ${key}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
		body: init.body !== undefined ? JSON.stringify(init.body) : undefined
	});
	if (response.status === 204) return null;
	const body: unknown = await response.json().catch(() => null);
	if (!response.ok) throw new ApiError(response.status, isRecord(body) && typeof body.error === 'string' ? body.error : response.statusText);
	return body;
}

export async function listOfflineAreas(mapId: string, key: string): Promise<OfflineArea[]> {
	const body = await call(mapId, key, '');
	const packs = isRecord(body) && Array.isArray(body.packs) ? body.packs : [];
	return packs.map(parseArea).filter((area): area is OfflineArea => area !== null);
}

export async function estimateOfflineArea(mapId: string, key: string, bbox: Bbox, maxZoom: number): Promise<PackEstimate> {
	return parseEstimate(await call(mapId, key, '/estimate', { method: 'POST', body: { bbox, maxZoom } }));
}

export async function createOfflineArea(mapId: string, key: string, input: { bbox: Bbox; maxZoom: number; name: string }): Promise<void> {
	await call(mapId, key, '', { method: 'POST', body: input });
}

export async function resumeOfflineArea(mapId: string, key: string, id: string): Promise<void> {
	await call(mapId, key, `/${id}/resume`, { method: 'POST' });
}

export async function removeOfflineArea(mapId: string, key: string, id: string): Promise<void> {
	await call(mapId, key, `/${id}`, { method: 'DELETE' });
}

/** "38 MB", "740 KB": sizes as people read them. */
export function formatBytes(bytes: number, locale?: string): string {
	const format = (value: number, unit: string) => `${new Intl.NumberFormat(locale, { maximumFractionDigits: value < 10 ? 1 : 0 }).format(value)} ${unit}`;
	if (bytes >= 1e9) return format(bytes / 1e9, 'GB');
	if (bytes >= 1e6) return format(bytes / 1e6, 'MB');
	return format(Math.max(1, bytes / 1e3), 'KB');
}
