import { describe, expect, it } from 'vitest';
import { linkIndex } from '../../src/lib/doc/coverage.ts';
import {
	foldText,
	goalPatch,
	goalsByHorizon,
	nameMatches,
	pickerRows,
	sortByName,
	supportCount,
	supportingAssets,
	tiedAssets,
	voiceShares
} from '../../src/lib/goal-view.ts';
import type { Goal } from '../../src/lib/doc/model.ts';
import { asset, goal, supports } from '../helpers/links.ts';

describe('goals by horizon', () => {
	it('lists short-term then long-term goals, each oldest first, both groups always there', () => {
		const groups = goalsByHorizon([
			goal('b', { horizon: 'long', createdAt: 2 }),
			goal('a', { horizon: 'short', createdAt: 5 }),
			goal('c', { horizon: 'short', createdAt: 1 }),
			goal('d', { horizon: 'short', createdAt: 1 })
		]);
		expect(groups.map((group) => [group.horizon, group.goals.map((g) => g.id)])).toEqual([
			['short', ['c', 'd', 'a']],
			['long', ['b']]
		]);
		expect(goalsByHorizon([]).map((group) => group.goals.length)).toEqual([0, 0]);
	});

	it('keeps a goal with a horizon this version does not know, among the long-term ones', () => {
		const odd = goal('x', { horizon: 'someday' as unknown as Goal['horizon'] });
		expect(goalsByHorizon([odd])[1].goals).toEqual([odd]);
	});
});

describe('picker search', () => {
	it('ignores case and accents, and wants every word typed', () => {
		expect(foldText('Café Élan')).toBe('cafe elan');
		expect(nameMatches('Café Élan', 'cafe')).toBe(true);
		expect(nameMatches('Café Élan', 'ELAN caf')).toBe(true);
		expect(nameMatches('Café Élan', 'cafe garden')).toBe(false);
		expect(nameMatches('anything', '   ')).toBe(true);
	});

	it('puts the assets given first (a lasso’s catch) ahead, each part by name', () => {
		const assets = [asset('1', { name: 'Zinnia garden' }), asset('2', { name: 'Árbol library' }), asset('3', { name: 'Mural' }), asset('4', { name: 'bakery' })];
		expect(pickerRows(assets, '').map((a) => a.name)).toEqual(['Árbol library', 'bakery', 'Mural', 'Zinnia garden']);
		expect(pickerRows(assets, '', new Set(['1', '3'])).map((a) => a.id)).toEqual(['3', '1', '2', '4']);
		expect(pickerRows(assets, 'arbol').map((a) => a.id)).toEqual(['2']);
		expect(pickerRows(assets, 'garden library')).toEqual([]);
	});
});

describe('a goal’s supporting assets', () => {
	const index = linkIndex(
		[asset('p', { name: 'Pantry' }), asset('g', { name: 'garden' }), asset('h', { name: 'Hidden', hidden: true }), asset('free')],
		[goal('food'), goal('arts')],
		[supports('p', 'food'), supports('g', 'food'), supports('h', 'food'), supports('free', 'arts', 4)],
		'editor'
	);

	it('are the visible ones, by name, and counted the same way', () => {
		expect(supportingAssets(index, 'food').map((a) => a.id)).toEqual(['g', 'p']);
		expect(supportCount(index, 'food')).toBe(2);
		expect(supportingAssets(index, 'arts')).toEqual([]);
		expect(supportCount(index, 'arts')).toBe(0);
		expect(tiedAssets(index)).toEqual({ tied: 2, total: 3 });
	});

	it('sort by name whatever the case', () => {
		expect(sortByName([asset('b', { name: 'beta' }), asset('a', { name: 'Alpha' })]).map((a) => a.id)).toEqual(['a', 'b']);
	});
});

describe('goal form patch', () => {
	const before = { title: 'Youth lead', description: 'Summer', horizon: 'short', status: 'proposed' } as const;

	it('holds only what changed, trimmed', () => {
		expect(goalPatch(before, { ...before, title: '  Youth lead  ' })).toEqual({});
		expect(goalPatch(before, { ...before, status: 'active', description: 'Summer and fall ' })).toEqual({ status: 'active', description: 'Summer and fall' });
	});

	it('is everything for a new goal', () => {
		expect(goalPatch(null, { ...before, title: ' New ' })).toEqual({ ...before, title: 'New' });
	});
});

describe('voice shares', () => {
	it('add up to 100 and follow the counts', () => {
		expect(voiceShares({ community: 1, campus: 1, other: 1 })).toEqual({ community: 34, campus: 33, other: 33 });
		expect(voiceShares({ community: 3, campus: 1, other: 0 })).toEqual({ community: 75, campus: 25, other: 0 });
		expect(voiceShares({ community: 0, campus: 0, other: 0 })).toEqual({ community: 0, campus: 0, other: 0 });
		for (const counts of [
			{ community: 2, campus: 5, other: 7 },
			{ community: 1, campus: 2, other: 4 }
		]) {
			const shares = voiceShares(counts);
			expect(shares.community + shares.campus + shares.other).toBe(100);
		}
	});
});
