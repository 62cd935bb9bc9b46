/**
 * The offline basemap: Natural Earth 1:50m land and country borders (world-atlas package),
 * converted from TopoJSON to GeoJSON once at build time and served from our own origin,
 * so the map shows land, water and borders with no internet at all. The routes end in
 * .json so adapter-node precompresses them (1 MB of land is ~340 kB gzipped).
 */
import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import countries from 'world-atlas/countries-50m.json' with { type: 'json' };
import land from 'world-atlas/land-50m.json' with { type: 'json' };

type Position = number[];

/** ~100 m precision is finer than 1:50m data and cuts the files by a third. */
function compact(value: unknown): string {
	return JSON.stringify(value, (_key, v) => (typeof v === 'number' ? Math.round(v * 1e3) / 1e3 : v));
}

/** An edge longer than half the world is the data stepping across ±180°, not a real edge. */
const crossesAntimeridian = (a: Position, b: Position) => Math.abs(b[0] - a[0]) > 180;

/**
 * world-atlas keeps spherical rings: Chukotka, Wrangel Island and Fiji step from -180° to
 * +180° and back. Drawn on a flat map those steps become bands of land across the whole
 * world. A ring that steps across and back is made continuous (some longitudes beyond
 * ±180°, which MapLibre wraps); Antarctica steps across once, and that edge is its
 * southern border, so it stays as it is.
 */
export function unwrapRing(ring: Position[]): Position[] {
	let offset = 0;
	const out: Position[] = [];
	for (let i = 0; i < ring.length; i++) {
		if (i > 0 && crossesAntimeridian(ring[i - 1], ring[i])) offset += ring[i - 1][0] > ring[i][0] ? 360 : -360;
		out.push([ring[i][0] + offset, ring[i][1]]);
	}
	if (offset !== 0) return ring;
	// Keep most of the ring in the primary world.
	const mean = out.reduce((sum, [lon]) => sum + lon, 0) / out.length;
	const shift = mean > 180 ? -360 : mean < -180 ? 360 : 0;
	return shift === 0 ? out : out.map(([lon, lat]) => [lon + shift, lat]);
}

/** Border lines are simply cut where they step across ±180°. */
export function splitLine(line: Position[]): Position[][] {
	const parts: Position[][] = [[]];
	for (let i = 0; i < line.length; i++) {
		if (i > 0 && crossesAntimeridian(line[i - 1], line[i])) parts.push([]);
		parts.at(-1)!.push(line[i]);
	}
	return parts.filter((part) => part.length > 1);
}

export function landGeoJson(): string {
	const topology = land as unknown as Topology<{ land: GeometryCollection }>;
	const collection = feature(topology, topology.objects.land);
	for (const item of collection.features) {
		const geometry = item.geometry;
		if (geometry.type === 'Polygon') geometry.coordinates = geometry.coordinates.map(unwrapRing);
		if (geometry.type === 'MultiPolygon') geometry.coordinates = geometry.coordinates.map((polygon) => polygon.map(unwrapRing));
	}
	return compact(collection);
}

export function bordersGeoJson(): string {
	const topology = countries as unknown as Topology<{ countries: GeometryCollection }>;
	// Interior borders only: coastlines come from the land layer.
	const borders = mesh(topology, topology.objects.countries, (a, b) => a !== b);
	return compact({ ...borders, coordinates: borders.coordinates.flatMap(splitLine) });
}
