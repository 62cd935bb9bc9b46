import { describe, expect, it } from 'vitest';
import { linkIndex } from '../../src/lib/doc/coverage.ts';
import {
	emptyFilter,
	filteredAssets,
	filterFromParams,
	filterToParams,
	isFilterEmpty,
	lassoSelection,
	type AtlasFilter
} from '../../src/lib/doc/filters.ts';
import type { Position } from '../../src/lib/doc/model.ts';
import { asset, goal, supports } from '../helpers/links.ts';

const assets = [
	asset('garden', { category: 'places', tags: ['Food', 'green'] }, 'community-member'),
	asset('pantry', { category: 'organizations', tags: ['food'] }, 'community-organization'),
	asset('lab', { category: 'knowledge', tags: ['science'] }, 'faculty'),
	asset('club', { category: 'places', tags: ['café'] }, 'student'),
	asset('mural', { category: 'culture' }, null)
];
const goals = [goal('food'), goal('youth')];
const index = linkIndex(assets, goals, [supports('garden', 'food'), supports('pantry', 'food'), supports('club', 'youth'), supports('lab', 'youth')], 'viewer');

const ids = (filter: Partial<AtlasFilter>) => filteredAssets(assets, { ...emptyFilter(), ...filter }, index).map((a) => a.id);

describe('combined filter', () => {
	it('passes everything when empty', () => {
		expect(isFilterEmpty(emptyFilter())).toBe(true);
		expect(ids({})).toEqual(['garden', 'pantry', 'lab', 'club', 'mural']);
	});

	it('filters by category, goal, affiliation, group and tag', () => {
		expect(ids({ categories: new Set(['places']) })).toEqual(['garden', 'club']);
		expect(ids({ goals: new Set(['food']) })).toEqual(['garden', 'pantry']);
		expect(ids({ affiliations: new Set(['faculty']) })).toEqual(['lab']);
		expect(ids({ affiliations: new Set(['community']) })).toEqual(['garden', 'pantry']);
		expect(ids({ affiliations: new Set(['campus']) })).toEqual(['lab', 'club']);
		expect(ids({ tags: new Set(['food']) })).toEqual(['garden', 'pantry']);
		expect(ids({ tags: new Set(['CAFE']) })).toEqual(['club']);
	});

	it('widens within a kind and narrows across kinds', () => {
		expect(ids({ categories: new Set(['places', 'knowledge']) })).toEqual(['garden', 'lab', 'club']);
		expect(ids({ affiliations: new Set(['community', 'student']) })).toEqual(['garden', 'pantry', 'club']);
		expect(ids({ categories: new Set(['places']), goals: new Set(['youth']) })).toEqual(['club']);
		expect(ids({ goals: new Set(['food']), tags: new Set(['green']), affiliations: new Set(['community']) })).toEqual(['garden']);
		expect(ids({ goals: new Set(['food']), affiliations: new Set(['campus']) })).toEqual([]);
		expect(ids({ query: 'pantry', goals: new Set(['food']) })).toEqual(['pantry']);
	});
});

describe('filter in the address', () => {
	it('round-trips through the query string, keeping other parameters', () => {
		const filter: AtlasFilter = {
			query: 'community garden',
			categories: new Set(['places', 'culture']),
			goals: new Set(['food', 'youth']),
			affiliations: new Set(['community', 'faculty']),
			tags: new Set(['green', 'café'])
		};
		const params = filterToParams(filter, new URLSearchParams('key=keep&tag=old'));
		expect(params.toString()).toBe(
			'key=keep&goal=food&goal=youth&category=culture&category=places&tag=caf%C3%A9&tag=green&affiliation=community&affiliation=faculty&q=community+garden'
		);
		expect(filterFromParams(new URLSearchParams(params.toString()))).toEqual(filter);
		expect(filterToParams(emptyFilter()).toString()).toBe('');
		expect(filterFromParams(new URLSearchParams(''))).toEqual(emptyFilter());
	});

	it('reads comma-separated values and drops what it does not know', () => {
		const filter = filterFromParams(new URLSearchParams('?category=places,hobbies&goal=food,bad id!&affiliation=campus,alien&tag=food,,green'));
		expect(filter.categories).toEqual(new Set(['places']));
		expect(filter.goals).toEqual(new Set(['food']));
		expect(filter.affiliations).toEqual(new Set(['campus']));
		expect(filter.tags).toEqual(new Set(['food', 'green']));
	});
});

describe('lasso selection', () => {
	const placed = [
		asset('inside', { geometry: { type: 'Point', coordinates: [1, 1] } }),
		asset('outside', { geometry: { type: 'Point', coordinates: [5, 5] } }),
		asset('area-overlapping', { geometry: { type: 'Polygon', coordinates: [[[2.5, 2.5], [4, 2.5], [4, 4], [2.5, 2.5]]] } }),
		asset('area-away', { geometry: { type: 'Polygon', coordinates: [[[6, 6], [7, 6], [7, 7], [6, 6]]] } }),
		asset('line-through', { geometry: { type: 'LineString', coordinates: [[-1, 2], [4, 2]] } })
	];

	it('takes the points inside and the areas and lines it touches', () => {
		const lasso: Position[] = [[0, 0], [3, 0], [3, 3], [0, 3], [0, 0]];
		expect(lassoSelection(placed, lasso)).toEqual(['inside', 'area-overlapping', 'line-through']);
	});

	it('takes what a concave lasso encircles, not what lies in its gap', () => {
		// A "U" whose gap holds the point (1.5, 2).
		const u: Position[] = [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]];
		const points = [
			asset('in-arm', { geometry: { type: 'Point', coordinates: [0.5, 2] } }),
			asset('in-gap', { geometry: { type: 'Point', coordinates: [1.5, 2] } })
		];
		expect(lassoSelection(points, u)).toEqual(['in-arm']);
	});
});
