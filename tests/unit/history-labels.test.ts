/**
 * The history's sentences for schema 2's records (src/lib/history-labels.ts), on a fixture
 * map made with the real mutations and records shaped as the server's journal writes them
 * (server/room/journal.ts: a new entry with all its fields, a change with the fields it
 * wrote, a withdrawal as `delete` with `deletedAt`), parsed as the page parses the API's
 * answer: rounds opened, closed, reopened and edited; answers added (named, and anonymous
 * with nobody named), edited, withdrawn by their author or removed by a facilitator; goal
 * progress from → to with its note; next steps written and cleared; links as sentences
 * ("Tied “…” to the goal “…”", "Connected “…” and “…”"); the records one change wrote twice
 * folded into one; field lists left off where the sentence says it all; and the text of a
 * withdrawn answer kept from everyone but facilitators.
 */
import { describe, expect, it } from 'vitest';
import { createDoc, readAllProgress, readGoal, readResponse, readRound } from '../../src/lib/doc/schema.ts';
import { answerRound, closeRound, openRound, withdrawAnswer, writeAnonymousAnswer } from '../../src/lib/doc/round-mutations.ts';
import { addGoal, updateGoal } from '../../src/lib/doc/goal-mutations.ts';
import type { Contributor } from '../../src/lib/doc/model.ts';
import { parseHistoryPage, type HistoryCollection, type HistoryEntry } from '../../src/lib/history.ts';
import { answerTextWithheld, docLookups, historyDetail, historyFolded, historyLabel, historyShowsFields, historyWho, linkEnds, type HistoryLookups } from '../../src/lib/history-labels.ts';
import { supportsLinkId, connectsLinkId } from '../../src/lib/doc/ids.ts';

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

	const assets: Record<string, string> = { garden: 'Norris Square community garden', library: 'Tool library' };
	const lookups: HistoryLookups = {
		nameOf: (collection: HistoryCollection, id: string) =>
			collection === 'rounds'
				? (readRound(doc, id)?.title ?? null)
				: collection === 'goals'
					? (readGoal(doc, id)?.title ?? null)
					: collection === 'assets'
						? (assets[id] ?? null)
						: null,
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
function record(collection: HistoryCollection, entry: string, kind: string, fields: Record<string, unknown>, author: Record<string, unknown> = who.fatima, at = 5_000): HistoryEntry {
	const [parsed] = parseHistoryPage({ entries: [{ at, collection, entry, kind, fields, ...author }], next: null }).entries;
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
		expect(historyLabel(entry, lookups)).toBe('Someone answered “Honest check-in” anonymously');
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
		expect(historyLabel(record('responses', jos, 'delete', withdrawn, who.fatima), lookups)).toBe('Removed Jo’s answer to “What should change?”');
		expect(historyLabel(record('responses', anonymous, 'delete', withdrawn, who.fatima), lookups)).toBe('Removed an anonymous answer to “What is working?”');
		// The facilitator's own named answer.
		expect(historyLabel(record('responses', fatimas, 'delete', withdrawn, who.fatima), lookups)).toBe('Withdrew their answer to “What should change?”');
		expect(historyLabel(record('responses', jos, 'restore', { deletedAt: null }, who.fatima), lookups)).toBe('Restored an answer to “What should change?”');
	});

	it('an answer or prompt the map does not know is “a check-in prompt”', () => {
		const { named, lookups } = fixture();
		expect(historyLabel(record('responses', 'a-unknown-0000000', 'create', { round: named, prompt: 5, text: 'x' }, who.maria), lookups)).toBe('Answered a check-in prompt');
		expect(historyLabel(record('responses', 'a-unknown-0000000', 'delete', { deletedAt: 1 }, who.maria), lookups)).toBe('Withdrew their answer to a check-in prompt');
		// Removed by a facilitator, and the map has no copy to say whose it was: not called anonymous.
		expect(historyLabel(record('responses', 'a-unknown-0000000', 'delete', { deletedAt: 1 }), lookups)).toBe('Removed an answer to a check-in prompt');
		// An anonymous answer to a round the map does not know.
		expect(historyLabel(record('responses', 'a-unknown-0000000', 'create', { round: 'r-gone-00000000', prompt: 0, text: 'x' }, { role: 'anonymous', name: '', affiliation: null }), lookups)).toBe(
			'Someone answered a check-in round anonymously'
		);
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
		// A status alone reads as a sentence, never "Changed Status of …".
		expect(historyLabel(record('goals', youth, 'update', { status: 'achieved', updatedAt: 6_000 }, who.maria), lookups)).toBe('Set “Youth jobs” to Achieved');
		expect(historyLabel(record('goals', youth, 'update', { status: 'achieved', title: 'Jobs' }, who.maria), lookups)).toBeNull();
		expect(historyLabel(record('goals', youth, 'create', { title: 'Youth jobs' }, who.maria), lookups)).toBeNull();
	});

	it('leaves assets, links and the map’s settings to the panel', () => {
		const { lookups } = fixture();
		expect(historyLabel(record('assets', 'a1', 'create', { name: 'Library' }), lookups)).toBeNull();
		expect(historyLabel(record('links', 'odd-link-key', 'create', {}), lookups)).toBeNull();
		expect(historyLabel(record('meta', 'meta', 'update', { locked: true }), lookups)).toBeNull();
		expect(historyWho(record('meta', 'meta', 'update', { schemaVersion: 2 }, { role: 'server', name: '', affiliation: null }))).toBe('The server');
	});
});

