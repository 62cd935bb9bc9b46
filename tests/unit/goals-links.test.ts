import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addAsset, deleteAsset } from '../../src/lib/doc/mutations.ts';
import { addGoal, deleteGoal, updateGoal } from '../../src/lib/doc/goal-mutations.ts';
import { connectAssets, linkAssetsToGoal, setLinkNote, unlink } from '../../src/lib/doc/link-mutations.ts';
import { readAllGoals, readAllLinks, readGoal, readLink } from '../../src/lib/doc/schema.ts';
import { connectsLinkId, supportsLinkId } from '../../src/lib/doc/ids.ts';
import { linkIndex, goalsWithoutAssets } from '../../src/lib/doc/coverage.ts';
import { readAllAssets } from '../../src/lib/doc/schema.ts';
import { InvalidInputError } from '../../src/lib/doc/validate.ts';
import { OwnUndo } from '../../src/lib/edit/own-undo.ts';
import { TestNetwork } from '../helpers/connected-docs.ts';
import type { Contributor } from '../../src/lib/doc/model.ts';

const ana: Contributor = { id: 'ana0000000000001', name: 'Ana', affiliation: 'community-member' };
const ben: Contributor = { id: 'ben0000000000001', name: 'Ben', affiliation: 'faculty' };
const at = (lng: number) => ({ type: 'Point' as const, coordinates: [lng, 40] as [number, number] });
const asset = (doc: Y.Doc, name: string, lng = 0) => addAsset(doc, { name, category: 'places', geometry: at(lng), description: '', holder: '', tags: [] }, ana, 1);

function transactions(doc: Y.Doc): () => number {
	let count = 0;
	doc.on('afterTransaction', () => count++);
	return () => count;
}

describe('goals', () => {
	it('adds a goal with defaults, stamps who and when, and edits only what changed', () => {
		const doc = new Y.Doc();
		const id = addGoal(doc, { title: '  Youth summer jobs ', horizon: 'long' }, ana, 10);
		expect(readGoal(doc, id)).toEqual({
			id,
			title: 'Youth summer jobs',
			description: '',
			horizon: 'long',
			status: 'proposed',
			createdBy: ana,
			createdAt: 10,
			updatedBy: ana,
			updatedAt: 10,
			deletedAt: null,
			nextSteps: ''
		});
		const count = transactions(doc);
		expect(updateGoal(doc, id, { title: 'Youth summer jobs', status: 'active' }, ben, 20)).toBe(true);
		expect(count()).toBe(1);
		const entry = doc.getMap('goals').get(id) as Y.Map<unknown>;
		expect(entry.get('status')).toBe('active');
		expect(entry.get('updatedBy')).toEqual(ben);
		expect(updateGoal(doc, id, { status: 'active' }, ben, 30)).toBe(false);
		expect(count()).toBe(1);
	});

	it('refuses bad input and changes nothing', () => {
		const doc = new Y.Doc();
		expect(() => addGoal(doc, { title: ' ' }, ana)).toThrow(InvalidInputError);
		expect(() => addGoal(doc, { title: 'x', horizon: 'someday' as never }, ana)).toThrow(InvalidInputError);
		expect(() => addGoal(doc, { title: 'x', status: 'done' as never }, ana)).toThrow(InvalidInputError);
		expect(doc.getMap('goals').size).toBe(0);
		const id = addGoal(doc, { title: 'Ok' }, ana);
		expect(() => updateGoal(doc, id, { title: 'x'.repeat(201) }, ana)).toThrow(InvalidInputError);
		expect(() => updateGoal(doc, 'nope', { title: 'x' }, ana)).toThrow(InvalidInputError);
		expect(readGoal(doc, id)?.title).toBe('Ok');
	});

	it('deletes softly: the goal stays in the document, its links stay but are not read as live', () => {
		const doc = new Y.Doc();
		const goal = addGoal(doc, { title: 'Food access' }, ana);
		const garden = asset(doc, 'Garden');
		linkAssetsToGoal(doc, [garden], goal, undefined, ana);
		deleteGoal(doc, goal, ben, 50);
		expect(readGoal(doc, goal)?.deletedAt).toBe(50);
		expect(readAllLinks(doc)).toHaveLength(1);
		const index = linkIndex(readAllAssets(doc), readAllGoals(doc), readAllLinks(doc), 'editor');
		expect(index.goalsOfAsset.size).toBe(0);
		expect(goalsWithoutAssets(index)).toEqual([]);
	});
});

