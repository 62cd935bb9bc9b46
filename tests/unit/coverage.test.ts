import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	assetsWithoutGoals,
	connectionCounts,
	connectionsOf,
	goalCoverage,
	goalsOf,
	goalsWithoutAssets,
	linkIndex
} from '../../src/lib/doc/coverage.ts';
import { linkId } from '../../src/lib/doc/ids.ts';
import { asset, connects, goal, supports } from '../helpers/links.ts';
import { readAllLinks } from '../../src/lib/doc/schema.ts';
import { parseLink } from '../../src/lib/doc/validate.ts';

const assets = [
	asset('garden', { category: 'places' }, 'community-member'),
	asset('pantry', { category: 'organizations' }, 'community-organization'),
	asset('lab', { category: 'knowledge' }, 'faculty'),
	asset('club', { category: 'skills' }, 'student'),
	asset('mural', { category: 'culture' }, 'other'),
	asset('anon', { category: null }, null),
	asset('gone', { category: 'places', deletedAt: 5 }),
	asset('secret', { category: 'places', hidden: true })
];
const goals = [goal('food'), goal('youth'), goal('housing'), goal('old', { deletedAt: 3 })];
const links = [
	supports('garden', 'food'),
	supports('pantry', 'food'),
	supports('lab', 'food'),
	supports('club', 'food'),
	supports('mural', 'food'),
	supports('anon', 'food'),
	supports('club', 'youth'),
	supports('gone', 'youth'), // deleted asset: ignored
	supports('secret', 'youth'), // hidden: ignored for participants
	supports('garden', 'old'), // deleted goal: ignored
	supports('garden', 'nowhere'), // missing goal: ignored
	supports('ghost', 'housing'), // missing asset: ignored
	supports('lab', 'housing', 9), // a removed link: ignored
	connects('garden', 'pantry'),
	connects('pantry', 'garden'), // the same connection the other way
	connects('pantry', 'lab'),
	connects('lab', 'gone'), // deleted asset: ignored
	connects('lab', 'ghost') // missing asset: ignored
];

describe('derived link ids', () => {
	it('follow DESIGN.md for both kinds', () => {
		expect(linkId('supports', 'a', 'g')).toBe('supports:a:g');
		expect(linkId('connects', 'b', 'a')).toBe('connects:a:b');
		expect(linkId('connects', 'a', 'b')).toBe('connects:a:b');
		expect(linkId('likes', 'a', 'b')).toBeNull();
	});

	it('are derived from a link’s kind and ends when it is parsed', () => {
		expect(parseLink({ kind: 'connects', from: 'b', to: 'a', note: 'shared volunteers' })).toMatchObject({ id: 'connects:a:b', note: 'shared volunteers', deletedAt: null });
		expect(parseLink({ kind: 'likes', from: 'a', to: 'b' })).toBeNull();
		expect(parseLink({ kind: 'supports', from: 'a', to: 42 })).toBeNull();
		expect(parseLink({ kind: 'connects', from: 'a', to: 'a' })).toBeNull();
		expect(parseLink('supports:a:b')).toBeNull();
	});

	it('are the only keys a link is read from: an entry under any other key cannot shadow the real one', () => {
		const doc = new Y.Doc();
		const put = (key: string, fields: Record<string, unknown>) => {
			const entry = new Y.Map<unknown>();
			for (const [k, v] of Object.entries(fields)) entry.set(k, v);
			doc.getMap('links').set(key, entry);
		};
		// Stray entries first, so a reader that kept the first entry per derived id would pick them.
		put('odd-key', { kind: 'connects', from: 'b', to: 'a', note: 'stray', createdAt: 2, deletedAt: 5 });
		put('connects:b:a', { kind: 'connects', from: 'b', to: 'a', note: 'unsorted key', createdAt: 3 });
		put('supports:a:x', { kind: 'supports', from: 'a', to: 'g', note: 'wrong goal in the key' });
		put('connects:a:b', { kind: 'connects', from: 'a', to: 'b', note: 'real', createdAt: 1 });
		// Ends written the other way round still derive the key they sit under.
		put('connects:a:c', { kind: 'connects', from: 'c', to: 'a', note: 'reversed ends' });
		put('supports:a:g', { kind: 'supports', from: 'a', to: 'g' });
		put('junk', { kind: 'supports' });
		doc.getMap('links').set('not-a-map', 'supports:a:g');
		const links = readAllLinks(doc);
		expect(links.map((link) => link.id).sort()).toEqual(['connects:a:b', 'connects:a:c', 'supports:a:g']);
		expect(links.find((link) => link.id === 'connects:a:b')).toMatchObject({ note: 'real', createdAt: 1, deletedAt: null });
		expect(links.find((link) => link.id === 'connects:a:c')).toMatchObject({ from: 'c', to: 'a', note: 'reversed ends' });
	});
});

describe('goal coverage', () => {
	const index = linkIndex(assets, goals, links, 'editor');

	it('counts supporting assets per category and community vs campus voices', () => {
		const coverage = goalCoverage(index);
		expect(coverage.map((c) => c.goal.id)).toEqual(['food', 'youth', 'housing']);
		const food = coverage[0];
		expect(food.assets).toBe(6);
		expect(food.byCategory.get('places')).toBe(1);
		expect(food.byCategory.get('organizations')).toBe(1);
		expect(food.byCategory.get('knowledge')).toBe(1);
		expect(food.byCategory.get('economy')).toBe(0);
		expect(food.byCategory.get(null)).toBe(1);
		expect([food.community, food.campus, food.other]).toEqual([2, 2, 2]);
		const youth = coverage[1];
		expect([youth.assets, youth.community, youth.campus, youth.other]).toEqual([1, 0, 1, 0]);
		expect(coverage[2].assets).toBe(0);
	});

	it('counts hidden assets only for a facilitator', () => {
		const youth = goalCoverage(linkIndex(assets, goals, links, 'facilitator'))[1];
		expect(youth.assets).toBe(2);
	});

	it('lists goals no asset supports and assets supporting no goal, ignoring deleted and missing ends', () => {
		expect(goalsWithoutAssets(index).map((g) => g.id)).toEqual(['housing']);
		expect(assetsWithoutGoals(index).map((a) => a.id)).toEqual([]);
		const fewer = linkIndex(assets, goals, links.filter((l) => l.from !== 'mural'), 'viewer');
		expect(assetsWithoutGoals(fewer).map((a) => a.id)).toEqual(['mural']);
		expect(goalsOf(index, 'club').map((g) => g.id)).toEqual(['food', 'youth']);
		expect(goalsOf(index, 'garden').map((g) => g.id)).toEqual(['food']);
	});

	it('gives each asset its connections, both ways, once', () => {
		expect(connectionsOf(index, 'pantry')).toEqual(['garden', 'lab']);
		expect(connectionsOf(index, 'garden')).toEqual(['pantry']);
		expect(connectionsOf(index, 'lab')).toEqual(['pantry']);
		expect(connectionsOf(index, 'mural')).toEqual([]);
		const counts = connectionCounts(index);
		expect(counts.get('pantry')).toBe(2);
		expect(counts.get('mural')).toBe(0);
		expect(counts.has('gone')).toBe(false);
	});
});