describe('history labels: links', () => {
	it('a goal tie and a connection read as sentences with the names from the map', () => {
		const { youth, lookups } = fixture();
		const tie = supportsLinkId('garden', youth);
		const connection = connectsLinkId('library', 'garden');
		expect(historyLabel(record('links', tie, 'create', { id: tie, kind: 'supports', from: 'garden', to: youth, note: '' }), lookups)).toBe('Tied “Norris Square community garden” to the goal “Youth jobs”');
		expect(historyLabel(record('links', connection, 'create', { id: connection, kind: 'connects', from: 'garden', to: 'library' }), lookups)).toBe('Connected “Norris Square community garden” and “Tool library”');
		// A removal holds only `deletedAt`: the ends come from the link's derived id.
		expect(historyLabel(record('links', tie, 'delete', { deletedAt: 6_000 }), lookups)).toBe('Untied “Norris Square community garden” from the goal “Youth jobs”');
		expect(historyLabel(record('links', connection, 'delete', { deletedAt: 6_000 }), lookups)).toBe('Took away the connection between “Norris Square community garden” and “Tool library”');
		expect(historyLabel(record('links', tie, 'restore', { deletedAt: null }), lookups)).toBe('Tied “Norris Square community garden” to the goal “Youth jobs” again');
		expect(historyLabel(record('links', tie, 'update', { note: 'Seedlings for the youth crew' }), lookups)).toBe('Changed how “Norris Square community garden” supports the goal “Youth jobs”');
		expect(linkEnds(record('links', connection, 'delete', {}))).toEqual({ kind: 'connects', from: 'garden', to: 'library' });
	});

	it('ends the map does not know are “an asset” and “a goal”', () => {
		const { lookups } = fixture();
		expect(historyLabel(record('links', supportsLinkId('gone', 'g-gone'), 'create', { kind: 'supports', from: 'gone', to: 'g-gone' }), lookups)).toBe('Tied an asset to a goal');
		// The ends in the id's (sorted) order.
		expect(historyLabel(record('links', connectsLinkId('gone', 'garden'), 'create', {}), lookups)).toBe('Connected “Norris Square community garden” and an asset');
	});
});

