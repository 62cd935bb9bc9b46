/**
 * Pure helpers behind the check-in rounds (RoundsPanel, the present view): which rounds are
 * shown and in what order, which one is current, and a round's answers grouped by prompt
 * and by goal for discussion. Withdrawn answers (deletedAt) are never counted or shown.
 * No Svelte, no DOM.
 */
import type { Goal, Round, RoundResponse } from './doc/model.ts';

/** The prompts a new round starts with (the i18n catalog holds their words). */
export const DEFAULT_PROMPT_KEYS = ['rounds.defaultPrompt1', 'rounds.defaultPrompt2', 'rounds.defaultPrompt3'] as const;

const byOpened = (a: Round, b: Round) => b.openedAt - a.openedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const byAnswered = (a: RoundResponse, b: RoundResponse) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Rounds that are not deleted: open ones first, then closed ones, each newest first. */
export function roundsInOrder(rounds: Iterable<Round>): Round[] {
	const shown = [...rounds].filter((round) => round.deletedAt === null);
	return [...shown.filter((round) => round.status === 'open').sort(byOpened), ...shown.filter((round) => round.status !== 'open').sort(byOpened)];
}

/**
 * The round a shared screen shows: the most recently opened round that is still open, or,
 * when none is open, the most recently opened one (its answers are still being discussed).
 */
export function currentRound(rounds: Iterable<Round>): Round | null {
	return roundsInOrder(rounds)[0] ?? null;
}

/** A round's answers that count: not withdrawn, to one of its prompts; oldest first. */
export function roundAnswers(round: Round, responses: Iterable<RoundResponse>): RoundResponse[] {
	const out: RoundResponse[] = [];
	for (const response of responses) {
		if (response.round !== round.id || response.deletedAt !== null) continue;
		if (response.prompt < 0 || response.prompt >= round.prompts.length) continue;
		out.push(response);
	}
	return out.sort(byAnswered);
}

/** How many answers count in each round, by round id. */
export function answerCounts(rounds: Iterable<Round>, responses: Iterable<RoundResponse>): Map<string, number> {
	const counts = new Map<string, number>();
	const list = [...responses];
	for (const round of rounds) counts.set(round.id, roundAnswers(round, list).length);
	return counts;
}

export interface PromptGroup {
	kind: 'prompt';
	/** Index into the round's prompts. */
	prompt: number;
	text: string;
	answers: RoundResponse[];
}

/** One group per prompt, in the round's order (empty ones included, so every prompt shows). */
export function groupByPrompt(round: Round, responses: Iterable<RoundResponse>): PromptGroup[] {
	const groups: PromptGroup[] = round.prompts.map((text, prompt) => ({ kind: 'prompt', prompt, text, answers: [] }));
	for (const answer of roundAnswers(round, responses)) groups[answer.prompt].answers.push(answer);
	return groups;
}

export interface GoalGroup {
	kind: 'goal';
	/** null: answers tied to no goal (or to one that is no longer on the map). */
	goal: Goal | null;
	answers: RoundResponse[];
}

/**
 * One group per goal that has answers, in the order of `goals` (as the goals panel lists
 * them, so groups keep their place while answers come in), then the answers tied to no goal.
 * An answer tied to a deleted or unknown goal counts as tied to none: its goal is gone from
 * the map. Only groups with answers are returned.
 */
export function groupByGoal(round: Round, responses: Iterable<RoundResponse>, goals: readonly Goal[]): GoalGroup[] {
	const live = new Map(goals.filter((goal) => goal.deletedAt === null).map((goal) => [goal.id, goal]));
	const byGoal = new Map<string, RoundResponse[]>();
	const none: RoundResponse[] = [];
	for (const answer of roundAnswers(round, responses)) {
		if (answer.goal === null || !live.has(answer.goal)) {
			none.push(answer);
			continue;
		}
		const list = byGoal.get(answer.goal);
		if (list) list.push(answer);
		else byGoal.set(answer.goal, [answer]);
	}
	const groups: GoalGroup[] = [];
	for (const goal of live.values()) {
		const answers = byGoal.get(goal.id);
		if (answers) groups.push({ kind: 'goal', goal, answers });
	}
	if (none.length > 0) groups.push({ kind: 'goal', goal: null, answers: none });
	return groups;
}

/** Whether this person may still change or withdraw an answer: their own, named, in an open round. */
export function canChangeAnswer(round: Round, answer: RoundResponse, personId: string | null): boolean {
	return round.status === 'open' && !round.anonymous && personId !== null && answer.createdBy !== null && answer.createdBy.id === personId;
}

/** What a person may do to one answer in the side panel. */
export interface AnswerActions {
	edit: boolean;
	/** Take back their own answer. */
	withdraw: boolean;
	/** A facilitator takes away someone else's answer, or an anonymous one. */
	remove: boolean;
}

/**
 * Editing and withdrawing are the author's, for a named answer while its round is open
 * (canChangeAnswer); a facilitator also withdraws their own named answer in a closed round,
 * and removes anyone else's, anonymous ones included (nothing says whose those are).
 */
export function answerActions(round: Round, answer: RoundResponse, personId: string | null, facilitator: boolean): AnswerActions {
	const mine = canChangeAnswer(round, answer, personId);
	const authored = !round.anonymous && personId !== null && answer.createdBy !== null && answer.createdBy.id === personId;
	return { edit: mine, withdraw: mine || (facilitator && authored), remove: facilitator && !authored };
}

/** A round as a facilitator fills it in: the title and the prompts that are not blank. */
export interface RoundDraft {
	title: string;
	prompts: string[];
	anonymous: boolean;
}

/** What the "Open a check-in round" form sends: trimmed title, prompts without blanks. */
export function roundFromForm(draft: RoundDraft): RoundDraft {
	return { title: draft.title.trim(), prompts: draft.prompts.map((prompt) => prompt.trim()).filter((prompt) => prompt.length > 0), anonymous: draft.anonymous };
}

/** An answer of this person's that was live when last seen, and where it answered. */
export interface OwnAnswerSeen {
	round: string;
	prompt: number;
}

/**
 * Which of this person's own named answers went away since they were last seen live, and
 * not by their own hand on this device (`withdrawnHere`): a facilitator removed them. Pure:
 * takes what was seen and returns what is seen now (their live answers) and the removals.
 * Answers already withdrawn when first seen are never news; anonymous answers are nobody's.
 */
export function ownRemovals(
	seen: ReadonlyMap<string, OwnAnswerSeen>,
	responses: Iterable<RoundResponse>,
	personId: string | null,
	withdrawnHere: ReadonlySet<string>
): { seen: Map<string, OwnAnswerSeen>; removed: Array<OwnAnswerSeen & { id: string }> } {
	const next = new Map<string, OwnAnswerSeen>();
	const removed: Array<OwnAnswerSeen & { id: string }> = [];
	if (personId === null) return { seen: next, removed };
	for (const answer of responses) {
		if (answer.createdBy?.id !== personId) continue;
		if (answer.deletedAt === null) next.set(answer.id, { round: answer.round, prompt: answer.prompt });
		else if (seen.has(answer.id) && !withdrawnHere.has(answer.id)) removed.push({ id: answer.id, round: answer.round, prompt: answer.prompt });
	}
	return { seen: next, removed };
}
