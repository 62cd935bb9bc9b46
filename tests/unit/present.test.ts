/**
 * The pure parts of the present view and the map layers: the feed's words, counts that
 * never include hidden assets, where an area's name goes, the category filter as a MapLibre
 * expression, which feature a tap picks, how names wrap, and which presence steers the screen.
 */
import { describe, expect, it } from 'vitest';
// MapLibre's own filter evaluator (a dependency of maplibre-gl), so the test runs the expression as the map would.
import { featureFilter } from '@maplibre/maplibre-gl-style-spec';
import { areaLabelAnchor, contributionFeed, legendCounts } from '../../src/lib/doc/selectors.ts';
import type { Asset } from '../../src/lib/doc/model.ts';
import { boundsOf, contributionLine, peopleHere } from '../../src/lib/present.ts';
import { categoryFilter, pickTap, withCategoryFilter } from '../../src/lib/map/layer-logic.ts';
import { labelLines } from '../../src/lib/map/label-lines.ts';
import { parsePeer, presentedView } from '../../src/lib/sync/presence.ts';

function asset(fields: Partial<Asset>): Asset {
	return {
		id: 'id',
		name: '',
		category: 'places',
		description: '',
		holder: '',
		geometry: { type: 'Point', coordinates: [0, 0] },
		tags: [],
		createdBy: null,
		createdAt: 0,
		updatedBy: null,
		updatedAt: 0,
		hidden: false,
		deletedAt: null,
		...fields
	};
}

const maria = { id: 'u1', name: 'Maria', affiliation: 'community-organization' as const };
const library = asset({ id: 'lib', name: 'Eastside Tool Library', category: 'organizations', createdBy: maria, createdAt: 30 });
const garden = asset({ id: 'gar', name: 'Corner garden', category: 'places', createdAt: 10 });
const secret = asset({ id: 'sec', name: 'Hidden spot', category: 'places', hidden: true, createdAt: 40 });
const gone = asset({ id: 'del', name: 'Deleted mural', category: 'culture', deletedAt: 50, createdAt: 20 });

describe('present view: feed and counts', () => {
	it('lists the latest contributions newest first, never hidden or deleted ones', () => {
		const feed = contributionFeed([garden, secret, library, gone]);
		expect(feed.map((item) => item.id)).toEqual(['lib', 'gar']);
		expect(contributionFeed([garden, library], 1).map((item) => item.id)).toEqual(['lib']);
	});

	it('says who added what, in which category', () => {
		const [first, second] = contributionFeed([garden, library]);
		expect(contributionLine(first).text).toBe('Maria · community organization · added Eastside Tool Library · Organizations');
		// Unknown contributor and empty name still read as a sentence.
		expect(contributionLine({ ...second, name: '  ' }).text).toBe('Someone · other · added Untitled asset · Places');
	});

	it('counts every category, hidden and deleted assets never', () => {
		const counts = legendCounts([garden, secret, library, gone]);
		expect(counts.get('places')).toBe(1);
		expect(counts.get('organizations')).toBe(1);
		expect(counts.get('culture')).toBe(0);
		expect(counts.get('economy')).toBe(0);
	});

	it('says how many people are here', () => {
		expect(peopleHere(0)).toBe('Waiting for people to join');
		expect(peopleHere(1)).toBe('1 person here');
		expect(peopleHere(12)).toBe('12 people here');
	});
});

describe('area label anchors', () => {
	it('puts the name inside an L-shaped area, where the average of the corners is outside', () => {
		// An L: the corner average (about 0.33, 0.33 weighted) falls in the notch.
		const ring: Array<[number, number]> = [
			[0, 0],
			[10, 0],
			[10, 1],
			[1, 1],
			[1, 10],
			[0, 10],
			[0, 0]
		];
		const anchor = areaLabelAnchor({ type: 'Polygon', coordinates: [ring] })!;
		const inside = (anchor[0] >= 0 && anchor[0] <= 10 && anchor[1] >= 0 && anchor[1] <= 1) || (anchor[0] >= 0 && anchor[0] <= 1 && anchor[1] >= 0 && anchor[1] <= 10);
		expect(inside).toBe(true);
	});

	it('is the middle of a square, and none for points or broken rings', () => {
		const square: Array<[number, number]> = [
			[-87.63, 41.88],
			[-87.62, 41.88],
			[-87.62, 41.89],
			[-87.63, 41.89],
			[-87.63, 41.88]
		];
		const [lng, lat] = areaLabelAnchor({ type: 'Polygon', coordinates: [square] })!;
		expect(lng).toBeCloseTo(-87.625, 3);
		expect(lat).toBeCloseTo(41.885, 3);
		expect(areaLabelAnchor({ type: 'Point', coordinates: [1, 2] })).toBeNull();
		expect(areaLabelAnchor({ type: 'Polygon', coordinates: [[[0, 0], [1, 1], [0, 0]]] })).toBeNull();
	});
});

