/**
 * What one history entry says, in a plain sentence, for the kinds of change schema 2 added:
 * check-in rounds (opened, closed, reopened, edited), answers (added, edited, withdrawn by
 * their author or removed by a facilitator) and goal progress (a status from → to, next
 * steps). The words come from the catalog; the names of rounds, prompts and goals from the
 * map (`HistoryLookups`), since a record holds only the fields its change wrote. An answer
 * the server wrote for an anonymous round names nobody. Links read as sentences ("Tied
 * “…” to the goal “…”", "Connected “…” and “…”"); what one change wrote twice (a goal's
 * status and its progress record) is folded into one; and the text of a withdrawn answer is
 * kept from all but facilitators. No Svelte, no DOM: HistoryPanel renders what these
 * return as text.
 */
import type { HistoryCollection, HistoryEntry } from './history.ts';
import type { GoalStatus, RoundResponse } from './doc/model.ts';
import { readResponse, readRound, type AtlasDoc } from './doc/schema.ts';
import { isGoalStatus } from './doc/validate.ts';
import { t } from './i18n/index.ts';

/** What the map knows today about the entries a record points at (null: not known). */
export interface HistoryLookups {
	/** An asset's name, a goal's or a round's title. */
	nameOf: (collection: HistoryCollection, id: string) => string | null;
	/** The text of a round's prompt (`promptId`: its index in the round's prompts). */
	promptOf: (roundId: string, promptId: number) => string | null;
	/** An answer as the map holds it (withdrawn ones too: they are only marked). */
	responseOf: (id: string) => RoundResponse | null;
}

/** `promptOf` and `responseOf` read from a map's document (the page's, or a test's). */
export function docLookups(doc: AtlasDoc): Pick<HistoryLookups, 'promptOf' | 'responseOf'> {
	return {
		promptOf: (roundId, promptId) => {
			const prompt = readRound(doc, roundId)?.prompts[promptId];
			return typeof prompt === 'string' && prompt ? prompt : null;
		},
		responseOf: (id) => readResponse(doc, id)
	};
}

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() ? value : null);
const status = (value: GoalStatus) => t(`goals.status.${value}`);

/** Titles and prompts are shown whole in a sentence only up to a point. */
function short(value: string, max = 80): string {
	const chars = [...value.replace(/\s+/g, ' ').trim()];
	return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('');
}

function roundPhrase(entry: HistoryEntry, lookups: HistoryLookups): string {
	const title = text(entry.fields.title) ?? lookups.nameOf('rounds', entry.entry);
	return title ? t('history.roundNamed', { title: short(title) }) : t('history.aRound');
}

function goalPhrase(id: unknown, lookups: HistoryLookups): string {
	const title = typeof id === 'string' ? lookups.nameOf('goals', id) : null;
	return title ? t('history.goalNamed', { name: short(title) }) : t('history.aGoal');
}

/** The prompt an answer record is about: from the record (a new answer names it) or from the map. */
function promptPhrase(entry: HistoryEntry, lookups: HistoryLookups): string {
	const answer = lookups.responseOf(entry.entry);
	const round = typeof entry.fields.round === 'string' ? entry.fields.round : (answer?.round ?? null);
	const index = typeof entry.fields.prompt === 'number' ? entry.fields.prompt : (answer?.prompt ?? null);
	const prompt = round !== null && index !== null ? lookups.promptOf(round, index) : null;
	return prompt ? t('history.promptNamed', { prompt: short(prompt) }) : t('history.aPrompt');
}

/**
 * Whether the answer is the record's author's own: an editor may change only their own
 * (server/RULES.md), so theirs always is; a facilitator's is when the answer is named and
 * carries their name. Anonymous answers are nobody's.
 */
function byAuthor(entry: HistoryEntry, answer: RoundResponse | null): boolean {
	if (entry.anonymous || entry.role === 'server') return false;
	if (entry.role !== 'facilitator') return true;
	return answer?.createdBy != null && answer.createdBy.name === entry.name;
}

function roundLabel(entry: HistoryEntry, lookups: HistoryLookups): string {
	const round = roundPhrase(entry, lookups);
	switch (entry.kind) {
		case 'create':
			return t('history.roundOpened', { round });
		case 'delete':
			return t('history.roundDeleted', { round });
		case 'restore':
			return t('history.roundRestored', { round });
		default:
			if (entry.fields.status === 'closed') return t('history.roundClosed', { round });
			if (entry.fields.status === 'open') return t('history.roundReopened', { round });
			return t('history.roundEdited', { round });
	}
}

