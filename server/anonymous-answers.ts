/**
 * POST /api/maps/<id>/rounds/<roundId>/responses: an answer to an anonymous check-in round.
 *
 * An answer written into the shared document by a participant's own client carries that
 * client's Yjs id, which presence and the history journal tie to a name. So answers to an
 * anonymous round are sent here instead, and the server writes them under its own client id
 * (room/core.ts serverWrite), with no contributor field; the journal records them under the
 * role 'anonymous' with no name, no affiliation and nothing about the connection or key that
 * sent them. Nothing here logs the request or keeps the address beyond the rate limit's
 * in-memory counters (server/RULES.md, "Anonymous answers").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type * as Y from 'yjs';
import { isEntityId } from '../src/lib/doc/ids.ts';
import type { Role } from '../src/lib/doc/model.ts';
import { writeAnonymousAnswer } from '../src/lib/doc/round-mutations.ts';
import { readMeta, readRound } from '../src/lib/doc/schema.ts';
import { InvalidInputError, isRecord } from '../src/lib/doc/validate.ts';
import { authorizeWriter, requester, type ApiContext } from './api.ts';
import { readJsonBody } from './http/body.ts';
import { sendError, sendJson } from './http/respond.ts';
import { KeyedRate } from './limits.ts';
import { isAllowedOrigin } from './origin.ts';
import { ServerWriteRefused } from './room/core.ts';
import { RoomsBusy } from './room/registry.ts';
import { RoomGone } from './room/runner.ts';

/** An answer is at most 2,000 characters (LIMITS.answer); its JSON, escaped, fits in this. */
export const MAX_ANSWER_BODY_BYTES = 8 * 1024;

/**
 * Answers per address per map, and per map: a person answers a prompt every minute or so;
 * a workshop's phones behind one router share an address (an answer refused with 429 says
 * when to try again, and the app keeps the text). Without a name there is nobody to ask to
 * stop, so these bound what one link can make the server write.
 */
export const ANSWERS_PER_MINUTE_PER_ADDRESS = 20;
export const ANSWERS_PER_MINUTE_PER_MAP = 200;

export class AnswerRates {
	readonly perAddress: KeyedRate;
	readonly perMap: KeyedRate;

	constructor(now: () => number = () => Date.now(), perAddress = ANSWERS_PER_MINUTE_PER_ADDRESS, perMap = ANSWERS_PER_MINUTE_PER_MAP) {
		this.perAddress = new KeyedRate(perAddress * 60, perAddress, now);
		this.perMap = new KeyedRate(perMap * 60, perMap, now);
	}

	/** Takes one answer for this map from this address; returns 0, or the seconds to wait. */
	take(mapId: string, address: string): number {
		// Map ids are validated (no spaces), so the pair cannot collide with another pair.
		const wait = this.perAddress.take(`${mapId} ${address}`);
		if (wait > 0) return wait;
		const mapWait = this.perMap.take(mapId);
		if (mapWait > 0) this.perAddress.refund(`${mapId} ${address}`);
		return mapWait;
	}

	/**
	 * Gives back what `take` took, for a request that wrote nothing (a bad body, a closed
	 * round): otherwise one phone sending garbage would use up the answers of everyone
	 * behind the same router, with nothing in the map to show why.
	 */
	refund(mapId: string, address: string): void {
		this.perAddress.refund(`${mapId} ${address}`);
		this.perMap.refund(mapId);
	}
}

/** A refusal decided against the room's document, inside the write (so a round closing meanwhile is seen). */
class AnswerRefused extends Error {
	constructor(
		readonly status: number,
		message: string
	) {
		super(message);
	}
}

interface AnswerBody {
	prompt: number;
	text: string;
	goal: string | null;
}

