/**
 * The history's sentences for schema 2's records (src/lib/history-labels.ts), on a fixture
 * map made with the real mutations and records shaped as the server's journal writes them
 * (server/room/journal.ts: a new entry with all its fields, a change with the fields it
 * wrote, a withdrawal as `delete` with `deletedAt`), parsed as the page parses the API's
 * answer: rounds opened, closed, reopened and edited; answers added (named, and anonymous
 * with nobody named), edited, withdrawn by their author or removed by a facilitator; goal
 * progress from → to with its note; next steps written and cleared.
 */
import { describe, expect, it } from 'vitest';
import { createDoc, readAllProgress, readGoal, readResponse, readRound } from '../../src/lib/doc/schema.ts';
import { answerRound, closeRound, openRound, withdrawAnswer, writeAnonymousAnswer } from '../../src/lib/doc/round-mutations.ts';
import { addGoal, updateGoal } from '../../src/lib/doc/goal-mutations.ts';
import type { Contributor } from '../../src/lib/doc/model.ts';
import { parseHistoryPage, type HistoryCollection, type HistoryEntry } from '../../src/lib/history.ts';
import { docLookups, historyDetail, historyLabel, historyWho, type HistoryLookups } from '../../src/lib/history-labels.ts';

const fatima: Contributor = { id: 'fatima', name: 'Fatima', affiliation: 'campus-staff' };
const maria: Contributor = { id: 'maria', name: 'Maria', affiliation: 'community-organization' };
const jo: Contributor = { id: 'jo', name: 'Jo', affiliation: 'student' };
const PROMPTS = ['What is working?', 'What should change?'];

function fixture() {
	const doc = createDoc();
	const youth = addGoal(doc, { title: 'Youth jobs' }, fatima, 1_000);
	updateGoal(doc, youth, { status: 'active' }, maria, 1_100, undefined, 'The bakery took two apprentices');
	const named = openRound(doc, { title: 'Mid-term check-in', prompts: PROMPTS, anonymous: false }, fatima, 2_000);
	const marias = answerRound(doc, named, { prompt: 0, text: 'The tool library' }, maria, 2_100);
	const jos = answerRound(doc, named, { prompt: 1, text: 'Meet in the evening' }, jo, 2_200);
	const fatimas = answerRound(doc, named, { prompt: 1, text: 'Shorter agendas' }, fatima, 2_300);
	const honest = openRound(doc, { title: 'Honest check-in', prompts: PROMPTS, anonymous: true }, fatima, 3_000);
	const anonymous = writeAnonymousAnswer(doc, honest, { prompt: 0, text: 'More time to talk' }, 3_100);
	withdrawAnswer(doc, jos, 3_200);
	closeRound(doc, named, 4_000);

	const lookups: HistoryLookups = {
		nameOf: (collection: HistoryCollection, id: string) =>
			collection === 'rounds' ? (readRound(doc, id)?.title ?? null) : collection === 'goals' ? (readGoal(doc, id)?.title ?? null) : null,
		...docLookups(doc)
	};
	return { doc, youth, named, honest, marias, jos, fatimas, anonymous, lookups };
}

const who = {
	fatima: { role: 'facilitator', name: 'Fatima', affiliation: 'campus-staff' },
	maria: { role: 'editor', name: 'Maria', affiliation: 'community-organization' },
	jo: { role: 'editor', name: 'Jo', affiliation: 'student' }
};

/** One record as the API returns it, parsed as the page parses it. */
function record(collection: HistoryCollection, entry: string, kind: string, fields: Record<string, unknown>, author: Record<string, unknown> = who.fatima): HistoryEntry {
	const [parsed] = parseHistoryPage({ entries: [{ at: 5_000, collection, entry, kind, fields, ...author }], next: null }).entries;
	if (!parsed) throw new Error('record did not parse');
	return parsed;
}

