import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { changedFields, combineValues, detectConflicts, followRemote, formValuesOf, planSave, type FormValues } from '../../src/lib/edit/field-diff.ts';
import { saveBlockReason } from '../../src/lib/edit/save-block.ts';
import { addAsset, updateAsset } from '../../src/lib/doc/mutations.ts';
import { readAsset } from '../../src/lib/doc/schema.ts';
import type { Contributor } from '../../src/lib/doc/model.ts';

const ana: Contributor = { id: 'ana0000000000001', name: 'Ana', affiliation: 'community-member' };
const ben: Contributor = { id: 'ben0000000000001', name: 'Ben', affiliation: 'faculty' };

const base: FormValues = { name: 'Library', category: 'institutions', description: 'Rooms', holder: 'City', tags: ['rooms'] };

describe('the field diff that decides what a save writes', () => {
	it('writes only the fields the person changed', () => {
		const mine = { ...base, holder: 'Friends of the Library' };
		expect(changedFields(base, mine)).toEqual(['holder']);
		expect(planSave(base, mine, base)).toEqual({ holder: 'Friends of the Library' });
	});

	it('ignores whitespace-only and tag-spacing differences', () => {
		expect(changedFields(base, { ...base, name: ' Library  ', tags: [' rooms ', ''] })).toEqual([]);
		expect(planSave(base, { ...base, description: 'Rooms ' }, base)).toEqual({});
	});

	it('leaves a field someone else changed alone when this person did not touch it', () => {
		const theirs = { ...base, description: 'Rooms and a makerspace' };
		const mine = { ...base, holder: 'Friends' };
		expect(detectConflicts(base, mine, theirs)).toEqual([]);
		expect(planSave(base, mine, theirs)).toEqual({ holder: 'Friends' });
	});

	it('does not write a value that is already on the map', () => {
		const both = { ...base, description: 'Same words' };
		expect(detectConflicts(base, both, both)).toEqual([]);
		expect(planSave(base, both, both)).toEqual({});
	});
});

describe('conflict detection', () => {
	it('finds fields both changed to different values, with who changed them', () => {
		const mine = { ...base, description: 'Ana’s words', holder: 'Friends' };
		const theirs = { ...base, description: 'Ben’s words', name: 'Eastside Library' };
		const conflicts = detectConflicts(base, mine, theirs, { description: ben });
		expect(conflicts).toEqual([{ field: 'description', base: 'Rooms', mine: 'Ana’s words', theirs: 'Ben’s words', by: ben }]);
	});

	it('refuses to plan a save over an unresolved conflict, and follows the choice', () => {
		const mine = { ...base, description: 'Ana', holder: 'Friends' };
		const theirs = { ...base, description: 'Ben' };
		expect(() => planSave(base, mine, theirs)).toThrow(/unresolved/);
		expect(planSave(base, mine, theirs, { description: 'mine' })).toEqual({ description: 'Ana', holder: 'Friends' });
		expect(planSave(base, mine, theirs, { description: 'theirs' })).toEqual({ holder: 'Friends' });
	});

	it('covers category and tags too', () => {
		const mine = { ...base, category: 'places' as const, tags: ['rooms', 'wifi'] };
		const theirs = { ...base, category: 'culture' as const, tags: ['books'] };
		expect(detectConflicts(base, mine, theirs).map((c) => c.field)).toEqual(['category', 'tags']);
		expect(combineValues('tags', mine.tags, theirs.tags)).toEqual(['rooms', 'wifi', 'books']);
		expect(combineValues('description', 'A', 'B')).toBe('A\n\nB');
	});
});

describe('an open form follows peers', () => {
	it('takes a peer’s value for untouched fields and keeps what was typed', () => {
		const mine = { ...base, holder: 'Friends' };
		const theirs = { ...base, description: 'New', holder: 'Ben’s steward' };
		const next = followRemote(base, mine, theirs);
		expect(next.updated).toEqual(['description']);
		expect(next.mine).toEqual({ ...base, description: 'New', holder: 'Friends' });
		expect(next.base.description).toBe('New');
		// The followed field is not written back, the typed one is (after the person chooses).
		expect(changedFields(next.base, next.mine)).toEqual(['holder']);
	});
});

describe('two people editing different fields of one asset', () => {
	it('both keep their changes once the docs sync', () => {
		const a = new Y.Doc();
		const b = new Y.Doc();
		const id = addAsset(a, { name: 'Library', category: 'institutions', description: 'Rooms', holder: 'City', geometry: { type: 'Point', coordinates: [0, 0] }, tags: [] }, ana);
		Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
		const opened = formValuesOf(readAsset(a, id));
		// Ben saves a new description; Ana, with the form opened before, saves her steward.
		updateAsset(b, id, planSave(opened, { ...opened, description: 'Rooms and a makerspace' }, opened), ben);
		updateAsset(a, id, planSave(opened, { ...opened, holder: 'Friends' }, formValuesOf(readAsset(a, id))), ana);
		Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
		Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
		for (const doc of [a, b]) {
			expect(readAsset(doc, id)).toMatchObject({ description: 'Rooms and a makerspace', holder: 'Friends' });
		}
	});

	it('updateAsset writes only what differs from the doc', () => {
		const doc = new Y.Doc();
		const id = addAsset(doc, { name: 'Library', category: 'institutions', description: 'Rooms', holder: 'City', geometry: { type: 'Point', coordinates: [0, 0] }, tags: [] }, ana);
		const keys: string[] = [];
		doc.getMap('assets').observeDeep((events) => events.forEach((e) => e instanceof Y.YMapEvent && keys.push(...e.keysChanged)));
		updateAsset(doc, id, { name: 'Library', description: 'Rooms', holder: 'Friends' }, ben, 9);
		expect(keys.sort()).toEqual(['holder', 'updatedAt', 'updatedBy']);
	});
});

describe('why Save waits', () => {
	it('names the lock, a refused write and a replaced link; offline is no reason', () => {
		const ok = { role: 'editor' as const, locked: false, status: 'live' as const, refusedCode: null };
		expect(saveBlockReason(ok)).toBeNull();
		expect(saveBlockReason({ ...ok, status: 'offline' })).toBeNull();
		expect(saveBlockReason({ ...ok, locked: true })).toBe('edit.blockedLocked');
		expect(saveBlockReason({ ...ok, locked: true, role: 'facilitator' })).toBeNull();
		expect(saveBlockReason({ ...ok, status: 'refused', refusedCode: 4409 })).toBe('edit.blockedRefused');
		expect(saveBlockReason({ ...ok, status: 'refused', refusedCode: 4401 })).toBe('edit.blockedLink');
		expect(saveBlockReason({ ...ok, status: 'refused', refusedCode: 4429 })).toBeNull();
	});
});
