import { describe, expect, it } from 'vitest';
import { linkIndex } from '../../src/lib/doc/coverage.ts';
import { foldTag, isAssetSort, rowCounts, sortAssets, tagChoices } from '../../src/lib/asset-list.ts';
import { asset, connects, goal, supports } from '../helpers/links.ts';

const assets = [
	asset('b', { name: 'Bakery', createdAt: 30 }),
	asset('a', { name: 'allotment', createdAt: 10 }),
	asset('c', { name: 'Choir', createdAt: 20 }),
	asset('a2', { name: 'Allotment', createdAt: 40 }),
	asset('z', { name: 'Zine library', createdAt: 5 })
];
const index = linkIndex(
	assets,
	[goal('food'), goal('youth')],
	[supports('b', 'food'), supports('b', 'youth'), supports('c', 'youth'), connects('a', 'b'), connects('a', 'c'), connects('a', 'z'), connects('c', 'b')],
	'viewer'
);
const ids = (list: { id: string }[]) => list.map((x) => x.id);

describe('sorting the asset list', () => {
	it('by name, A–Z ignoring case, newest first among equal names', () => {
		expect(ids(sortAssets(assets, 'name', index))).toEqual(['a2', 'a', 'b', 'c', 'z']);
	});

	it('numbers in names sort as numbers', () => {
		const numbered = [asset('x', { name: 'Plot 10' }), asset('y', { name: 'Plot 9' })];
		expect(ids(sortAssets(numbered, 'name'))).toEqual(['y', 'x']);
	});

	it('newest first', () => {
		expect(ids(sortAssets(assets, 'newest', index))).toEqual(['a2', 'b', 'c', 'a', 'z']);
	});

	it('most connections, then by name', () => {
		expect(ids(sortAssets(assets, 'connections', index))).toEqual(['a', 'b', 'c', 'z', 'a2']);
	});

	it('most goals, then by name', () => {
		expect(ids(sortAssets(assets, 'goals', index))).toEqual(['b', 'c', 'a2', 'a', 'z']);
	});

	it('without an index every count is zero and the order falls back to names', () => {
		expect(ids(sortAssets(assets, 'goals'))).toEqual(ids(sortAssets(assets, 'name')));
	});

	it('returns a copy', () => {
		const given = [...assets];
		sortAssets(given, 'name', index);
		expect(ids(given)).toEqual(ids(assets));
	});

	it('knows its sort names', () => {
		expect(isAssetSort('goals')).toBe(true);
		expect(isAssetSort('needs')).toBe(false);
		expect(isAssetSort(undefined)).toBe(false);
	});
});

describe('row counts', () => {
	it('counts live connections and supported goals', () => {
		expect(rowCounts(index, 'a')).toEqual({ connections: 3, goals: 0 });
		expect(rowCounts(index, 'b')).toEqual({ connections: 2, goals: 2 });
		expect(rowCounts(index, 'a2')).toEqual({ connections: 0, goals: 0 });
		expect(rowCounts(null, 'b')).toEqual({ connections: 0, goals: 0 });
	});
});

describe('tag choices', () => {
	it('one entry per tag ignoring case and accents, most used first, in its most used spelling', () => {
		const tagged = [
			asset('1', { tags: ['Food', 'garden'] }),
			asset('2', { tags: ['food', 'Café'] }),
			asset('3', { tags: ['food', 'cafe', 'CAFE'] }),
			asset('4', { tags: ['  ', 'youth'] })
		];
		expect(tagChoices(tagged)).toEqual(['food', 'Café', 'garden', 'youth']);
	});

	it('folds like the filter does', () => {
		expect(foldTag(' Café ')).toBe('cafe');
	});
});