describe('links', () => {
	it('links many assets to a goal in one transaction, each under its derived id', () => {
		const doc = new Y.Doc();
		const goal = addGoal(doc, { title: 'Food access' }, ana);
		const ids = [asset(doc, 'A'), asset(doc, 'B'), asset(doc, 'C')];
		const count = transactions(doc);
		const made = linkAssetsToGoal(doc, [...ids, ids[0]], goal, 'grows food', ben, 7);
		expect(count()).toBe(1);
		expect(made.sort()).toEqual(ids.map((id) => supportsLinkId(id, goal)).sort());
		expect(readLink(doc, supportsLinkId(ids[1], goal))).toEqual({
			id: supportsLinkId(ids[1], goal),
			kind: 'supports',
			from: ids[1],
			to: goal,
			note: 'grows food',
			createdBy: ben,
			createdAt: 7,
			deletedAt: null
		});
		// Linking again changes nothing and sends nothing.
		expect(linkAssetsToGoal(doc, ids, goal, undefined, ben)).toEqual([]);
		expect(count()).toBe(1);
	});

	it('unlinks softly and links again on the same entry, keeping the note', () => {
		const doc = new Y.Doc();
		const goal = addGoal(doc, { title: 'Food access' }, ana);
		const a = asset(doc, 'A');
		linkAssetsToGoal(doc, [a], goal, 'hosts a pantry', ana);
		const id = supportsLinkId(a, goal);
		expect(unlink(doc, [id, id, 'supports:missing:x'], ben, 9)).toEqual([id]);
		expect(readLink(doc, id)?.deletedAt).toBe(9);
		expect(unlink(doc, [id], ben)).toEqual([]);
		expect(linkAssetsToGoal(doc, [a], goal, undefined, ben)).toEqual([id]);
		expect(readLink(doc, id)).toMatchObject({ deletedAt: null, note: 'hosts a pantry', createdBy: ana });
		expect(doc.getMap('links').size).toBe(1);
	});

	it('connects two assets the same way in either direction, never an asset to itself', () => {
		const doc = new Y.Doc();
		const [a, b] = [asset(doc, 'A'), asset(doc, 'B')];
		const id = connectAssets(doc, b, a, 'shares space', ana);
		expect(id).toBe(connectsLinkId(a, b));
		expect(connectAssets(doc, a, b, undefined, ben)).toBeNull();
		expect(readLink(doc, id!)).toMatchObject({ kind: 'connects', from: [a, b].sort()[0], to: [a, b].sort()[1], note: 'shares space' });
		expect(() => connectAssets(doc, a, a, undefined, ana)).toThrow(InvalidInputError);
		expect(() => connectAssets(doc, a, 'missing', undefined, ana)).toThrow(InvalidInputError);
		expect(setLinkNote(doc, id!, 'co-hosts events', ben)).toBe(true);
		expect(readLink(doc, id!)?.note).toBe('co-hosts events');
	});

	it('refuses links to things that are not there, and changes nothing', () => {
		const doc = new Y.Doc();
		const goal = addGoal(doc, { title: 'Food access' }, ana);
		const a = asset(doc, 'A');
		expect(() => linkAssetsToGoal(doc, [a, 'ghost'], goal, undefined, ana)).toThrow(InvalidInputError);
		expect(() => linkAssetsToGoal(doc, [a], 'ghost-goal', undefined, ana)).toThrow(InvalidInputError);
		expect(doc.getMap('links').size).toBe(0);
	});

	it('a link to a deleted asset stays in the document but is not live', () => {
		const doc = new Y.Doc();
		const goal = addGoal(doc, { title: 'Food access' }, ana);
		const [a, b] = [asset(doc, 'A'), asset(doc, 'B')];
		linkAssetsToGoal(doc, [a, b], goal, undefined, ana);
		connectAssets(doc, a, b, undefined, ana);
		deleteAsset(doc, b, ana);
		const index = linkIndex(readAllAssets(doc), readAllGoals(doc), readAllLinks(doc), 'editor');
		expect(readAllLinks(doc)).toHaveLength(3);
		expect([...(index.assetsOfGoal.get(goal) ?? [])]).toEqual([a]);
		expect(index.connections.size).toBe(0);
	});

	it('a lasso’s links are one undo step: undone as soft deletes, redone as restores', () => {
		const doc = new Y.Doc();
		const undo = new OwnUndo(doc, { locked: () => false, by: () => ana, now: () => 99 });
		const goal = addGoal(doc, { title: 'Food access' }, ana);
		const ids = [asset(doc, 'A'), asset(doc, 'B'), asset(doc, 'C')];
		linkAssetsToGoal(doc, ids, goal, undefined, ana);
		expect(undo.undo().status).toBe('done');
		expect(readAllLinks(doc).map((link) => link.deletedAt)).toEqual([99, 99, 99]);
		expect(doc.getMap('links').size).toBe(3);
		expect(undo.redo().status).toBe('done');
		expect(readAllLinks(doc).every((link) => link.deletedAt === null)).toBe(true);
		// The step before it (the third asset) is still there to undo.
		expect(undo.undo().status).toBe('done');
		expect(undo.undo().status).toBe('done');
		expect(readAllAssets(doc).find((a) => a.id === ids[2])?.deletedAt).toBe(99);
	});
});

