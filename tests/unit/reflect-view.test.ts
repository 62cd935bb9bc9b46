/**
 * The Reflect tab's pure parts on a fixture document made with the real mutations: rounds
 * in order and the current one; answers grouped by prompt and by goal with exact counts
 * (withdrawn answers, answers to other rounds and to removed goals handled); a goal's
 * timeline; what an anonymous answer's POST looks like and what each answer means; and the
 * refusals in the person's words.
 */
import { describe, expect, it } from 'vitest';
import { createDoc, readAllGoals, readAllProgress, readAllResponses, readAllRounds } from '../../src/lib/doc/schema.ts';
import { answerRound, closeRound, openRound, withdrawAnswer, writeAnonymousAnswer } from '../../src/lib/doc/round-mutations.ts';
import { addGoal, deleteGoal, updateGoal } from '../../src/lib/doc/goal-mutations.ts';
import type { Contributor, Round } from '../../src/lib/doc/model.ts';
import { answerActions, answerCounts, canChangeAnswer, currentRound, groupByGoal, groupByPrompt, ownRemovals, roundAnswers, roundFromForm, roundsInOrder } from '../../src/lib/round-view.ts';
import { goalTimeline, timelines } from '../../src/lib/goal-timeline.ts';
import { outcomeOf, sendAnonymousAnswer } from '../../src/lib/anonymous-answer.ts';
import { reflectErrorMessage } from '../../src/lib/reflect-errors.ts';
import { InvalidInputError } from '../../src/lib/doc/validate.ts';
import { t } from '../../src/lib/i18n/index.ts';
import { en } from '../../src/lib/i18n/en.ts';

const fatima: Contributor = { id: 'fatima', name: 'Fatima', affiliation: 'campus-staff' };
const maria: Contributor = { id: 'maria', name: 'Maria', affiliation: 'community-organization' };
const jo: Contributor = { id: 'jo', name: 'Jo', affiliation: 'student' };
const PROMPTS = ['What is working?', 'What should change?', 'Which goals moved forward, and what comes next?'];

/** Two goals (one later deleted), a named round with seven answers, an anonymous round with three. */
function fixture() {
	const doc = createDoc();
	const garden = addGoal(doc, { title: 'Fresh food within walking distance' }, fatima, 1_000);
	const youth = addGoal(doc, { title: 'Young people lead a summer arts festival', horizon: 'long' }, fatima, 1_100);
	const gone = addGoal(doc, { title: 'A goal removed later' }, fatima, 1_200);
	const named = openRound(doc, { title: 'Mid-workshop', prompts: PROMPTS, anonymous: false }, fatima, 2_000);
	const a1 = answerRound(doc, named, { prompt: 0, text: 'The tool library', goal: garden }, maria, 2_100);
	answerRound(doc, named, { prompt: 0, text: 'Weekly walks', goal: null }, jo, 2_200);
	answerRound(doc, named, { prompt: 0, text: 'Murals', goal: youth }, jo, 2_300);
	answerRound(doc, named, { prompt: 1, text: 'Meet in the evening', goal: garden }, maria, 2_400);
	answerRound(doc, named, { prompt: 2, text: 'The festival has a venue', goal: youth }, fatima, 2_500);
	answerRound(doc, named, { prompt: 2, text: 'Pantry hours', goal: gone }, maria, 2_600);
	const withdrawn = answerRound(doc, named, { prompt: 1, text: 'Taken back', goal: garden }, jo, 2_700);
	withdrawAnswer(doc, withdrawn, 2_800);
	deleteGoal(doc, gone, fatima, 2_900);
	const anonymous = openRound(doc, { title: 'Honest check-in', prompts: PROMPTS.slice(0, 2), anonymous: true }, fatima, 3_000);
	writeAnonymousAnswer(doc, anonymous, { prompt: 1, text: 'More time to talk', goal: garden }, 3_100);
	writeAnonymousAnswer(doc, anonymous, { prompt: 1, text: 'Smaller groups' }, 3_200);
	writeAnonymousAnswer(doc, anonymous, { prompt: 0, text: 'Food together' }, 3_300);
	return { doc, garden, youth, gone, named, anonymous, a1, withdrawn };
}

const round = (doc: ReturnType<typeof createDoc>, id: string) => readAllRounds(doc).find((r) => r.id === id)!;
const texts = (answers: { text: string }[]) => answers.map((answer) => answer.text);

