import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addAsset, deleteAsset, updateAsset } from '../../src/lib/doc/mutations.ts';
import type { Contributor } from '../../src/lib/doc/model.ts';
import { OwnUndo, undoShortcut } from '../../src/lib/edit/own-undo.ts';

const ana: Contributor = { id: 'ana', name: 'Ana', affiliation: 'student' };
const ben: Contributor = { id: 'ben', name: 'Ben', affiliation: 'community-member' };
const POINT = { type: 'Point' as const, coordinates: [-89.65, 39.8] as [number, number] };

/** Two synced documents: Ana's (with her undo) and Ben's, connected both ways. */
function pair(locked = () => false) {
	const mine = new Y.Doc();
	const theirs = new Y.Doc();
	mine.on('update', (update: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(theirs, update, 'remote'));
	theirs.on('update', (update: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(mine, update, 'remote'));
	const undo = new OwnUndo(mine, { locked, by: () => ana, now: () => 42 });
	return { mine, theirs, undo };
}

const field = (doc: Y.Doc, id: string, name: string) => (doc.getMap('assets').get(id) as Y.Map<unknown>).get(name);

describe('undo of one’s own changes', () => {
	it('undoes a new asset as a soft delete and redoes it as a restore, for everyone', () => {
		const { theirs, mine, undo } = pair();
		const id = addAsset(mine, { name: 'Tool library', category: 'organizations', geometry: POINT, description: '', holder: '', tags: [] }, ana);
		expect(undo.canUndo).toBe(true);
		expect(undo.undo()).toEqual({ status: 'done', skipped: [] });
		expect(field(theirs, id, 'deletedAt')).toBe(42);
		// The entry itself is never deleted (participants may not; the server would refuse it).
		expect(theirs.getMap('assets').has(id)).toBe(true);
		expect(undo.redo().status).toBe('done');
		expect(field(theirs, id, 'deletedAt')).toBeUndefined();
	});

	it('puts back only what this person changed; someone else’s later change to another field stays', () => {
		const { theirs, mine, undo } = pair();
		const id = addAsset(mine, { name: 'Tool library', category: 'organizations', geometry: POINT, description: '', holder: '', tags: [] }, ana);
		updateAsset(mine, id, { name: 'Eastside Tool Library' }, ana);
		updateAsset(theirs, id, { description: 'Lends tools on Saturdays' }, ben);
		expect(undo.undo()).toEqual({ status: 'done', skipped: [] });
		expect(field(theirs, id, 'name')).toBe('Tool library');
		expect(field(theirs, id, 'description')).toBe('Lends tools on Saturdays');
		expect(field(theirs, id, 'updatedBy')).toEqual(ana);
	});

	it('never overwrites a field someone else changed since, and says which', () => {
		const { theirs, mine, undo } = pair();
		const id = addAsset(mine, { name: 'Tool library', category: 'organizations', geometry: POINT, description: '', holder: '', tags: [] }, ana);
		updateAsset(mine, id, { name: 'Eastside Tool Library', holder: 'Ana' }, ana);
		updateAsset(theirs, id, { name: 'Eastside Tool Library & Repair Café' }, ben);
		expect(undo.undo()).toEqual({ status: 'partly', skipped: [{ id, field: 'name' }] });
		expect(field(theirs, id, 'name')).toBe('Eastside Tool Library & Repair Café');
		expect(field(theirs, id, 'holder')).toBe('');
	});

	it('undoes a delete as a restore; others’ changes are never on the stack', () => {
		const { theirs, mine, undo } = pair();
		const id = addAsset(theirs, { name: 'Ben’s garden', category: 'places', geometry: POINT, description: '', holder: '', tags: [] }, ben);
		expect(undo.canUndo).toBe(false);
		deleteAsset(mine, id, ana);
		expect(field(theirs, id, 'deletedAt')).toBeTypeOf('number');
		undo.undo();
		expect(field(theirs, id, 'deletedAt')).toBeUndefined();
		// Nothing of Ben's to undo.
		expect(undo.undo().status).toBe('nothing');
	});

	it('on a locked map changes nothing and says so; a new change clears redo', () => {
		let locked = false;
		const { mine, undo } = pair(() => locked);
		const id = addAsset(mine, { name: 'Choir', category: 'culture', geometry: POINT, description: '', holder: '', tags: [] }, ana);
		updateAsset(mine, id, { name: 'Eastside Choir' }, ana);
		locked = true;
		expect(undo.undo().status).toBe('locked');
		expect(field(mine, id, 'name')).toBe('Eastside Choir');
		locked = false;
		undo.undo();
		expect(undo.canRedo).toBe(true);
		updateAsset(mine, id, { holder: 'St. Mark’s' }, ana);
		expect(undo.canRedo).toBe(false);
	});

	it('reads the keyboard: Ctrl/Cmd+Z, Shift for redo, Ctrl+Y; not inside a text field', () => {
		const key = (init: KeyboardEventInit & { target?: { tagName: string; isContentEditable?: boolean } }) =>
			({ ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, key: '', target: { tagName: 'DIV', isContentEditable: false }, ...init }) as unknown as KeyboardEvent;
		expect(undoShortcut(key({ ctrlKey: true, key: 'z' }))).toBe('undo');
		expect(undoShortcut(key({ metaKey: true, shiftKey: true, key: 'Z' }))).toBe('redo');
		expect(undoShortcut(key({ ctrlKey: true, key: 'y' }))).toBe('redo');
		expect(undoShortcut(key({ key: 'z' }))).toBeNull();
		expect(undoShortcut(key({ ctrlKey: true, key: 'z', target: { tagName: 'TEXTAREA' } }))).toBeNull();
	});
});
