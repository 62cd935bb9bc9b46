import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import { areaSize, usesAcres } from '../../src/lib/area-size.ts';
import {
	areaSquareMetres,
	boundsOfGeometries,
	geometryAnchor,
	geometryBounds,
	lassoContains,
	selfCrossings,
	translateGeometry,
	wrapLongitude
} from '../../src/lib/doc/geometry.ts';
import type { AssetFields, Contributor, PolygonGeometry, Position } from '../../src/lib/doc/model.ts';
import { addAsset, updateAsset } from '../../src/lib/doc/mutations.ts';
import { readAsset } from '../../src/lib/doc/schema.ts';
import { assetAnchor } from '../../src/lib/doc/selectors.ts';
import { InvalidInputError } from '../../src/lib/doc/validate.ts';
import { en } from '../../src/lib/i18n/en.ts';
import { errorMessage } from '../../src/lib/i18n/errors.ts';
import { boundsOf } from '../../src/lib/present.ts';

const polygon = (ring: Position[]): PolygonGeometry => ({ type: 'Polygon', coordinates: [ring] });

/** A crescent (a "C" opening east): the average of its corners, and its box's centre, lie in the gap. */
const crescent = polygon([
	[0, 0], [10, 0], [10, 2], [2, 2], [2, 8], [10, 8], [10, 10], [0, 10], [0, 0]
]);
/** An L: the corner average falls outside the L near its inner corner. */
const ell = polygon([
	[0, 0], [10, 0], [10, 1], [1, 1], [1, 10], [0, 10], [0, 0]
]);
/** A bow tie: its edges cross at (1, 1). */
const bowTie = polygon([
	[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]
]);