/** A new answer's record: every field of the entry, as the journal writes a create. */
function answerCreated(doc: ReturnType<typeof createDoc>, id: string, author: Record<string, unknown>) {
	const answer = readResponse(doc, id)!;
	const fields: Record<string, unknown> = { id, round: answer.round, prompt: answer.prompt, text: answer.text, createdAt: answer.createdAt, updatedAt: answer.updatedAt };
	if (answer.createdBy) fields.createdBy = answer.createdBy;
	return record('responses', id, 'create', fields, author);
}

describe('history labels: rounds', () => {
	it('say which round was opened, closed, reopened, edited, deleted and restored', () => {
		const { named, lookups } = fixture();
		const label = (kind: string, fields: Record<string, unknown>) => historyLabel(record('rounds', named, kind, fields), lookups);
		expect(label('create', { id: named, title: 'Mid-term check-in', prompts: PROMPTS, anonymous: false, status: 'open', openedAt: 2_000 })).toBe('Opened the round “Mid-term check-in”');
		// A change holds only what it wrote: the title comes from the map.
		expect(label('update', { status: 'closed', closedAt: 4_000 })).toBe('Closed the round “Mid-term check-in”');
		expect(label('update', { status: 'open', closedAt: null })).toBe('Reopened the round “Mid-term check-in”');
		expect(label('update', { title: 'After the site visit' })).toBe('Edited the round “After the site visit”');
		expect(label('update', { prompts: ['What is working?'] })).toBe('Edited the round “Mid-term check-in”');
		expect(label('delete', {})).toBe('Deleted the round “Mid-term check-in”');
		expect(label('restore', { deletedAt: null })).toBe('Restored the round “Mid-term check-in”');
	});

	it('a round the map does not know is “a check-in round”', () => {
		const { lookups } = fixture();
		expect(historyLabel(record('rounds', 'r-unknown-0000000', 'update', { status: 'closed' }), lookups)).toBe('Closed a check-in round');
	});
});

describe('history labels: answers', () => {
	it('a named answer says which prompt it answered, from the round in the map', () => {
		const { doc, marias, lookups } = fixture();
		const entry = answerCreated(doc, marias, who.maria);
		expect(historyLabel(entry, lookups)).toBe('Answered “What is working?”');
		expect(historyDetail(entry)).toBe('The tool library');
		expect(historyWho(entry)).toBe('Maria (Community organization), Participant');
	});

	it('an anonymous answer names nobody, whatever the record carried', () => {
		const { doc, anonymous, lookups } = fixture();
		const entry = answerCreated(doc, anonymous, { role: 'anonymous', name: 'Leaked', affiliation: 'student' });
		expect(entry.anonymous).toBe(true);
		expect(historyLabel(entry, lookups)).toBe('Someone answered anonymously');
		expect(historyWho(entry)).toBe('Anonymous (no name is kept)');
		for (const line of [historyLabel(entry, lookups), historyWho(entry), historyDetail(entry)]) {
			expect(line).not.toMatch(/Leaked|Student|server/i);
		}
	});

	it('an edit finds the prompt through the answer (the record holds only the new text)', () => {
		const { doc, marias, anonymous, lookups } = fixture();
		expect(historyLabel(record('responses', marias, 'update', { text: 'The tool library and its ladders' }, who.maria), lookups)).toBe('Edited their answer to “What is working?”');
		expect(historyDetail(record('responses', marias, 'update', { text: 'x' }, who.maria))).toBeNull();
		// A facilitator correcting someone else's answer, or an anonymous one.
		expect(historyLabel(record('responses', marias, 'update', { text: 'Tool library' }), lookups)).toBe('Edited an answer to “What is working?”');
		expect(historyLabel(record('responses', anonymous, 'update', { text: 'Time to talk' }), lookups)).toBe('Edited an answer to “What is working?”');
		expect(readResponse(doc, marias)?.createdBy?.name).toBe('Maria');
	});

	it('an author withdraws their answer; a facilitator removes someone else’s, or an anonymous one', () => {
		const { jos, fatimas, anonymous, lookups } = fixture();
		const withdrawn = { deletedAt: 3_200 };
		expect(historyLabel(record('responses', jos, 'delete', withdrawn, who.jo), lookups)).toBe('Withdrew their answer to “What should change?”');
		expect(historyLabel(record('responses', jos, 'delete', withdrawn, who.fatima), lookups)).toBe('Removed an answer to “What should change?”');
		expect(historyLabel(record('responses', anonymous, 'delete', withdrawn, who.fatima), lookups)).toBe('Removed an anonymous answer to “What is working?”');
		// The facilitator's own named answer.
		expect(historyLabel(record('responses', fatimas, 'delete', withdrawn, who.fatima), lookups)).toBe('Withdrew their answer to “What should change?”');
		expect(historyLabel(record('responses', jos, 'restore', { deletedAt: null }, who.fatima), lookups)).toBe('Restored an answer to “What should change?”');
	});

	it('an answer or prompt the map does not know is “a check-in prompt”', () => {
		const { named, lookups } = fixture();
		expect(historyLabel(record('responses', 'a-unknown-0000000', 'create', { round: named, prompt: 5, text: 'x' }, who.maria), lookups)).toBe('Answered a check-in prompt');
		expect(historyLabel(record('responses', 'a-unknown-0000000', 'delete', { deletedAt: 1 }, who.maria), lookups)).toBe('Withdrew their answer to a check-in prompt');
	});
});

