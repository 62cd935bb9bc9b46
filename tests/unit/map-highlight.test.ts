import { describe, expect, it } from 'vitest';
import { featureFilter, type FilterSpecification } from '@maplibre/maplibre-gl-style-spec';
import { allFilters, highlightExpressions, highlightValue, shownChanges } from '../../src/lib/map/layer-logic.ts';

const feature = (id: string) => ({ type: 1 as const, properties: { id, name: id }, geometry: [[{ x: 0, y: 0 }]] as never });
const passes = (filter: FilterSpecification, id: string, highlight: ReadonlySet<string> | null) =>
	featureFilter(filter, 'layers[0].filter', { assetHighlight: highlightValue(highlight) }).filter({ zoom: 14 } as never, feature(id) as never);

describe('map highlight', () => {
	const { emphasised, dimmed, labelled } = highlightExpressions('assetHighlight');

	it('changes nothing without a highlight', () => {
		expect(passes(emphasised, 'a', null)).toBe(false);
		expect(passes(dimmed, 'a', null)).toBe(false);
		expect(passes(labelled, 'a', null)).toBe(true);
	});

	it('emphasises the highlighted assets and dims, and leaves unnamed, every other one', () => {
		const goal = new Set(['a', 'b']);
		expect(passes(emphasised, 'a', goal)).toBe(true);
		expect(passes(dimmed, 'a', goal)).toBe(false);
		expect(passes(labelled, 'a', goal)).toBe(true);
		expect(passes(emphasised, 'c', goal)).toBe(false);
		expect(passes(dimmed, 'c', goal)).toBe(true);
		expect(passes(labelled, 'c', goal)).toBe(false);
	});

	it('dims everything for a goal no asset supports yet', () => {
		expect(passes(dimmed, 'a', new Set())).toBe(true);
		expect(passes(labelled, 'a', new Set())).toBe(false);
	});

	it('combines with a layer’s own filter', () => {
		expect(allFilters(null, null)).toBeNull();
		expect(allFilters(['has', 'x'], null)).toEqual(['has', 'x']);
		expect(allFilters(['has', 'x'], emphasised)).toEqual(['all', ['has', 'x'], emphasised]);
	});
});

describe('shown assets', () => {
	const all = () => ['a', 'b', 'c', 'd'];
	it('lists only the assets that change sides', () => {
		expect(shownChanges(null, null, all)).toEqual([]);
		expect(shownChanges(null, new Set(['a', 'b']), all)).toEqual(['c', 'd']);
		expect(shownChanges(new Set(['a', 'b']), null, all)).toEqual(['c', 'd']);
		expect(shownChanges(new Set(['a', 'b']), new Set(['b', 'c']), all).sort()).toEqual(['a', 'c']);
		const same = new Set(['a']);
		expect(shownChanges(same, same, () => { throw new Error('not read'); })).toEqual([]);
		expect(shownChanges(new Set(['a']), new Set(['a']), () => { throw new Error('not read'); })).toEqual([]);
	});
});