describe('rounds in order', () => {
	it('lists open rounds first, newest first, then closed ones; the current round is the newest open one', () => {
		const { doc, named, anonymous } = fixture();
		expect(roundsInOrder(readAllRounds(doc)).map((r) => r.id)).toEqual([anonymous, named]);
		expect(currentRound(readAllRounds(doc))?.id).toBe(anonymous);
		closeRound(doc, anonymous, 4_000);
		// The named round is still open: it comes first and is current.
		expect(roundsInOrder(readAllRounds(doc)).map((r) => r.id)).toEqual([named, anonymous]);
		expect(currentRound(readAllRounds(doc))?.id).toBe(named);
		closeRound(doc, named, 4_100);
		// None open: the most recently opened one is still the one being discussed.
		expect(currentRound(readAllRounds(doc))?.id).toBe(anonymous);
		expect(currentRound([])).toBeNull();
	});

	it('leaves deleted rounds out', () => {
		const { doc, named, anonymous } = fixture();
		const rounds = readAllRounds(doc).map((r): Round => (r.id === anonymous ? { ...r, deletedAt: 5 } : r));
		expect(roundsInOrder(rounds).map((r) => r.id)).toEqual([named]);
	});
});

describe('answers grouped for discussion', () => {
	it('by prompt: one group per prompt in the round’s order, empty ones included, withdrawn answers left out', () => {
		const { doc, named, anonymous } = fixture();
		const responses = readAllResponses(doc);
		const groups = groupByPrompt(round(doc, named), responses);
		expect(groups.map((g) => [g.text, g.answers.length])).toEqual([
			[PROMPTS[0], 3],
			[PROMPTS[1], 1],
			[PROMPTS[2], 2]
		]);
		expect(texts(groups[0].answers)).toEqual(['The tool library', 'Weekly walks', 'Murals']);
		expect(texts(groups[1].answers)).toEqual(['Meet in the evening']);

		const anon = groupByPrompt(round(doc, anonymous), responses);
		expect(anon.map((g) => g.answers.length)).toEqual([1, 2]);
		expect(anon.flatMap((g) => g.answers).every((a) => a.createdBy === null)).toBe(true);
	});

	it('by goal: goals in the order given, then the answers tied to none (or to a removed goal)', () => {
		const { doc, named, anonymous, garden, youth } = fixture();
		const responses = readAllResponses(doc);
		const goals = readAllGoals(doc);
		const order = [goals.find((g) => g.id === youth)!, ...goals.filter((g) => g.id !== youth)];
		const groups = groupByGoal(round(doc, named), responses, order);
		expect(groups.map((g) => [g.goal?.id ?? null, g.answers.length])).toEqual([
			[youth, 2],
			[garden, 2],
			[null, 2]
		]);
		expect(texts(groups[1].answers)).toEqual(['The tool library', 'Meet in the evening']);
		// "Pantry hours" was tied to the goal removed since: it counts as tied to none.
		expect(texts(groups[2].answers)).toEqual(['Weekly walks', 'Pantry hours']);

		const anon = groupByGoal(round(doc, anonymous), responses, goals);
		expect(anon.map((g) => [g.goal?.id ?? null, g.answers.length])).toEqual([
			[garden, 1],
			[null, 2]
		]);
	});

	it('counts every round’s answers, the same total both ways', () => {
		const { doc, named, anonymous } = fixture();
		const rounds = readAllRounds(doc);
		const responses = readAllResponses(doc);
		expect(answerCounts(rounds, responses)).toEqual(
			new Map([
				[named, 6],
				[anonymous, 3]
			])
		);
		for (const r of rounds) {
			const total = roundAnswers(r, responses).length;
			expect(groupByPrompt(r, responses).reduce((sum, g) => sum + g.answers.length, 0)).toBe(total);
			expect(groupByGoal(r, responses, readAllGoals(doc)).reduce((sum, g) => sum + g.answers.length, 0)).toBe(total);
		}
	});

	it('leaves out answers to a prompt the round does not have', () => {
		const { doc, anonymous } = fixture();
		const stray = { ...readAllResponses(doc)[0], id: 'stray', round: anonymous, prompt: 5, deletedAt: null };
		expect(roundAnswers(round(doc, anonymous), [...readAllResponses(doc), stray]).map((a) => a.id)).not.toContain('stray');
	});

	it('lets a person change only their own named answers, while the round is open', () => {
		const { doc, named, anonymous, a1 } = fixture();
		const answer = readAllResponses(doc).find((a) => a.id === a1)!;
		expect(canChangeAnswer(round(doc, named), answer, maria.id)).toBe(true);
		expect(canChangeAnswer(round(doc, named), answer, jo.id)).toBe(false);
		expect(canChangeAnswer(round(doc, named), answer, null)).toBe(false);
		const anonymousAnswer = roundAnswers(round(doc, anonymous), readAllResponses(doc))[0];
		expect(canChangeAnswer(round(doc, anonymous), anonymousAnswer, maria.id)).toBe(false);
		closeRound(doc, named, 9_000);
		expect(canChangeAnswer(round(doc, named), answer, maria.id)).toBe(false);
	});

	it('the author withdraws their own answer; a facilitator removes anyone else’s, anonymous ones too', () => {
		const { doc, named, anonymous, a1 } = fixture();
		const marias = readAllResponses(doc).find((a) => a.id === a1)!;
		const fatimas = roundAnswers(round(doc, named), readAllResponses(doc)).find((a) => a.createdBy?.id === fatima.id)!;
		const anonymousAnswer = roundAnswers(round(doc, anonymous), readAllResponses(doc))[0];
		const none = { edit: false, withdraw: false, remove: false };
		expect(answerActions(round(doc, named), marias, maria.id, false)).toEqual({ edit: true, withdraw: true, remove: false });
		expect(answerActions(round(doc, named), marias, jo.id, false)).toEqual(none);
		expect(answerActions(round(doc, named), marias, fatima.id, true)).toEqual({ edit: false, withdraw: false, remove: true });
		expect(answerActions(round(doc, named), fatimas, fatima.id, true)).toEqual({ edit: true, withdraw: true, remove: false });
		expect(answerActions(round(doc, anonymous), anonymousAnswer, maria.id, false)).toEqual(none);
		expect(answerActions(round(doc, anonymous), anonymousAnswer, fatima.id, true)).toEqual({ edit: false, withdraw: false, remove: true });
		// A closed round: the author can no longer change theirs; the facilitator still withdraws their own and removes others'.
		closeRound(doc, named, 9_000);
		expect(answerActions(round(doc, named), marias, maria.id, false)).toEqual(none);
		expect(answerActions(round(doc, named), fatimas, fatima.id, true)).toEqual({ edit: false, withdraw: true, remove: false });
		expect(answerActions(round(doc, named), marias, fatima.id, true)).toEqual({ edit: false, withdraw: false, remove: true });
	});
});