describe('links made at once by people who cannot see each other', () => {
	function offlinePair() {
		const network = new TestNetwork(2);
		const [a, b] = network.peers;
		// A doc lists only the root maps it has opened; compare() needs them all.
		for (const peer of network.peers) for (const root of ['assets', 'goals', 'links']) peer.doc.getMap(root);
		const goal = addGoal(a.doc, { title: 'Food access' }, ana);
		const garden = asset(a.doc, 'Garden');
		const pantry = asset(a.doc, 'Pantry', 1);
		network.flush();
		network.disconnect(a);
		network.disconnect(b);
		return { network, a, b, goal, garden, pantry };
	}

	it('the same link made twice is one link', () => {
		const { network, a, b, goal, garden, pantry } = offlinePair();
		linkAssetsToGoal(a.doc, [garden, pantry], goal, 'grows food', ana);
		linkAssetsToGoal(b.doc, [garden], goal, 'hosts a market', ben);
		connectAssets(a.doc, garden, pantry, 'shares space', ana);
		connectAssets(b.doc, pantry, garden, 'refers people', ben);
		network.flush();
		network.compare();
		expect(a.doc.getMap('links').size).toBe(3);
		expect(readAllLinks(b.doc).map((link) => link.id).sort()).toEqual(
			[supportsLinkId(garden, goal), supportsLinkId(pantry, goal), connectsLinkId(garden, pantry)].sort()
		);
	});

	it('one unlinks while the other adds a note: both see the same outcome', () => {
		const { network, a, b, goal, garden } = offlinePair();
		network.reconnect(a);
		network.reconnect(b);
		linkAssetsToGoal(a.doc, [garden], goal, undefined, ana);
		network.flush();
		network.disconnect(a);
		network.disconnect(b);
		const id = supportsLinkId(garden, goal);
		unlink(a.doc, [id], ana, 10);
		setLinkNote(b.doc, id, 'grows food', ben, 11);
		network.flush();
		network.compare();
		// Different fields of one entry merge: the unlink and the note both stand.
		expect(readLink(b.doc, id)).toMatchObject({ deletedAt: 10, note: 'grows food' });
	});

	it('an asset deleted while someone links it: the link is kept but not live', () => {
		const { network, a, b, goal, garden, pantry } = offlinePair();
		deleteAsset(a.doc, garden, ana);
		linkAssetsToGoal(b.doc, [garden, pantry], goal, undefined, ben);
		network.flush();
		network.compare();
		expect(readAllLinks(a.doc)).toHaveLength(2);
		const index = linkIndex(readAllAssets(a.doc), readAllGoals(a.doc), readAllLinks(a.doc), 'editor');
		expect([...(index.assetsOfGoal.get(goal) ?? [])]).toEqual([pantry]);
	});
});
