import { describe, expect, it } from 'vitest';
import { linkIndex } from '../../src/lib/doc/coverage.ts';
import type { Asset, Link } from '../../src/lib/doc/model.ts';
import { lineAssets, lineEmphasis, linkLines, unwrapLongitude } from '../../src/lib/map/link-lines.ts';
import { asset, connects, goal, supports } from '../helpers/links.ts';

const at = (lng: number, lat: number): Partial<Asset> => ({ geometry: { type: 'Point', coordinates: [lng, lat] } });

const assets = [
	asset('garden', at(10, 50)),
	asset('pantry', at(11, 51)),
	asset('lab', at(12, 52)),
	asset('park', { geometry: { type: 'Polygon', coordinates: [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]] } }),
	asset('gone', { ...at(1, 1), deletedAt: 5 }),
	asset('secret', { ...at(2, 2), hidden: true }),
	asset('fiji', at(179, -17)),
	asset('samoa', at(-172, -14))
];
const note = (link: Link, text: string): Link => ({ ...link, note: text });
const links: Link[] = [
	connects('garden', 'pantry'),
	note(connects('pantry', 'garden'), 'shared volunteers'), // the same link the other way (one id)
	connects('lab', 'pantry'),
	connects('park', 'garden'),
	connects('lab', 'gone'), // deleted asset
	connects('lab', 'ghost'), // missing asset
	connects('lab', 'secret'), // hidden: only the facilitator sees it
	connects('lab', 'lab'), // to itself
	{ ...connects('garden', 'lab'), deletedAt: 9 }, // a removed link
	supports('garden', 'food'),
	connects('fiji', 'samoa')
];
const goals = [goal('food')];

describe('network lines', () => {
	it('draw each connection once, between both assets’ anchors, in id order', () => {
		const lines = linkLines(linkIndex(assets, goals, links, 'editor'), null);
		expect(lines.map((line) => line.id)).toEqual(['connects:fiji:samoa', 'connects:garden:pantry', 'connects:garden:park', 'connects:lab:pantry']);
		const gardenPantry = lines.find((line) => line.id === 'connects:garden:pantry')!;
		expect(gardenPantry).toEqual({ id: 'connects:garden:pantry', from: [10, 50], to: [11, 51], note: '', assets: ['garden', 'pantry'] });
		// An area is joined at its anchor: the middle of its box when that lies inside.
		expect(lines.find((line) => line.id === 'connects:garden:park')).toMatchObject({ from: [10, 50], to: [1, 1] });
	});

	it('carry the link’s note when the links are given', () => {
		const lines = linkLines(linkIndex(assets, goals, links, 'editor'), null, links);
		expect(lines.find((line) => line.id === 'connects:garden:pantry')?.note).toBe('shared volunteers');
		expect(lines.find((line) => line.id === 'connects:lab:pantry')?.note).toBe('');
	});

	it('skip deleted, missing and hidden assets, and what the filter does not show', () => {
		const index = linkIndex(assets, goals, links, 'editor');
		expect(linkLines(index, new Set(['garden', 'pantry', 'lab'])).map((line) => line.id)).toEqual(['connects:garden:pantry', 'connects:lab:pantry']);
		expect(linkLines(index, new Set(['garden', 'lab']))).toEqual([]);
		expect(linkLines(index, new Set())).toEqual([]);
		// Naming a deleted or hidden asset in `shown` does not bring it back.
		expect(linkLines(index, new Set(['lab', 'gone', 'secret', 'ghost']))).toEqual([]);
	});

	it('show a hidden asset’s connections to the facilitator, who sees it', () => {
		const lines = linkLines(linkIndex(assets, goals, links, 'facilitator'), null);
		expect(lines.map((line) => line.id)).toContain('connects:lab:secret');
	});

	it('take the short way across the antimeridian', () => {
		const line = linkLines(linkIndex(assets, goals, links, 'editor'), null).find((l) => l.id === 'connects:fiji:samoa')!;
		expect(line.from).toEqual([179, -17]);
		expect(line.to).toEqual([188, -14]);
		expect(Math.abs(line.to[0] - line.from[0])).toBeLessThanOrEqual(180);
	});

	it('unwrap longitudes against a reference', () => {
		expect(unwrapLongitude(-179, 179)).toBe(181);
		expect(unwrapLongitude(179, -179)).toBe(-181);
		expect(unwrapLongitude(10, 20)).toBe(10);
		expect(unwrapLongitude(-150, 20)).toBe(-150);
		expect(unwrapLongitude(-170, 20)).toBe(190);
	});

	it('are emphasised under a highlight only when both ends are highlighted', () => {
		const line = { id: 'connects:a:b' };
		expect(lineAssets(line)).toEqual(['a', 'b']);
		expect(lineAssets({ id: 'supports:a:g' })).toBeNull();
		expect(lineEmphasis(line, null)).toBe('normal');
		expect(lineEmphasis(line, new Set(['a', 'b', 'c']))).toBe('strong');
		expect(lineEmphasis(line, new Set(['a']))).toBe('dim');
		expect(lineEmphasis(line, new Set())).toBe('dim');
	});
});
