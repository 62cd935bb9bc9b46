/**
 * Check-in rounds (schema 2). A facilitator opens a round with prompts and closes it; the
 * server enforces both (server/RULES.md). Named answers are written here by the person's
 * own client; anonymous ones never are: the phone posts them to the server
 * (`POST /api/maps/<id>/rounds/<roundId>/responses`), which writes them under its own
 * client id with no contributor, so nothing in the document or the journal ties them to
 * anyone.
 */
import { newEntityId } from './ids.ts';
import { LIMITS, type Contributor } from './model.ts';
import { cleanText, LOCAL_ORIGIN, stamp } from './mutations.ts';
import { entryDeletedAt, hasEntity, insertEntry, patchEntity, readResponse, readRound, transact, type AtlasDoc } from './schema.ts';
import { isEntityId } from './ids.ts';
import { cleanProse } from './names.ts';
import { InvalidInputError } from './validate.ts';

export interface NewRound {
	title: string;
	prompts: string[];
	anonymous: boolean;
}

/** A round's title and prompts as they will be stored, or InvalidInputError. */
export function cleanRound(input: NewRound): NewRound {
	const title = cleanText(input.title, 'title', LIMITS.title, true);
	if (!Array.isArray(input.prompts)) throw new InvalidInputError('prompts', 'prompts must be a list');
	const prompts = input.prompts.map((prompt) => cleanText(prompt, 'prompt', LIMITS.prompt)).filter((prompt) => prompt.length > 0);
	if (prompts.length === 0) throw new InvalidInputError('prompts', 'a round needs at least one prompt');
	if (prompts.length > LIMITS.prompts) throw new InvalidInputError('prompts', `a round has at most ${LIMITS.prompts} prompts`);
	return { title, prompts, anonymous: input.anonymous === true };
}

/** Facilitator only (the server refuses it from anyone else). Returns the round's id. */
export function openRound(doc: AtlasDoc, input: NewRound, by: Contributor, now = Date.now(), origin: unknown = LOCAL_ORIGIN): string {
	const round = cleanRound(input);
	const id = newEntityId();
	transact(doc, () => insertEntry(doc, 'rounds', id, { id, ...round, status: 'open', openedBy: stamp(by), openedAt: now }), origin);
	return id;
}

/** Facilitator only. Closed rounds are read-only: the server refuses new answers and edits. */
export function closeRound(doc: AtlasDoc, id: string, now = Date.now(), origin: unknown = LOCAL_ORIGIN): void {
	const round = readRound(doc, id);
	if (!round) throw new InvalidInputError('round', `no round ${id}`);
	if (round.status === 'closed') return;
	transact(doc, () => patchEntity(doc, 'rounds', id, { status: 'closed', closedAt: now }), origin);
}

/** Facilitator only: opens a closed round again (answers are accepted again). */
export function reopenRound(doc: AtlasDoc, id: string, origin: unknown = LOCAL_ORIGIN): void {
	const round = readRound(doc, id);
	if (!round) throw new InvalidInputError('round', `no round ${id}`);
	if (round.status === 'open') return;
	transact(doc, () => patchEntity(doc, 'rounds', id, { status: 'open', closedAt: undefined }), origin);
}

export interface AnswerInput {
	prompt: number;
	text: string;
	goal?: string | null;
}

/**
 * The fields of an answer to `roundId` as they will be stored, or InvalidInputError: the
 * round exists, is open, the prompt is one of its prompts, the goal (if any) is a goal of
 * the map. Used by the client for named answers and by the server for anonymous ones.
 */
export function checkAnswer(doc: AtlasDoc, roundId: string, input: AnswerInput): { round: string; prompt: number; text: string; goal?: string } {
	const round = readRound(doc, roundId);
	if (!round || round.deletedAt !== null) throw new InvalidInputError('round', 'no such round');
	if (round.status !== 'open') throw new InvalidInputError('round', 'this round is closed', 'closed');
	const prompt = input.prompt;
	if (typeof prompt !== 'number' || !Number.isInteger(prompt) || prompt < 0 || prompt >= round.prompts.length) {
		throw new InvalidInputError('prompt', 'no such prompt in this round');
	}
	const text = cleanText(typeof input.text === 'string' ? cleanProse(input.text) : input.text, 'text', LIMITS.answer, true);
	const goal = input.goal ?? null;
	if (goal !== null && (!isEntityId(goal) || !hasEntity(doc, 'goals', goal) || entryDeletedAt(doc, 'goals', goal) !== null)) {
		throw new InvalidInputError('goal', 'no such goal');
	}
	return { round: roundId, prompt, text, goal: goal ?? undefined };
}

/**
 * A named answer, written by the person's own client with them as contributor. Refused for
 * an anonymous round: those go through the server (see above), never this way.
 */
export function answerRound(doc: AtlasDoc, roundId: string, input: AnswerInput, by: Contributor, now = Date.now(), origin: unknown = LOCAL_ORIGIN): string {
	const fields = checkAnswer(doc, roundId, input);
	if (readRound(doc, roundId)?.anonymous) throw new InvalidInputError('round', 'answers to an anonymous round are sent to the server', 'anonymous');
	const id = newEntityId();
	transact(doc, () => insertEntry(doc, 'responses', id, { id, ...fields, createdBy: stamp(by), createdAt: now, updatedAt: now }), origin);
	return id;
}

/** The server's own write of an anonymous answer: no contributor, nothing else about who. */
export function writeAnonymousAnswer(doc: AtlasDoc, roundId: string, input: AnswerInput, now = Date.now(), origin: unknown = LOCAL_ORIGIN): string {
	const fields = checkAnswer(doc, roundId, input);
	const id = newEntityId();
	transact(doc, () => insertEntry(doc, 'responses', id, { id, ...fields, createdAt: now, updatedAt: now }), origin);
	return id;
}

/** Changes one's own named answer while the round is open (the server checks both). */
export function editAnswer(doc: AtlasDoc, id: string, input: Pick<AnswerInput, 'text'> & { goal?: string | null }, now = Date.now(), origin: unknown = LOCAL_ORIGIN): boolean {
	const current = readResponse(doc, id);
	if (!current) throw new InvalidInputError('id', `no answer ${id}`);
	const fields = checkAnswer(doc, current.round, { prompt: current.prompt, text: input.text, goal: input.goal === undefined ? current.goal : input.goal });
	const patch: Record<string, unknown> = {};
	if (fields.text !== current.text) patch.text = fields.text;
	if ((fields.goal ?? null) !== current.goal) patch.goal = fields.goal;
	if (Object.keys(patch).length === 0) return false;
	transact(doc, () => patchEntity(doc, 'responses', id, { ...patch, updatedAt: now }), origin);
	return true;
}

/** Withdraws one's own answer (soft, like every delete); a facilitator may withdraw any. */
export function withdrawAnswer(doc: AtlasDoc, id: string, now = Date.now(), origin: unknown = LOCAL_ORIGIN): void {
	if (!hasEntity(doc, 'responses', id)) throw new InvalidInputError('id', `no answer ${id}`);
	transact(doc, () => patchEntity(doc, 'responses', id, { deletedAt: now, updatedAt: now }), origin);
}
