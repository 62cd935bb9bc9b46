import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { parseAsset, parseGeometry, parseMeta } from '../../src/lib/doc/validate.ts';
import { readAllAssets } from '../../src/lib/doc/schema.ts';

describe('reading what peers wrote', () => {
	it('fills defaults for missing or ill-typed fields', () => {
		const asset = parseAsset('a1', {
			name: 42,
			category: 'spaceships',
			geometry: { type: 'Point', coordinates: [10, 20] },
			tags: ['ok', 7, 'ok', ''],
			createdBy: 'nobody',
			hidden: 'yes',
			deletedAt: Number.NaN,
			extra: { from: 'a newer version' }
		});
		expect(asset).toEqual({
			id: 'a1',
			name: '',
			category: null,
			description: '',
			holder: '',
			geometry: { type: 'Point', coordinates: [10, 20] },
			tags: ['ok'],
			createdBy: null,
			createdAt: 0,
			updatedBy: null,
			updatedAt: 0,
			hidden: false,
			deletedAt: null
		});
	});

	it('skips an asset whose geometry cannot be placed', () => {
		for (const geometry of [
			undefined,
			'here',
			{ type: 'Point', coordinates: ['1', 2] },
			{ type: 'Point', coordinates: [1, 95] },
			{ type: 'Point', coordinates: [Infinity, 0] },
			{ type: 'LineString', coordinates: [[1, 2]] },
			{ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]] },
			{ type: 'MultiPoint', coordinates: [[0, 0]] }
		]) {
			expect(parseGeometry(geometry)).toBeNull();
			expect(parseAsset('x', { name: 'n', geometry })).toBeNull();
		}
	});

	it('accepts closed polygons and lines', () => {
		expect(parseGeometry({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] })).not.toBeNull();
		expect(parseGeometry({ type: 'LineString', coordinates: [[0, 0], [1, 1]] })).not.toBeNull();
	});

	it('truncates oversized text', () => {
		const asset = parseAsset('a', { name: 'n'.repeat(5000), geometry: { type: 'Point', coordinates: [0, 0] } });
		expect(asset!.name).toHaveLength(200);
	});

	it('skips malformed entries in the doc instead of crashing', () => {
		const doc = new Y.Doc();
		const assets = doc.getMap<unknown>('assets');
		assets.set('plain-value', 'not a map');
		const broken = new Y.Map<unknown>();
		broken.set('geometry', { type: 'Point' });
		assets.set('broken', broken);
		const good = new Y.Map<unknown>();
		good.set('name', 'Good');
		good.set('geometry', { type: 'Point', coordinates: [1, 1] });
		assets.set('good', good);
		const badKey = new Y.Map<unknown>();
		badKey.set('geometry', { type: 'Point', coordinates: [1, 1] });
		assets.set('<img src=x>', badKey);
		expect(readAllAssets(doc).map((a) => a.id)).toEqual(['good']);
	});

	it('reads meta with defaults', () => {
		expect(parseMeta({ title: 5, locked: 'true', creditNames: 'yes', view: { center: [0, 0], zoom: 99 } })).toEqual({
			title: '',
			place: '',
			description: '',
			createdAt: 0,
			schemaVersion: 0,
			locked: false,
			view: null,
			creditNames: false
		});
	});
});