function answerLabel(entry: HistoryEntry, lookups: HistoryLookups): string {
	const answer = lookups.responseOf(entry.entry);
	// Written by the server for an anonymous round: no author, so nobody is named.
	if (entry.kind === 'create' && (entry.anonymous || entry.role === 'server')) {
		const roundId = typeof entry.fields.round === 'string' ? entry.fields.round : (answer?.round ?? null);
		const title = roundId ? lookups.nameOf('rounds', roundId) : null;
		return title ? t('history.answeredAnonymously', { round: short(title) }) : t('history.answeredAnonymouslyUnnamed');
	}
	const prompt = promptPhrase(entry, lookups);
	switch (entry.kind) {
		case 'create':
			return t('history.answered', { prompt });
		case 'delete': {
			if (byAuthor(entry, answer)) return t('history.answerWithdrawn', { prompt });
			// Whose it was, when the map knows: a named answer names its author, any other is anonymous.
			const author = answer?.createdBy?.name?.trim();
			if (author) return t('history.answerRemoved', { name: short(author, 40), prompt });
			return t(answer !== null ? 'history.answerRemovedAnonymous' : 'history.answerRemovedUnknown', { prompt });
		}
		case 'restore':
			return t('history.answerRestored', { prompt });
		default:
			return t(byAuthor(entry, answer) ? 'history.answerEditedOwn' : 'history.answerEdited', { prompt });
	}
}

function progressLabel(entry: HistoryEntry, lookups: HistoryLookups): string {
	const { goal, from, to } = entry.fields;
	if (entry.kind !== 'create') return t('history.progressCorrected', { goal: goalPhrase(goal, lookups) });
	if (!isGoalStatus(to)) return t('history.progressFiled', { goal: goalPhrase(goal, lookups) });
	const title = typeof goal === 'string' ? lookups.nameOf('goals', goal) : null;
	if (isGoalStatus(from)) {
		return title
			? t('history.progressMoved', { goal: short(title), from: status(from), to: status(to) })
			: t('history.progressMovedUnnamed', { from: status(from), to: status(to) });
	}
	return title ? t('history.progressSet', { goal: short(title), to: status(to) }) : t('history.progressSetUnnamed', { to: status(to) });
}

/** Fields the app stamps on every save: not what a person changed. */
const BOOKKEEPING = new Set(['id', 'createdBy', 'createdAt', 'updatedBy', 'updatedAt', 'schemaVersion']);

/** What a record changed, without the bookkeeping every save stamps. */
const changedFields = (entry: HistoryEntry) => Object.keys(entry.fields).filter((field) => !BOOKKEEPING.has(field));

/** An asset named as the map has it (“Library”), or “an asset”. */
function assetPhrase(id: string | null, lookups: HistoryLookups): string {
	const name = id ? lookups.nameOf('assets', id) : null;
	return name ? t('history.assetNamed', { name: short(name) }) : t('history.anAsset');
}

/**
 * A link's kind and ends: from the record (a new link carries them), else from its id,
 * which is derived from them (ids.ts linkId: `supports:<asset>:<goal>`, `connects:<a>:<b>`).
 */
export function linkEnds(entry: HistoryEntry): { kind: 'supports' | 'connects'; from: string; to: string } | null {
	const { kind, from, to } = entry.fields;
	if ((kind === 'supports' || kind === 'connects') && typeof from === 'string' && typeof to === 'string') return { kind, from, to };
	const [idKind, idFrom, idTo, ...rest] = entry.entry.split(':');
	if ((idKind === 'supports' || idKind === 'connects') && idFrom && idTo && rest.length === 0) return { kind: idKind, from: idFrom, to: idTo };
	return null;
}

function linkLabel(entry: HistoryEntry, lookups: HistoryLookups): string | null {
	const ends = linkEnds(entry);
	if (!ends) return null;
	if (ends.kind === 'supports') {
		const params = { asset: assetPhrase(ends.from, lookups), goal: goalPhrase(ends.to, lookups) };
		if (entry.kind === 'create') return t('history.linkTied', params);
		if (entry.kind === 'delete') return t('history.linkUntied', params);
		if (entry.kind === 'restore') return t('history.linkTiedAgain', params);
		return t('history.linkTieEdited', params);
	}
	const params = { a: assetPhrase(ends.from, lookups), b: assetPhrase(ends.to, lookups) };
	if (entry.kind === 'create') return t('history.linkConnected', params);
	if (entry.kind === 'delete') return t('history.linkDisconnected', params);
	if (entry.kind === 'restore') return t('history.linkConnectedAgain', params);
	return t('history.linkConnectionEdited', params);
}

/**
 * The sentence for a record of a round, an answer or a goal's progress, or for next steps
 * written on a goal; null for every other record (the panel's own wording covers those).
 */
export function historyLabel(entry: HistoryEntry, lookups: HistoryLookups): string | null {
	if (entry.collection === 'rounds') return roundLabel(entry, lookups);
	if (entry.collection === 'responses') return answerLabel(entry, lookups);
	if (entry.collection === 'progress') return progressLabel(entry, lookups);
	if (entry.collection === 'links') return linkLabel(entry, lookups);
	if (entry.collection === 'goals' && entry.kind === 'update') {
		const changed = changedFields(entry);
		if (changed.length === 1 && changed[0] === 'nextSteps') {
			const goal = goalPhrase(entry.entry, lookups);
			return text(entry.fields.nextSteps) ? t('history.nextStepsWritten', { goal }) : t('history.nextStepsCleared', { goal });
		}
		// Only the status: a sentence, not "Changed Status of …" (when its progress record is
		// near, historyFolded leaves this one out and that one says it, from → to).
		if (changed.length === 1 && changed[0] === 'status' && isGoalStatus(entry.fields.status)) {
			const title = lookups.nameOf('goals', entry.entry);
			const to = status(entry.fields.status);
			return title ? t('history.progressSet', { goal: short(title), to }) : t('history.progressSetUnnamed', { to });
		}
	}
	return null;
}