describe('history: what is said once, and what is left off', () => {
	it('a goal’s status change is one entry: its own record is folded into the progress record nearby', () => {
		const { youth } = fixture();
		const entries = [
			record('goals', youth, 'update', { nextSteps: 'Ask the library', updatedAt: 9_000 }, who.fatima, 9_000),
			record('goals', youth, 'update', { status: 'active', updatedAt: 8_000, updatedBy: fatima }, who.fatima, 8_000),
			record('progress', 'p-moved', 'create', { goal: youth, from: 'proposed', to: 'active', note: 'Agreed' }, who.fatima, 8_000),
			// The same change long after, with no progress record near it: kept.
			record('goals', youth, 'update', { status: 'paused' }, who.fatima, 60_000)
		];
		expect([...historyFolded(entries)]).toEqual([1]);
	});

	it('a new goal is one entry: its first progress record (no from, no note) folds into "Added the goal"', () => {
		const { youth } = fixture();
		const entries = [
			record('progress', 'p-first', 'create', { goal: youth, to: 'proposed' }, who.fatima, 1_000),
			record('goals', youth, 'create', { id: youth, title: 'Youth jobs', status: 'proposed' }, who.fatima, 1_000),
			// A first record with a note says something: kept. Another person's: kept.
			record('progress', 'p-noted', 'create', { goal: youth, to: 'proposed', note: 'From the listening session' }, who.fatima, 1_000),
			record('progress', 'p-other', 'create', { goal: youth, to: 'proposed' }, who.maria, 1_000)
		];
		expect([...historyFolded(entries)]).toEqual([0]);
	});

	it('a status moved by one person is not folded into another’s progress record', () => {
		const { youth } = fixture();
		const entries = [record('goals', youth, 'update', { status: 'active' }, who.maria, 8_000), record('progress', 'p', 'create', { goal: youth, from: 'proposed', to: 'active' }, who.fatima, 8_000)];
		expect(historyFolded(entries).size).toBe(0);
	});

	it('no field list where the sentence says it all (“Closed the round …” needs no “Status: Closed”)', () => {
		const { named, youth } = fixture();
		expect(historyShowsFields(record('rounds', named, 'update', { status: 'closed', closedAt: 4_000 }))).toBe(false);
		expect(historyShowsFields(record('rounds', named, 'update', { status: 'open', closedAt: null }))).toBe(false);
		expect(historyShowsFields(record('rounds', named, 'update', { title: 'After the site visit' }))).toBe(true);
		expect(historyShowsFields(record('goals', youth, 'update', { status: 'active', updatedAt: 1 }))).toBe(false);
		expect(historyShowsFields(record('goals', youth, 'update', { nextSteps: 'Ask the library' }))).toBe(true);
		expect(historyShowsFields(record('links', supportsLinkId('garden', youth), 'create', { kind: 'supports', from: 'garden', to: youth }))).toBe(false);
		expect(historyShowsFields(record('assets', 'garden', 'update', { name: 'Garden' }))).toBe(true);
	});

	it('the text of a withdrawn or removed answer is kept from everyone but facilitators', () => {
		const { doc, jos, marias, lookups } = fixture();
		const withdrawn = answerCreated(doc, jos, who.jo);
		const live = answerCreated(doc, marias, who.maria);
		expect(answerTextWithheld(withdrawn, lookups, false)).toBe(true);
		expect(answerTextWithheld(record('responses', jos, 'update', { text: 'Meet on weekday evenings' }, who.jo), lookups, false)).toBe(true);
		expect(answerTextWithheld(withdrawn, lookups, true)).toBe(false);
		expect(answerTextWithheld(live, lookups, false)).toBe(false);
		// An answer the map has no copy of: not shown either.
		expect(answerTextWithheld(record('responses', 'a-unknown-0000000', 'create', { text: 'x' }), lookups, false)).toBe(true);
		// Only answers: a goal's note is not an answer.
		expect(answerTextWithheld(record('progress', 'p', 'create', { note: 'x' }), lookups, false)).toBe(false);
	});
});
