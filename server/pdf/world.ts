/**
 * The offline basemap's land and country borders (Natural Earth 1:50m, the same data and
 * the same antimeridian handling as the app's countries map: src/lib/server/basemap-data.ts),
 * parsed once per process, each polygon and border line with its box so a report draws
 * only those that meet its frame.
 */
import { bordersGeoJson, landGeoJson } from '../../src/lib/server/basemap-data.ts';

type Ring = number[][];

/** [west, south, east, north] in degrees. */
export type Box = [number, number, number, number];

export interface LandPolygon {
	rings: Ring[];
	box: Box;
}

export interface BorderLine {
	line: Ring;
	box: Box;
}

export interface World {
	land: LandPolygon[];
	borders: BorderLine[];
}

function boxOf(points: Ring): Box {
	let west = Infinity;
	let south = Infinity;
	let east = -Infinity;
	let north = -Infinity;
	for (const [lon, lat] of points) {
		if (lon < west) west = lon;
		if (lon > east) east = lon;
		if (lat < south) south = lat;
		if (lat > north) north = lat;
	}
	return [west, south, east, north];
}

let world: World | null = null;

export function naturalEarth(): World {
	if (world) return world;
	const land: LandPolygon[] = [];
	const collection = JSON.parse(landGeoJson()) as { features: Array<{ geometry: { type: string; coordinates: unknown } }> };
	for (const { geometry } of collection.features) {
		const polygons = geometry.type === 'Polygon' ? [geometry.coordinates as Ring[]] : geometry.type === 'MultiPolygon' ? (geometry.coordinates as Ring[][]) : [];
		for (const rings of polygons) if (rings.length > 0 && rings[0].length > 2) land.push({ rings, box: boxOf(rings[0]) });
	}
	const mesh = JSON.parse(bordersGeoJson()) as { coordinates: Ring[] };
	const borders = mesh.coordinates.filter((line) => line.length > 1).map((line) => ({ line, box: boxOf(line) }));
	world = { land, borders };
	return world;
}

/** The copies of a box (shifted by -360°, 0 or +360°) that meet `frame`: the offsets to draw it at. */
export function offsetsMeeting(box: Box, frame: Box): number[] {
	const offsets: number[] = [];
	for (const offset of [0, -360, 360]) {
		if (box[0] + offset <= frame[2] && box[2] + offset >= frame[0] && box[1] <= frame[3] && box[3] >= frame[1]) offsets.push(offset);
	}
	return offsets;
}