/** Fields a round's record holds that its sentence already says (opened, closed, reopened). */
const ROUND_SAID = new Set(['status', 'openedBy', 'openedAt', 'closedAt', 'deletedAt']);

/**
 * Whether the record's changed fields are worth listing under its sentence: not when the
 * sentence says all of it ("Closed the round …" needs no "Status: Closed"; "Set “…” to
 * Active" no "Status: Active").
 */
export function historyShowsFields(entry: HistoryEntry): boolean {
	const changed = changedFields(entry);
	if (changed.length === 0) return false;
	if (entry.collection === 'rounds' && entry.kind !== 'create') return changed.some((field) => !ROUND_SAID.has(field));
	if (entry.collection === 'goals' && entry.kind === 'update') return !(changed.length === 1 && changed[0] === 'status');
	if (entry.collection === 'links') return entry.kind === 'update';
	return true;
}

/** How far apart (ms) a goal's own record and its progress record may be and still be one change. */
export const FOLD_WINDOW_MS = 5_000;

const sameAuthor = (a: HistoryEntry, b: HistoryEntry) => a.role === b.role && a.name === b.name && a.anonymous === b.anonymous;
const near = (a: HistoryEntry, b: HistoryEntry) => Math.abs(a.at - b.at) <= FOLD_WINDOW_MS;

/**
 * The records one change of a person's wrote twice, left out so the list says it once:
 * - a goal's own record that changed only its status, when a progress record for that goal
 *   by the same person is within a few seconds (that one says "Moved … from … to …", with
 *   its note);
 * - the first progress record of a new goal (no `from`, no note), when the goal's own
 *   "Added the goal" record by the same person is within a few seconds.
 * Returns the indices (into `entries`) to leave out; everything else is shown as it is.
 */
export function historyFolded(entries: readonly HistoryEntry[]): Set<number> {
	const hidden = new Set<number>();
	const progress = entries.map((entry, index) => ({ entry, index })).filter(({ entry }) => entry.collection === 'progress' && entry.kind === 'create');
	entries.forEach((entry, index) => {
		if (entry.collection !== 'goals') return;
		const mine = progress.filter(({ entry: step }) => step.fields.goal === entry.entry && sameAuthor(step, entry) && near(step, entry));
		if (entry.kind === 'update') {
			const changed = changedFields(entry);
			if (changed.length === 1 && changed[0] === 'status' && mine.some(({ entry: step }) => step.fields.to === entry.fields.status)) hidden.add(index);
		} else if (entry.kind === 'create') {
			for (const { entry: step, index: at } of mine) if (!isGoalStatus(step.fields.from) && !text(step.fields.note)) hidden.add(at);
		}
	});
	return hidden;
}

/**
 * A line under the sentence, when the record holds one worth reading: the note on a goal's
 * status change, or what a new answer said. Null otherwise.
 */
export function historyDetail(entry: HistoryEntry): string | null {
	if (entry.kind !== 'create') return null;
	if (entry.collection === 'progress') return text(entry.fields.note);
	if (entry.collection === 'responses') return text(entry.fields.text);
	return null;
}

/**
 * Whether the text an answer's record holds is kept from this person: the answer is
 * withdrawn or removed now (or no longer on the map), and they are not a facilitator.
 * "Withdraw" says the answer leaves the round and the discussion and that facilitators can
 * still see it in the history; so the history panel shows "(withdrawn)" to everyone else.
 * (The journal API still returns the text to any key of the map: this is what the panel
 * shows, not a wall.)
 */
export function answerTextWithheld(entry: HistoryEntry, lookups: Pick<HistoryLookups, 'responseOf'>, facilitator: boolean): boolean {
	if (facilitator || entry.collection !== 'responses') return false;
	const answer = lookups.responseOf(entry.entry);
	return answer === null || answer.deletedAt !== null;
}

/**
 * Who made the change, as the meta line says it: an anonymous answer names nobody (not even
 * the server that wrote it for them); otherwise the name, affiliation and role the server
 * stamped on the connection.
 */
export function historyWho(entry: HistoryEntry): string {
	if (entry.anonymous) return t('history.anonymousWho');
	if (entry.role === 'server') return t('history.server');
	const role = t(`role.${entry.role}`);
	const name = entry.name || t('history.someone');
	return entry.affiliation ? t('history.byWithAffiliation', { name, affiliation: t(`affiliation.${entry.affiliation}`), role }) : t('history.by', { name, role });
}
