/**
 * Web Mercator tile arithmetic (the XYZ scheme every vector and raster basemap uses).
 * Small enough to own: a dependency for four formulas would be more to audit than this.
 */

/** West, south, east, north in degrees. */
export type Bbox = [number, number, number, number];

export interface TileId {
	z: number;
	x: number;
	y: number;
}

/** Web Mercator stops at ±85.0511°; beyond it there are no tiles. */
export const MAX_LATITUDE = 85.05112878;

export function lngToTileX(lng: number, z: number): number {
	const n = 2 ** z;
	return Math.min(n - 1, Math.max(0, Math.floor(((lng + 180) / 360) * n)));
}

export function latToTileY(lat: number, z: number): number {
	const n = 2 ** z;
	const clamped = Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, lat));
	const rad = (clamped * Math.PI) / 180;
	const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
	return Math.min(n - 1, Math.max(0, y));
}

/** The tile range covering a bbox at one zoom (inclusive). A bbox across the antimeridian is not split. */
export function tileRange(bbox: Bbox, z: number): { minX: number; maxX: number; minY: number; maxY: number } {
	const [west, south, east, north] = bbox;
	return {
		minX: lngToTileX(west, z),
		maxX: lngToTileX(east, z),
		// y grows southwards
		minY: latToTileY(north, z),
		maxY: latToTileY(south, z)
	};
}

export function tileCount(bbox: Bbox, z: number): number {
	const range = tileRange(bbox, z);
	return (range.maxX - range.minX + 1) * (range.maxY - range.minY + 1);
}

export function* tilesIn(bbox: Bbox, minZoom: number, maxZoom: number): Generator<TileId> {
	for (let z = minZoom; z <= maxZoom; z++) {
		const range = tileRange(bbox, z);
		for (let x = range.minX; x <= range.maxX; x++) for (let y = range.minY; y <= range.maxY; y++) yield { z, x, y };
	}
}

export function isTileId(z: number, x: number, y: number): boolean {
	return Number.isInteger(z) && z >= 0 && z <= 24 && Number.isInteger(x) && Number.isInteger(y) && x >= 0 && y >= 0 && x < 2 ** z && y < 2 ** z;
}

/** Parses "w,s,e,n" into a bbox within the world, or null. */
export function parseBbox(raw: unknown): Bbox | null {
	const parts = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',').map(Number) : null;
	if (!parts || parts.length !== 4 || !parts.every((part) => typeof part === 'number' && Number.isFinite(part))) return null;
	const [west, south, east, north] = parts as Bbox;
	if (west < -180 || east > 180 || south < -90 || north > 90 || west >= east || south >= north) return null;
	return [west, south, east, north];
}