describe('the open-a-round form', () => {
	it('starts from the three default prompts of the catalog', () => {
		expect([en['rounds.defaultPrompt1'], en['rounds.defaultPrompt2'], en['rounds.defaultPrompt3']]).toEqual(PROMPTS);
	});

	it('sends the title trimmed and the prompts without blanks', () => {
		expect(roundFromForm({ title: '  Check-in ', prompts: [' A ', '', '   ', 'B'], anonymous: true })).toEqual({ title: 'Check-in', prompts: ['A', 'B'], anonymous: true });
	});
});

describe('a goal’s timeline', () => {
	it('starts where the goal did and lists each status change oldest first, with who, when and the note', () => {
		const { doc, garden, youth } = fixture();
		updateGoal(doc, garden, { status: 'active' }, maria, 5_000, undefined, 'The pantry joined');
		updateGoal(doc, garden, { title: 'Fresh food nearby' }, maria, 5_500);
		updateGoal(doc, garden, { status: 'achieved' }, jo, 6_000);
		const entries = goalTimeline(readAllProgress(doc), garden);
		expect(entries.map((e) => [e.from, e.to, e.note, e.who?.name, e.who?.affiliation, e.at])).toEqual([
			[null, 'proposed', '', 'Fatima', 'campus-staff', 1_000],
			['proposed', 'active', 'The pantry joined', 'Maria', 'community-organization', 5_000],
			['active', 'achieved', '', 'Jo', 'student', 6_000]
		]);
		expect(entries[0].id).toBe(garden);
		const all = timelines(readAllProgress(doc));
		expect(all.get(youth)?.length).toBe(1);
		expect(goalTimeline(readAllProgress(doc), 'nope')).toEqual([]);
	});

	it('puts the starting entry first when a change has the same moment', () => {
		const { doc, garden } = fixture();
		updateGoal(doc, garden, { status: 'paused' }, maria, 1_000);
		expect(goalTimeline(readAllProgress(doc), garden).map((e) => e.to)).toEqual(['proposed', 'paused']);
	});
});