function parseBody(value: unknown): AnswerBody | string {
	if (!isRecord(value)) return 'request body must be a JSON object { prompt, text, goal? }';
	const { prompt, text, goal } = value;
	if (typeof prompt !== 'number' || !Number.isInteger(prompt) || prompt < 0) return 'prompt must be the number of one of the round’s prompts (0 for the first)';
	if (typeof text !== 'string') return 'text must be text';
	if (goal !== undefined && goal !== null && typeof goal !== 'string') return 'goal must be a goal’s id, or left out';
	return { prompt, text, goal: goal ?? null };
}

/** The change itself, run in the room's turn against its document. */
function answer(doc: Y.Doc, role: Role, roundId: string, body: AnswerBody, now: number): string {
	if (readMeta(doc).locked && role !== 'facilitator') throw new AnswerRefused(423, 'this map is locked');
	const round = readRound(doc, roundId);
	if (!round || round.deletedAt !== null) throw new AnswerRefused(404, 'no such round');
	if (round.status !== 'open') throw new AnswerRefused(409, 'this round is closed');
	if (!round.anonymous) throw new AnswerRefused(409, 'this round is not anonymous: named answers are written by the app');
	// checkAnswer inside: the prompt is one of the round's, the text is 1 to 2,000 characters, the goal is a goal.
	return writeAnonymousAnswer(doc, roundId, body, now, ANSWER_ORIGIN);
}

const ANSWER_ORIGIN = 'asset-atlas:anonymous-answer';

export async function postAnonymousAnswer(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string, roundId = ''): Promise<void> {
	if (!isAllowedOrigin(req, ctx.config)) {
		req.resume();
		return sendError(res, 403, 'origin not allowed');
	}
	const auth = await authorizeWriter(ctx, req, res, mapId, 'a view-only link cannot answer');
	if (!auth) return;
	if (!isEntityId(roundId)) {
		req.resume();
		return sendError(res, 404, 'no such round');
	}
	const address = requester(ctx, req);
	const wait = ctx.answerRates.take(mapId, address);
	if (wait > 0) {
		req.resume();
		return sendError(res, 429, `too many answers at once; try again in ${wait} seconds`, { 'Retry-After': String(wait) });
	}
	let written = false;
	try {
		await writeAnswer(ctx, req, res, mapId, roundId, auth.role, () => (written = true));
	} finally {
		if (!written) ctx.answerRates.refund(mapId, address);
	}
}

/** After the rate limit: reads, checks and writes the answer; calls `wrote` once it is stored. */
async function writeAnswer(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string, roundId: string, role: Role, wrote: () => void): Promise<void> {
	const body = await readJsonBody(req, MAX_ANSWER_BODY_BYTES);
	if (!body.ok) return sendError(res, body.status, body.error, body.status === 413 ? { Connection: 'close' } : {});
	const parsed = parseBody(body.value);
	if (typeof parsed === 'string') return sendError(res, 400, parsed);
	if (ctx.storageFull()) return sendError(res, 507, 'this server has no room for new answers; ask whoever runs it');
	let id: string;
	try {
		id = await ctx.serverWrite(mapId, {
			apply: (doc) => answer(doc, role, roundId, parsed, Date.now()),
			role: 'anonymous',
			capped: true
		});
	} catch (error) {
		if (error instanceof AnswerRefused) return sendError(res, error.status, error.message);
		if (error instanceof InvalidInputError) return sendError(res, 400, error.message);
		if (error instanceof ServerWriteRefused) {
			if (error.reason === 'memory-tight') return sendError(res, 503, 'the server is busy; try again in a moment', { 'Retry-After': '5' });
			return sendError(res, 507, error.reason === 'map-full' ? 'this map is full' : 'this server has no room for new answers; ask whoever runs it');
		}
		if (error instanceof RoomsBusy || error instanceof RoomGone) return sendError(res, 503, 'the map could not be written just now; try again in a moment', { 'Retry-After': '5' });
		throw error;
	}
	// Stored (with its journal entry) and sent to everyone before this answer.
	wrote();
	sendJson(res, 201, { id });
}