describe('history labels: goal progress and next steps', () => {
	it('a status change reads from → to, with its note; a goal’s first entry reads where it started', () => {
		const { doc, youth, lookups } = fixture();
		const [first, moved] = readAllProgress(doc);
		const entry = (progress: typeof first, author = who.maria) =>
			record('progress', progress.id, 'create', { id: progress.id, goal: progress.goal, ...(progress.from ? { from: progress.from } : {}), to: progress.to, ...(progress.note ? { note: progress.note } : {}), by: progress.by, at: progress.at }, author);
		expect(historyLabel(entry(moved), lookups)).toBe('Moved “Youth jobs” from Proposed to Active');
		expect(historyDetail(entry(moved))).toBe('The bakery took two apprentices');
		expect(historyLabel(entry(first, who.fatima), lookups)).toBe('Set “Youth jobs” to Proposed');
		expect(historyDetail(entry(first, who.fatima))).toBeNull();
		// A goal the map no longer knows, and a facilitator's correction of an entry.
		expect(historyLabel(record('progress', 'p1', 'create', { goal: 'g-gone-000000000', from: 'active', to: 'achieved' }), lookups)).toBe('Moved a goal from Active to Achieved');
		expect(historyLabel(record('progress', moved.id, 'update', { note: 'Two apprentices' }), lookups)).toBe('Corrected the timeline of a goal');
		expect(historyLabel(record('progress', moved.id, 'update', { goal: youth, note: 'Two apprentices' }), lookups)).toBe('Corrected the timeline of the goal “Youth jobs”');
	});

	it('next steps written on a goal, or cleared; other goal changes are left to the panel', () => {
		const { youth, lookups } = fixture();
		expect(historyLabel(record('goals', youth, 'update', { nextSteps: 'Ask the library for a room', updatedAt: 6_000 }, who.maria), lookups)).toBe('Wrote next steps for the goal “Youth jobs”');
		expect(historyLabel(record('goals', youth, 'update', { nextSteps: null }, who.maria), lookups)).toBe('Cleared the next steps of the goal “Youth jobs”');
		expect(historyLabel(record('goals', youth, 'update', { status: 'achieved' }, who.maria), lookups)).toBeNull();
		expect(historyLabel(record('goals', youth, 'create', { title: 'Youth jobs' }, who.maria), lookups)).toBeNull();
	});

	it('leaves assets, links and the map’s settings to the panel', () => {
		const { lookups } = fixture();
		expect(historyLabel(record('assets', 'a1', 'create', { name: 'Library' }), lookups)).toBeNull();
		expect(historyLabel(record('links', 'supports:a:b', 'create', {}), lookups)).toBeNull();
		expect(historyLabel(record('meta', 'meta', 'update', { locked: true }), lookups)).toBeNull();
		expect(historyWho(record('meta', 'meta', 'update', { schemaVersion: 2 }, { role: 'server', name: '', affiliation: null }))).toBe('The server');
	});
});