describe('an anonymous answer', () => {
	it('is posted to the server with the key in the header and no name in the body', async () => {
		const calls: Array<{ url: string; init: RequestInit }> = [];
		const fake = (async (url: string, init: RequestInit) => {
			calls.push({ url, init });
			return new Response(JSON.stringify({ id: 'abc123' }), { status: 201 });
		}) as unknown as typeof fetch;
		const outcome = await sendAnonymousAnswer('map1', 'round1', 'secret-key', { prompt: 1, text: 'More time', goal: 'g1' }, fake);
		expect(outcome).toEqual({ kind: 'sent', id: 'abc123' });
		expect(calls).toHaveLength(1);
		expect(calls[0].url).toBe('/api/maps/map1/rounds/round1/responses');
		expect(calls[0].init.method).toBe('POST');
		expect((calls[0].init.headers as Record<string, string>).authorization).toBe('Bearer secret-key');
		expect(JSON.parse(String(calls[0].init.body))).toEqual({ prompt: 1, text: 'More time', goal: 'g1' });
		expect(calls[0].url).not.toContain('secret-key');
	});

	it('leaves the goal out when none is chosen', async () => {
		let body = '';
		const fake = (async (_url: string, init: RequestInit) => {
			body = String(init.body);
			return new Response(JSON.stringify({ id: 'x' }), { status: 201 });
		}) as unknown as typeof fetch;
		await sendAnonymousAnswer('map1', 'round1', 'k', { prompt: 0, text: 'Hi' }, fake);
		expect(JSON.parse(body)).toEqual({ prompt: 0, text: 'Hi' });
	});

	it('is kept to send again when no answer comes back (offline)', async () => {
		const fake = (async () => {
			throw new TypeError('Failed to fetch');
		}) as unknown as typeof fetch;
		expect(await sendAnonymousAnswer('map1', 'round1', 'k', { prompt: 0, text: 'Hi' }, fake)).toEqual({ kind: 'offline' });
	});

	it('says what each answer of the server means', () => {
		expect(outcomeOf(201, { id: 'a' })).toEqual({ kind: 'sent', id: 'a' });
		expect(outcomeOf(201, {})).toEqual({ kind: 'failed' });
		expect(outcomeOf(409, { error: 'closed' })).toEqual({ kind: 'closed' });
		expect(outcomeOf(403, null)).toEqual({ kind: 'forbidden' });
		expect(outcomeOf(429, null)).toEqual({ kind: 'busy' });
		expect(outcomeOf(400, null)).toEqual({ kind: 'refused' });
		expect(outcomeOf(500, null)).toEqual({ kind: 'failed' });
	});
});

describe('refusals in the person’s words', () => {
	it('names a closed round, a long answer and a removed goal', () => {
		const { doc, named, gone } = fixture();
		closeRound(doc, named, 9_000);
		let closed: unknown;
		try {
			answerRound(doc, named, { prompt: 0, text: 'late' }, maria);
		} catch (error) {
			closed = error;
		}
		expect(reflectErrorMessage(closed)).toBe(t('rounds.refusal.closed'));
		expect(reflectErrorMessage(new InvalidInputError('text', 'too long'))).toBe(t('rounds.refusal.text'));
		expect(reflectErrorMessage(new InvalidInputError('goal', 'no such goal'))).toBe(t('rounds.refusal.goal'));
		expect(reflectErrorMessage(new InvalidInputError('round', 'no such round'))).toBe(t('refusal.gone'));
		expect(reflectErrorMessage(new Error('boom'))).toBe(t('refusal.generic'));
		void gone;
	});
});

describe('a removed answer on its author’s phone', () => {
	it('finds the person’s own answers a facilitator removed, not the ones they withdrew here', () => {
		const { doc, named, a1 } = fixture();
		// Maria's answers as her phone first sees them: a1 (prompt 0) and "Meet in the evening" (prompt 1).
		const first = ownRemovals(new Map(), readAllResponses(doc), maria.id, new Set());
		expect(first.removed).toEqual([]);
		expect([...first.seen.values()].map((seen) => seen.prompt).sort()).toEqual([0, 1, 2]);
		const evening = readAllResponses(doc).find((answer) => answer.text === 'Meet in the evening')!;

		// She withdraws "Meet in the evening" on this device; a facilitator removes a1.
		withdrawAnswer(doc, evening.id, 5_000);
		withdrawAnswer(doc, a1, 5_100);
		const next = ownRemovals(first.seen, readAllResponses(doc), maria.id, new Set([evening.id]));
		expect(next.removed).toEqual([{ id: a1, round: named, prompt: 0 }]);
		expect(next.seen.has(a1)).toBe(false);
		// Said once: the next look finds nothing new.
		expect(ownRemovals(next.seen, readAllResponses(doc), maria.id, new Set()).removed).toEqual([]);
	});

	it('is never news for answers withdrawn before they were seen, for anonymous ones, or without a person', () => {
		const { doc, withdrawn, anonymous } = fixture();
		expect(ownRemovals(new Map(), readAllResponses(doc), jo.id, new Set()).seen.has(withdrawn)).toBe(false);
		const anonymousAnswers = readAllResponses(doc).filter((answer) => answer.round === anonymous);
		expect(anonymousAnswers.every((answer) => answer.createdBy === null)).toBe(true);
		expect(ownRemovals(new Map(), readAllResponses(doc), null, new Set())).toEqual({ seen: new Map(), removed: [] });
	});

	it('a closed round with no answers says no one answered; an open one waits', () => {
		expect(t('rounds.noneAnswered')).toBe('No one answered this round');
		expect(t('rounds.answersNone')).toBe('No answers yet');
		expect(t('rounds.withdrawAsk')).toContain('Facilitators can still see it in the map’s history');
		expect(t('rounds.withdrawAsk')).not.toMatch(/no one will see/i);
	});
});
