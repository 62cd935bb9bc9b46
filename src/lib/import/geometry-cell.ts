/**
 * Geometry written in one CSV cell, as GIS tools write it: GeoJSON (`{"type":"Point",…}`)
 * or WKT (`POINT (30 10)`, `LINESTRING (…)`, `POLYGON ((…), (…))`, with an optional
 * `SRID=4326;` prefix and Z or M values, which are dropped). Our own CSV export writes only
 * the shape's kind there (`Point`, `LineString`, `Polygon`) beside its middle's lon and lat.
 */

export type CellGeometry =
	/** A geometry as written, for the preview to judge like any other. */
	| { kind: 'geometry'; geometry: unknown }
	/** Only the kind of shape: the lon and lat columns say where. */
	| { kind: 'type-only'; type: 'Point' | 'LineString' | 'Polygon' }
	| { kind: 'unreadable' };

const TYPE_ONLY: Record<string, 'Point' | 'LineString' | 'Polygon'> = { point: 'Point', linestring: 'LineString', polygon: 'Polygon' };

/** `30 10, 40 40` → [[30, 10], [40, 40]]; null when a pair is not two numbers. */
function positions(text: string): number[][] | null {
	const out: number[][] = [];
	for (const pair of text.split(',')) {
		const numbers = pair.trim().split(/\s+/).map(Number);
		if (numbers.length < 2 || numbers.length > 4 || numbers.some((n) => !Number.isFinite(n))) return null;
		out.push([numbers[0], numbers[1]]);
	}
	return out;
}

/** The WKT shapes the map holds: POINT, LINESTRING and POLYGON; null for anything else. */
export function parseWkt(text: string): unknown | null {
	const match = /^\s*(?:SRID=\d+\s*;\s*)?(POINT|LINESTRING|POLYGON)\s*(?:ZM|Z|M)?\s*\((.*)\)\s*$/is.exec(text);
	if (!match) return null;
	const type = match[1].toUpperCase();
	const body = match[2].trim();
	if (type === 'POINT') {
		const list = positions(body);
		return list && list.length === 1 ? { type: 'Point', coordinates: list[0] } : null;
	}
	if (type === 'LINESTRING') {
		const list = positions(body);
		return list ? { type: 'LineString', coordinates: list } : null;
	}
	const rings: number[][][] = [];
	const ringPattern = /\(([^()]*)\)/g;
	let rest = body;
	for (const ring of body.matchAll(ringPattern)) {
		const list = positions(ring[1]);
		if (!list) return null;
		rings.push(list);
		rest = rest.replace(ring[0], '');
	}
	// Only the rings and the commas between them.
	if (rings.length === 0 || rest.replace(/[\s,]/g, '') !== '') return null;
	return { type: 'Polygon', coordinates: rings };
}

export function parseGeometryCell(text: string): CellGeometry {
	const trimmed = text.trim();
	const typeOnly = TYPE_ONLY[trimmed.toLowerCase()];
	if (typeOnly) return { kind: 'type-only', type: typeOnly };
	if (trimmed.startsWith('{')) {
		try {
			return { kind: 'geometry', geometry: JSON.parse(trimmed) };
		} catch {
			return { kind: 'unreadable' };
		}
	}
	const wkt = parseWkt(trimmed);
	return wkt ? { kind: 'geometry', geometry: wkt } : { kind: 'unreadable' };
}