describe('anchor of an asset', () => {
	it('lies inside a concave area, where the vertex average does not', () => {
		for (const area of [crescent, ell]) {
			const ring = area.coordinates[0].slice(0, -1);
			const average: Position = [ring.reduce((s, p) => s + p[0], 0) / ring.length, ring.reduce((s, p) => s + p[1], 0) / ring.length];
			expect(booleanPointInPolygon(average, area, { ignoreBoundary: true })).toBe(false);
			const anchor = geometryAnchor(area);
			expect(booleanPointInPolygon(anchor, area, { ignoreBoundary: true })).toBe(true);
		}
	});

	it('lies inside an area with a hole around its middle', () => {
		const donut: PolygonGeometry = {
			type: 'Polygon',
			coordinates: [
				[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
				[[2, 2], [8, 2], [8, 8], [2, 8], [2, 2]]
			]
		};
		expect(booleanPointInPolygon(geometryAnchor(donut), donut, { ignoreBoundary: true })).toBe(true);
	});

	it('is the middle of a plain square, the point itself, and a point on a line', () => {
		expect(geometryAnchor(polygon([[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]))).toEqual([1, 1]);
		expect(geometryAnchor({ type: 'Point', coordinates: [3, 4] })).toEqual([3, 4]);
		// A V-shaped line: the middle of its box is off the line; the anchor is a vertex of it.
		const line = { type: 'LineString' as const, coordinates: [[0, 0], [1, 2], [2, 0]] as Position[] };
		expect(line.coordinates).toContainEqual(geometryAnchor(line));
		expect(assetAnchor({ geometry: crescent })).toEqual(geometryAnchor(crescent));
	});
});

describe('moving a geometry', () => {
	it('shifts every vertex and keeps the shape', () => {
		expect(translateGeometry({ type: 'Point', coordinates: [1, 2] }, 0.5, -1)).toEqual({ type: 'Point', coordinates: [1.5, 1] });
		expect(translateGeometry(polygon([[0, 0], [1, 0], [1, 1], [0, 0]]), 1, 1)).toEqual(polygon([[1, 1], [2, 1], [2, 2], [1, 1]]));
	});

	it('wraps a point across the antimeridian', () => {
		expect(translateGeometry({ type: 'Point', coordinates: [179.5, 10] }, 1, 0)).toEqual({ type: 'Point', coordinates: [-179.5, 10] });
		expect(translateGeometry({ type: 'Point', coordinates: [-179.5, 10] }, -1, 0)).toEqual({ type: 'Point', coordinates: [179.5, 10] });
		expect(wrapLongitude(180)).toBe(180);
		expect(wrapLongitude(-180)).toBe(-180);
		expect(wrapLongitude(540)).toBe(180);
		expect(wrapLongitude(-181)).toBe(179);
	});

	it('wraps an area whole across the antimeridian, keeping its shape and staying in range', () => {
		const square = polygon([[178, 0], [179, 0], [179, 1], [178, 1], [178, 0]]);
		// Its anchor (178.5) moves to 181.5 = -178.5: the whole square goes to the other side.
		const moved = translateGeometry(square, 3, 0) as PolygonGeometry;
		expect(moved.coordinates[0].map(([lng, lat]) => [Math.round(lng * 1e9) / 1e9, lat])).toEqual([
			[-179, 0], [-178, 0], [-178, 1], [-179, 1], [-179, 0]
		]);
		// A move that would leave it straddling ±180 stops it at the line, on its anchor's side.
		const straddling = translateGeometry(square, 1.4, 0) as PolygonGeometry;
		const lngs = straddling.coordinates[0].map((p) => p[0]);
		expect(Math.max(...lngs)).toBe(180);
		expect(Math.max(...lngs) - Math.min(...lngs)).toBeCloseTo(1, 9);
		const straddlingWest = translateGeometry(square, 1.6, 0) as PolygonGeometry;
		expect(Math.min(...straddlingWest.coordinates[0].map((p) => p[0]))).toBe(-180);
	});

	it('stops a shape at a pole instead of squashing it', () => {
		const line = translateGeometry({ type: 'LineString', coordinates: [[0, 80], [1, 85]] }, 0, 10);
		expect(line).toEqual({ type: 'LineString', coordinates: [[0, 85], [1, 90]] });
		expect(translateGeometry({ type: 'Point', coordinates: [0, 89] }, 0, 5)).toEqual({ type: 'Point', coordinates: [0, 90] });
	});
});

describe('bounds', () => {
	it('box a geometry and a set of assets, areas whole', () => {
		expect(geometryBounds(crescent)).toEqual([[0, 0], [10, 10]]);
		expect(boundsOfGeometries([{ type: 'Point', coordinates: [-3, 4] }, ell])).toEqual([[-3, 0], [10, 10]]);
		expect(boundsOfGeometries([])).toBeNull();
		expect(boundsOf([{ geometry: { type: 'LineString', coordinates: [[1, 2], [-1, 5]] } }])).toEqual([[-1, 2], [1, 5]]);
	});

	it('go the short way across the antimeridian when the assets sit on both sides of it', () => {
		const fiji = [
			{ type: 'Point' as const, coordinates: [178.4, -18.1] as Position },
			{ type: 'Point' as const, coordinates: [-179.9, -16.5] as Position },
			polygon([[179, -17], [179.5, -17], [179.5, -16], [179, -17]])
		];
		const [[west, south], [east, north]] = boundsOfGeometries(fiji)!;
		expect([west, south, north]).toEqual([178.4, -18.1, -16]);
		expect(east).toBeCloseTo(180.1, 9);
		// Points spread over most of the world keep the usual box.
		expect(boundsOfGeometries([{ type: 'Point', coordinates: [-100, 0] }, { type: 'Point', coordinates: [100, 0] }, { type: 'Point', coordinates: [0, 0] }])).toEqual([[-100, 0], [100, 0]]);
	});
});

const ana: Contributor = { id: 'ana0000000000001', name: 'Ana', affiliation: 'community-member' };
const garden = (geometry: AssetFields['geometry']): AssetFields => ({
	name: 'Garden',
	category: 'places',
	description: '',
	holder: '',
	geometry,
	tags: []
});

describe('self-crossing areas', () => {
	it('are found where the edges cross', () => {
		expect(selfCrossings(bowTie)).toEqual([[1, 1]]);
		expect(selfCrossings(crescent)).toEqual([]);
		expect(selfCrossings(ell)).toEqual([]);
	});

	it('are refused when drawn, with a clear sentence, and the doc is left unchanged', () => {
		const doc = new Y.Doc();
		let error: unknown;
		try {
			addAsset(doc, garden(bowTie), ana);
		} catch (caught) {
			error = caught;
		}
		expect(error).toBeInstanceOf(InvalidInputError);
		expect((error as InvalidInputError).field).toBe('geometry');
		expect((error as InvalidInputError).reason).toBe('self-crossing');
		expect((error as Error).message).toMatch(/cross each other/);
		expect(errorMessage(error)).toBe(en['refusal.selfCrossing']);
		expect(doc.getMap('assets').size).toBe(0);
	});

	it('are refused when an area is reshaped into one, but a peer’s old one can still be renamed', () => {
		const doc = new Y.Doc();
		const id = addAsset(doc, garden(ell), ana);
		expect(() => updateAsset(doc, id, { geometry: bowTie }, ana)).toThrow(InvalidInputError);
		expect(readAsset(doc, id)?.geometry).toEqual(ell);
		// A peer wrote a bow tie directly (older version); renaming it leaves its shape alone.
		(doc.getMap('assets').get(id) as Y.Map<unknown>).set('geometry', bowTie);
		updateAsset(doc, id, { name: 'Renamed', geometry: bowTie }, ana);
		expect(readAsset(doc, id)?.name).toBe('Renamed');
	});
});

describe('area size', () => {
	// About 1 km × 1 km at the equator: ~123 hectares.
	const km = polygon([[0, 0], [0.009, 0], [0.009, 0.009], [0, 0.009], [0, 0]]);

	it('is measured on the globe', () => {
		expect(areaSquareMetres(km) / 10_000).toBeCloseTo(100, -1);
		expect(areaSquareMetres({ type: 'Point', coordinates: [0, 0] })).toBe(0);
	});

	it('reads in acres for en-US and hectares elsewhere', () => {
		expect(usesAcres('en-US')).toBe(true);
		expect(usesAcres('en-GB')).toBe(false);
		const hectares = areaSquareMetres(km) / 10_000;
		expect(areaSize(km, 'en-GB')).toBe(`${hectares.toFixed(1)} hectares`);
		expect(areaSize(km, 'en-US')).toBe(`${(areaSquareMetres(km) / 4046.8564224).toFixed(1)} acres`);
		expect(areaSize(km, 'de-DE')).toBe(`${hectares.toFixed(1).replace('.', ',')} hectares`);
		expect(areaSize({ type: 'Point', coordinates: [0, 0] }, 'en-US')).toBeNull();
	});

	it('keeps small areas readable and says "1 hectare"', () => {
		const small = polygon([[0, 0], [0.0002, 0], [0.0002, 0.0002], [0, 0.0002], [0, 0]]); // ~500 m²
		expect(areaSize(small, 'en-GB')).toMatch(/^0\.0\d+ hectares$/);
		const side = Math.sqrt(10_000 / areaSquareMetres(polygon([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]])));
		const hectare = polygon([[0, 0], [side, 0], [side, side], [0, side], [0, 0]]);
		expect(areaSize(hectare, 'en-GB')).toBe('1 hectare');
	});
});

describe('lasso', () => {
	const lasso: Position[] = [[0, 0], [10, 0], [10, 10], [0, 10]];

	it('takes in points inside and areas or lines it touches', () => {
		expect(lassoContains(lasso, { type: 'Point', coordinates: [5, 5] })).toBe(true);
		expect(lassoContains(lasso, { type: 'Point', coordinates: [11, 5] })).toBe(false);
		expect(lassoContains(lasso, polygon([[9, 9], [12, 9], [12, 12], [9, 9]]))).toBe(true);
		expect(lassoContains(lasso, polygon([[11, 11], [12, 11], [12, 12], [11, 11]]))).toBe(false);
		expect(lassoContains(lasso, { type: 'LineString', coordinates: [[-5, 5], [15, 5]] })).toBe(true);
		// An area that encloses the whole lasso is touched by it.
		expect(lassoContains(lasso, polygon([[-1, -1], [11, -1], [11, 11], [-1, 11], [-1, -1]]))).toBe(true);
	});

	it('takes in nothing with fewer than three corners', () => {
		expect(lassoContains([[0, 0], [1, 1], [0, 0]], { type: 'Point', coordinates: [0, 0] })).toBe(false);
	});

	it('takes in assets on both sides of ±180° when the loop is drawn across it', () => {
		// The map gives an unwrapped loop: from Fiji (178°E) east to 178°W is 182.
		const acrossEast: Position[] = [[177, -19], [183, -19], [183, -15], [177, -15]];
		expect(lassoContains(acrossEast, { type: 'Point', coordinates: [-179, -17] })).toBe(true);
		expect(lassoContains(acrossEast, { type: 'Point', coordinates: [178.5, -17] })).toBe(true);
		expect(lassoContains(acrossEast, { type: 'Point', coordinates: [-170, -17] })).toBe(false);
		const acrossWest: Position[] = [[-183, -19], [-177, -19], [-177, -15], [-183, -15]];
		expect(lassoContains(acrossWest, { type: 'Point', coordinates: [179, -17] })).toBe(true);
		expect(lassoContains(acrossWest, { type: 'LineString', coordinates: [[179.5, -16], [179.9, -16.5]] })).toBe(true);
		expect(lassoContains(acrossWest, { type: 'Point', coordinates: [170, -17] })).toBe(false);
	});
});