describe('map layers: category filter and taps', () => {
	const feature = (category: string, extra: Record<string, unknown> = {}) => ({
		type: 1 as const,
		properties: { category, name: 'x', ...extra },
		geometry: [[{ x: 0, y: 0 }]] as never
	});
	const passes = (filter: ReturnType<typeof withCategoryFilter>, f: ReturnType<typeof feature>) =>
		featureFilter(filter ?? undefined, 'layers[0].filter').filter({ zoom: 14 } as never, f as never);

	it('is no filter for no choice, and keeps only the chosen categories otherwise', () => {
		expect(categoryFilter([])).toBeNull();
		expect(categoryFilter(['places', 'culture', 'places'])).toEqual(['in', ['get', 'category'], ['literal', ['culture', 'places']]]);
		const filter = withCategoryFilter(['!', ['has', 'point_count']], ['culture']);
		expect(passes(filter, feature('culture'))).toBe(true);
		expect(passes(filter, feature('places'))).toBe(false);
		// The layer's own filter still applies (clusters stay out of the point layer).
		expect(passes(filter, feature('culture', { point_count: 3 }))).toBe(false);
		expect(withCategoryFilter(null, [])).toBeNull();
	});

	it('gives a tap to the nearest point, even over an area under the finger', () => {
		expect(
			pickTap([
				{ item: 'area', kind: 'shape', distance: 0 },
				{ item: 'far point', kind: 'point', distance: 18 },
				{ item: 'near point', kind: 'point', distance: 6 }
			])
		).toBe('near point');
		expect(pickTap([{ item: 'area', kind: 'shape', distance: 0 }])).toBe('area');
		expect(pickTap([])).toBeNull();
	});
});

describe('label lines', () => {
	// A fixed-width "font": 10 px per character.
	const measure = (text: string) => [...text].length * 10;

	it('wraps long names at words instead of cutting them at 20 characters', () => {
		const name = 'Eastside Community Tool Library and Repair Café';
		expect(name.length).toBeGreaterThan(20);
		const lines = labelLines(name, 240, measure);
		expect(lines.join(' ')).toBe(name);
		expect(lines.every((line) => measure(line) <= 240)).toBe(true);
		expect(labelLines('Short name', 240, measure)).toEqual(['Short name']);
	});

	it('breaks a single very long word, and cuts only past three lines', () => {
		expect(labelLines('Donaudampfschifffahrtsgesellschaft', 100, measure).every((line) => measure(line) <= 100)).toBe(true);
		const lines = labelLines('one two three four five six seven eight nine ten eleven twelve', 100, measure);
		expect(lines).toHaveLength(3);
		expect(lines[2].endsWith('…')).toBe(true);
		expect(measure(lines[2])).toBeLessThanOrEqual(100);
	});
});

describe('present my view', () => {
	const state = (role: string, present: unknown) => ({ user: { name: 'F', role }, present });
	const view = { center: [2.35, 48.85], zoom: 15, bearing: 0, pitch: 0 };

	it('follows only a facilitator’s valid view', () => {
		const peers = [
			parsePeer(9, state('editor', view), false)!,
			parsePeer(5, state('facilitator', { center: [999, 0], zoom: 3 }), false)!,
			parsePeer(7, state('facilitator', view), false)!
		];
		expect(presentedView(peers)).toEqual(view);
		expect(presentedView(peers.slice(0, 2))).toBeNull();
	});
});

describe('fitting the present view', () => {
	it('bounds take areas whole, not their centres', () => {
		const point = { geometry: { type: 'Point' as const, coordinates: [1, 1] as [number, number] } };
		const area = {
			geometry: {
				type: 'Polygon' as const,
				coordinates: [[[2, 0], [4, 0], [4, 3], [2, 3], [2, 0]] as Array<[number, number]>]
			}
		};
		expect(boundsOf([point, area])).toEqual([[1, 0], [4, 3]]);
		expect(boundsOf([])).toBeNull();
	});
});
