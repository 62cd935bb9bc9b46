import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addAsset, deleteAsset, initMap, moveAsset, restoreAsset, setAssetHidden, setMapLocked, updateAsset } from '../../src/lib/doc/mutations.ts';
import { readAllAssets, readAsset, readMeta } from '../../src/lib/doc/schema.ts';
import { InvalidInputError } from '../../src/lib/doc/validate.ts';
import type { AssetFields, Contributor } from '../../src/lib/doc/model.ts';

const ana: Contributor = { id: 'ana0000000000001', name: 'Ana', affiliation: 'community-member' };
const ben: Contributor = { id: 'ben0000000000001', name: 'Ben', affiliation: 'faculty' };

const library: AssetFields = {
	name: 'Eastside Library',
	category: 'institutions',
	description: 'Free meeting rooms and a makerspace',
	holder: 'City library',
	geometry: { type: 'Point', coordinates: [-93.25, 44.95] },
	tags: ['rooms', 'makerspace']
};

describe('initMap', () => {
	it('writes the meta of a new map with the schema version', () => {
		const doc = new Y.Doc();
		initMap(doc, { title: '  Eastside strengths ', place: 'Eastside' }, 1000);
		expect(readMeta(doc)).toEqual({
			title: 'Eastside strengths',
			place: 'Eastside',
			description: '',
			createdAt: 1000,
			schemaVersion: 2,
			locked: false,
			view: null,
			creditNames: false
		});
	});

	it('rejects a missing title and leaves the doc empty', () => {
		const doc = new Y.Doc();
		expect(() => initMap(doc, { title: '   ' })).toThrow(InvalidInputError);
		expect(doc.getMap('meta').size).toBe(0);
	});
});

describe('assets', () => {
	it('adds an asset as one transaction with who and when stamped', () => {
		const doc = new Y.Doc();
		let transactions = 0;
		doc.on('afterTransaction', () => transactions++);
		const id = addAsset(doc, library, ana, 5000);
		expect(transactions).toBe(1);
		expect(readAsset(doc, id)).toEqual({
			id,
			...library,
			createdBy: ana,
			createdAt: 5000,
			updatedBy: ana,
			updatedAt: 5000,
			hidden: false,
			deletedAt: null
		});
	});

	it('rejects invalid input without touching the doc', () => {
		const doc = new Y.Doc();
		const bad: Array<Partial<AssetFields>> = [
			{ ...library, name: '' },
			{ ...library, category: 'deficits' as never },
			{ ...library, geometry: { type: 'Point', coordinates: [200, 10] } },
			{ ...library, geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 1], [0, 1]]] } },
			{ ...library, name: 'x'.repeat(201) }
		];
		for (const input of bad) expect(() => addAsset(doc, input as AssetFields, ana)).toThrow(InvalidInputError);
		expect(readAllAssets(doc)).toEqual([]);
	});

	it('updates only the fields that changed, keeping concurrent edits to other fields', () => {
		const a = new Y.Doc();
		const b = new Y.Doc();
		const id = addAsset(a, library, ana, 1);
		Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
		updateAsset(a, id, { ...library, name: 'Eastside Public Library' }, ana, 2);
		updateAsset(b, id, { description: 'Meeting rooms, makerspace, and a seed library' }, ben, 3);
		Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
		Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
		const merged = readAsset(a, id)!;
		expect(merged.name).toBe('Eastside Public Library');
		expect(merged.description).toBe('Meeting rooms, makerspace, and a seed library');
		expect(readAsset(b, id)).toEqual(merged);
	});

	it('does not write when nothing changed', () => {
		const doc = new Y.Doc();
		const id = addAsset(doc, library, ana, 1);
		let updates = 0;
		doc.on('update', () => updates++);
		updateAsset(doc, id, { name: 'Eastside Library', tags: ['rooms', 'makerspace'] }, ben, 2);
		expect(updates).toBe(0);
		expect(readAsset(doc, id)!.updatedBy).toEqual(ana);
	});

	it('moves, soft-deletes, restores and hides', () => {
		const doc = new Y.Doc();
		const id = addAsset(doc, library, ana, 1);
		moveAsset(doc, id, { type: 'Point', coordinates: [-93.3, 44.9] }, ben, 2);
		expect(readAsset(doc, id)!.geometry).toEqual({ type: 'Point', coordinates: [-93.3, 44.9] });
		deleteAsset(doc, id, ben, 3);
		expect(readAsset(doc, id)!.deletedAt).toBe(3);
		restoreAsset(doc, id, ana, 4);
		expect(readAsset(doc, id)!.deletedAt).toBeNull();
		setAssetHidden(doc, id, true, ana, 5);
		expect(readAsset(doc, id)!.hidden).toBe(true);
		setAssetHidden(doc, id, false, ana, 6);
		expect(readAsset(doc, id)!.hidden).toBe(false);
	});

	it('locks and unlocks the map', () => {
		const doc = new Y.Doc();
		initMap(doc, { title: 'T' });
		setMapLocked(doc, true);
		expect(readMeta(doc).locked).toBe(true);
		setMapLocked(doc, false);
		expect(readMeta(doc).locked).toBe(false);
	});
});
