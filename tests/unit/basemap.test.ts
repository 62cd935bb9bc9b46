import { describe, expect, it } from 'vitest';
import { bordersGeoJson, landGeoJson, splitLine, unwrapRing } from '../../src/lib/server/basemap-data.ts';

type Ring = number[][];
const steps = (ring: Ring) => ring.slice(1).filter((point, i) => Math.abs(point[0] - ring[i][0]) > 180).length;

describe('offline basemap', () => {
	it('makes a ring that steps across ±180° and back continuous', () => {
		const island: Ring = [[179, 70], [-179, 70], [-179, 71], [179, 71], [179, 70]];
		const unwrapped = unwrapRing(island);
		expect(steps(unwrapped)).toBe(0);
		expect(unwrapped.map(([lon]) => lon)).toEqual([179, 181, 181, 179, 179]);
	});

	it('leaves a ring that crosses once (Antarctica: the step is its southern edge) as it is', () => {
		const cap: Ring = [[-180, -80], [0, -70], [179, -80], [-180, -80]];
		expect(unwrapRing(cap)).toEqual(cap);
	});

	it('cuts border lines where they step across ±180°', () => {
		expect(splitLine([[170, 60], [179.9, 61], [-179.9, 61], [-170, 62]])).toEqual([
			[[170, 60], [179.9, 61]],
			[[-179.9, 61], [-170, 62]]
		]);
	});

	it('draws no land band across the map: only the rings of Antarctica keep a step', () => {
		const land = JSON.parse(landGeoJson());
		const rings: Ring[] = land.features.flatMap((f: { geometry: { coordinates: Ring[][] } }) => f.geometry.coordinates.flat());
		const stepping = rings.filter((ring) => steps(ring) > 0);
		expect(stepping.length).toBeGreaterThan(0);
		for (const ring of stepping) expect(Math.max(...ring.map(([, lat]) => lat))).toBeLessThan(-60);
	});

	it('no border line steps across the map', () => {
		const borders = JSON.parse(bordersGeoJson());
		expect(borders.coordinates.filter((line: Ring) => steps(line) > 0)).toEqual([]);
	});
});
