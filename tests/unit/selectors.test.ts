import { describe, expect, it } from 'vitest';
import { assetAnchor, assetFeature, assetRows, countByCategory, isVisibleTo } from '../../src/lib/doc/selectors.ts';
import type { Asset } from '../../src/lib/doc/model.ts';

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

const garden = asset({ id: 'g', name: 'Community garden', category: 'places', tags: ['food'], holder: 'Block club' });
const choir = asset({ id: 'c', name: 'Café choir', category: 'culture', description: 'Sings at the Sunday market' });
const tutor = asset({ id: 't', name: 'after-school tutoring', category: 'skills', createdAt: 5 });

describe('selectors', () => {
	it('sorts rows by name, ignoring case', () => {
		expect(assetRows([garden, choir, tutor], { query: '', categories: new Set() }).map((a) => a.id)).toEqual(['t', 'c', 'g']);
	});

	it('searches name, description, holder and tags, ignoring accents', () => {
		const all = [garden, choir, tutor];
		const ids = (query: string) => assetRows(all, { query, categories: new Set() }).map((a) => a.id);
		expect(ids('cafe')).toEqual(['c']);
		expect(ids('SUNDAY')).toEqual(['c']);
		expect(ids('block')).toEqual(['g']);
		expect(ids('food garden')).toEqual(['g']);
		expect(ids('food choir')).toEqual([]);
	});

	it('filters by category', () => {
		const rows = assetRows([garden, choir, tutor], { query: '', categories: new Set(['culture', 'skills'] as const) });
		expect(rows.map((a) => a.id)).toEqual(['t', 'c']);
	});

	it('shows hidden assets only to facilitators and deleted ones to nobody', () => {
		const hidden = asset({ hidden: true });
		const deleted = asset({ deletedAt: 10 });
		expect(isVisibleTo(hidden, 'facilitator')).toBe(true);
		expect(isVisibleTo(hidden, 'editor')).toBe(false);
		expect(isVisibleTo(hidden, 'viewer')).toBe(false);
		expect(isVisibleTo(deleted, 'facilitator')).toBe(false);
	});

	it('makes small map features keyed by id', () => {
		expect(assetFeature(garden)).toEqual({
			type: 'Feature',
			id: 'g',
			geometry: garden.geometry,
			properties: { id: 'g', name: 'Community garden', category: 'places', hidden: false, createdAt: garden.createdAt }
		});
		expect(assetFeature(asset({ category: null })).properties.category).toBe('unknown');
	});

	it('counts by category and anchors areas at their centroid of vertices', () => {
		expect(countByCategory([garden, choir, tutor, garden]).get('places')).toBe(2);
		const square = asset({ geometry: { type: 'Polygon', coordinates: [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]] } });
		expect(assetAnchor(square)).toEqual([1, 1]);
	});
});

describe('translateGeometry', () => {
	it('shifts every vertex and keeps the shape', async () => {
		const { translateGeometry } = await import('../../src/lib/doc/selectors.ts');
		expect(translateGeometry({ type: 'Point', coordinates: [1, 2] }, 0.5, -1)).toEqual({ type: 'Point', coordinates: [1.5, 1] });
		expect(
			translateGeometry({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] }, 1, 1)
		).toEqual({ type: 'Polygon', coordinates: [[[1, 1], [2, 1], [2, 2], [1, 1]]] });
	});
});
