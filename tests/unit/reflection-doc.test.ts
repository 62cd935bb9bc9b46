/**
 * Schema 2 in the document: check-in rounds and answers, goal progress kept as history, and
 * the migration that brings a schema-1 map up to it.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { initMap } from '../../src/lib/doc/mutations.ts';
import { addGoal, deleteGoal, updateGoal } from '../../src/lib/doc/goal-mutations.ts';
import {
	answerRound,
	closeRound,
	editAnswer,
	openRound,
	reopenRound,
	withdrawAnswer,
	writeAnonymousAnswer
} from '../../src/lib/doc/round-mutations.ts';
import { migrateDoc } from '../../src/lib/doc/migrations.ts';
import { readAllProgress, readAllResponses, readMeta, readResponse, readRound } from '../../src/lib/doc/schema.ts';
import { InvalidInputError } from '../../src/lib/doc/validate.ts';
import { TestNetwork } from '../helpers/connected-docs.ts';
import type { Contributor } from '../../src/lib/doc/model.ts';

const ana: Contributor = { id: 'ana0000000000001', name: 'Ana', affiliation: 'community-member' };
const ben: Contributor = { id: 'ben0000000000001', name: 'Ben', affiliation: 'faculty' };
const prompts = ['What is working?', 'What should change?'];

function reason(fn: () => unknown): string | undefined {
	try {
		fn();
	} catch (error) {
		if (error instanceof InvalidInputError) return `${error.field}:${error.reason ?? ''}`;
		throw error;
	}
	return undefined;
}

describe('check-in rounds', () => {
	it('opens a round with cleaned prompts, takes named answers, closes and reopens', () => {
		const doc = new Y.Doc();
		const goal = addGoal(doc, { title: 'Youth summer jobs' }, ana, 1);
		const round = openRound(doc, { title: ' Spring check-in ', prompts: [' What is working? ', '', 'What should change?'], anonymous: false }, ana, 5);
		expect(readRound(doc, round)).toEqual({
			id: round,
			title: 'Spring check-in',
			prompts,
			anonymous: false,
			status: 'open',
			openedBy: ana,
			openedAt: 5,
			closedAt: null,
			deletedAt: null
		});
		const answer = answerRound(doc, round, { prompt: 1, text: ' More evening hours ', goal }, ben, 7);
		expect(readResponse(doc, answer)).toEqual({
			id: answer,
			round,
			prompt: 1,
			text: 'More evening hours',
			goal,
			createdBy: ben,
			createdAt: 7,
			updatedAt: 7,
			deletedAt: null
		});
		expect(editAnswer(doc, answer, { text: 'More evening hours at the library' }, 8)).toBe(true);
		expect(editAnswer(doc, answer, { text: 'More evening hours at the library' }, 9)).toBe(false);
		expect(editAnswer(doc, answer, { text: 'More evening hours at the library', goal: null }, 9)).toBe(true);
		expect(readResponse(doc, answer)).toMatchObject({ text: 'More evening hours at the library', goal: null, updatedAt: 9 });

		closeRound(doc, round, 10);
		expect(readRound(doc, round)).toMatchObject({ status: 'closed', closedAt: 10 });
		expect(reason(() => answerRound(doc, round, { prompt: 0, text: 'late' }, ben, 11))).toBe('round:closed');
		expect(reason(() => editAnswer(doc, answer, { text: 'changed after closing' }, 11))).toBe('round:closed');
		reopenRound(doc, round);
		expect(readRound(doc, round)).toMatchObject({ status: 'open', closedAt: null });

		withdrawAnswer(doc, answer, 12);
		expect(readResponse(doc, answer)?.deletedAt).toBe(12);
	});

	it('refuses bad rounds and answers without changing anything', () => {
		const doc = new Y.Doc();
		expect(reason(() => openRound(doc, { title: '', prompts, anonymous: false }, ana))).toBe('title:');
		expect(reason(() => openRound(doc, { title: 'Check-in', prompts: ['  '], anonymous: false }, ana))).toBe('prompts:');
		expect(reason(() => openRound(doc, { title: 'Check-in', prompts: Array(7).fill('Why?'), anonymous: false }, ana))).toBe('prompts:');
		const round = openRound(doc, { title: 'Check-in', prompts, anonymous: false }, ana);
		const before = Y.encodeStateVector(doc);
		expect(reason(() => answerRound(doc, round, { prompt: 2, text: 'no such prompt' }, ben))).toBe('prompt:');
		expect(reason(() => answerRound(doc, round, { prompt: 0, text: '   ' }, ben))).toBe('text:');
		expect(reason(() => answerRound(doc, round, { prompt: 0, text: 'x'.repeat(2001) }, ben))).toBe('text:');
		expect(reason(() => answerRound(doc, round, { prompt: 0, text: 'ok', goal: 'nosuchgoal000000' }, ben))).toBe('goal:');
		expect(reason(() => answerRound(doc, 'nosuchround00000', { prompt: 0, text: 'ok' }, ben))).toBe('round:');
		// Invisible characters alone are no answer; a goal since removed is no goal.
		expect(reason(() => answerRound(doc, round, { prompt: 0, text: '\u200b\u202e\u0007 \u200b' }, ben))).toBe('text:');
		expect(Y.encodeStateVector(doc)).toEqual(before);
		const gone = addGoal(doc, { title: 'Removed goal' }, ana);
		deleteGoal(doc, gone, ana);
		const afterGoal = Y.encodeStateVector(doc);
		expect(reason(() => answerRound(doc, round, { prompt: 0, text: 'ok', goal: gone }, ben))).toBe('goal:');
		expect(Y.encodeStateVector(doc)).toEqual(afterGoal);
		const id = answerRound(doc, round, { prompt: 0, text: 'Line one\nLine\u200b two\u202e e\u0301\u0301\u0301\u0301\u0301' }, ben);
		expect(readResponse(doc, id)?.text).toBe('Line one\nLine two \u00e9\u0301\u0301\u0301');
	});

	it('never writes a participant’s own answer to an anonymous round; the server’s write has no contributor', () => {
		const doc = new Y.Doc();
		const round = openRound(doc, { title: 'Candid check-in', prompts, anonymous: true }, ana);
		expect(reason(() => answerRound(doc, round, { prompt: 0, text: 'Honest thoughts' }, ben))).toBe('round:anonymous');
		const id = writeAnonymousAnswer(doc, round, { prompt: 0, text: 'Honest thoughts' }, 20);
		const stored = doc.getMap('responses').get(id) as Y.Map<unknown>;
		expect([...stored.keys()].sort()).toEqual(['createdAt', 'id', 'prompt', 'round', 'text', 'updatedAt']);
		expect(readAllResponses(doc)).toEqual([
			{ id, round, prompt: 0, text: 'Honest thoughts', goal: null, createdBy: null, createdAt: 20, updatedAt: 20, deletedAt: null }
		]);
	});

	it('reads whatever a peer wrote without failing: bad prompts and answers are cleaned or skipped', () => {
		const doc = new Y.Doc();
		const rounds = doc.getMap('rounds');
		const responses = doc.getMap('responses');
		doc.transact(() => {
			const round = new Y.Map<unknown>();
			round.set('title', 42);
			round.set('prompts', ['ok', 7, 'x'.repeat(400)]);
			round.set('status', 'weird');
			rounds.set('roundroundround1', round);
			const bad = new Y.Map<unknown>();
			bad.set('round', 'roundroundround1');
			bad.set('prompt', -1);
			responses.set('answeranswerans1', bad);
			rounds.set('notanentryatall', 'text');
		});
		expect(readRound(doc, 'roundroundround1')).toMatchObject({ title: '', prompts: ['ok', 'x'.repeat(280)], status: 'open', anonymous: false });
		expect(readAllResponses(doc)).toEqual([]);
	});
});

describe('goal progress', () => {
	it('keeps every status change as history: who, when, from → to and a note', () => {
		const doc = new Y.Doc();
		const goal = addGoal(doc, { title: 'Youth summer jobs' }, ana, 1);
		updateGoal(doc, goal, { status: 'active' }, ben, 2, undefined, ' Library agreed to host ');
		updateGoal(doc, goal, { title: 'Youth summer jobs 2027' }, ben, 3);
		updateGoal(doc, goal, { status: 'achieved', nextSteps: 'Plan a second summer' }, ana, 4);
		expect(readAllProgress(doc).map(({ goal: g, from, to, note, by, at }) => ({ g, from, to, note, by: by?.name, at }))).toEqual([
			{ g: goal, from: null, to: 'proposed', note: '', by: 'Ana', at: 1 },
			{ g: goal, from: 'proposed', to: 'active', note: 'Library agreed to host', by: 'Ben', at: 2 },
			{ g: goal, from: 'active', to: 'achieved', note: '', by: 'Ana', at: 4 }
		]);
		expect(readAllProgress(doc)[0].id).toBe(goal);
	});

	it('two people changing a status at once both stay in the timeline', () => {
		const net = new TestNetwork(2);
		const [a, b] = net.peers;
		const goal = addGoal(a.doc, { title: 'Shared garden' }, ana, 1);
		net.flush();
		net.disconnect(a);
		net.disconnect(b);
		updateGoal(a.doc, goal, { status: 'active' }, ana, 2);
		updateGoal(b.doc, goal, { status: 'paused' }, ben, 2);
		net.flush();
		net.compare();
		expect(readAllProgress(a.doc).map((entry) => entry.to).sort()).toEqual(['active', 'paused', 'proposed']);
	});
});

describe('migration 1 → 2', () => {
	function schemaOneMap(): Y.Doc {
		// What the earlier version wrote: meta at version 1 and goals with only their latest status.
		const doc = new Y.Doc();
		initMap(doc, { title: 'Eastside strengths' }, 1);
		doc.getMap('meta').set('schemaVersion', 1);
		for (const [id, status, updatedAt] of [
			['goalgoalgoal0001', 'active', 50],
			['goalgoalgoal0002', 'achieved', 60]
		] as const) {
			const goal = new Y.Map<unknown>();
			for (const [key, value] of Object.entries({ id, title: id, status, horizon: 'short', createdAt: 1, updatedAt, updatedBy: ana })) goal.set(key, value);
			doc.getMap('goals').set(id, goal);
		}
		return doc;
	}

	it('bumps the version and starts each goal’s timeline with its status, once', () => {
		const doc = schemaOneMap();
		expect(migrateDoc(doc, 99)).toBe(true);
		expect(readMeta(doc).schemaVersion).toBe(2);
		expect(readAllProgress(doc).map(({ id, goal, from, to, at }) => ({ id, goal, from, to, at }))).toEqual([
			{ id: 'goalgoalgoal0001', goal: 'goalgoalgoal0001', from: null, to: 'active', at: 50 },
			{ id: 'goalgoalgoal0002', goal: 'goalgoalgoal0002', from: null, to: 'achieved', at: 60 }
		]);
		const state = Y.encodeStateVector(doc);
		expect(migrateDoc(doc, 100)).toBe(false);
		expect(Y.encodeStateVector(doc)).toEqual(state);
	});

	it('two copies migrated apart converge to one entry per goal', () => {
		const original = schemaOneMap();
		const a = new Y.Doc();
		const b = new Y.Doc();
		Y.applyUpdate(a, Y.encodeStateAsUpdate(original));
		Y.applyUpdate(b, Y.encodeStateAsUpdate(original));
		migrateDoc(a, 1);
		migrateDoc(b, 2);
		Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
		Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
		expect(readAllProgress(a)).toHaveLength(2);
		expect(readAllProgress(a)).toEqual(readAllProgress(b));
	});

	it('leaves an empty document and a newer one alone', () => {
		const empty = new Y.Doc();
		expect(migrateDoc(empty)).toBe(false);
		const newer = new Y.Doc();
		initMap(newer, { title: 'From the future' });
		newer.getMap('meta').set('schemaVersion', 3);
		expect(migrateDoc(newer)).toBe(false);
		expect(readMeta(newer).schemaVersion).toBe(3);
	});
});
