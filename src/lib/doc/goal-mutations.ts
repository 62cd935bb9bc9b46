/**
 * Creating, editing and (softly) deleting a partnership's goals. Like mutations.ts: input
 * is validated first, so a refused call changes nothing, then one transaction with an origin.
 * Editors and facilitators may do all of this (the server enforces roles); a deleted goal
 * keeps its links, which readers skip, so restoring it brings its assets back with it.
 */
import { newEntityId } from './ids.ts';
import { GOAL_HORIZONS, GOAL_STATUSES, LIMITS, type Contributor, type Goal, type GoalHorizon, type GoalStatus } from './model.ts';
import { hasEntity, insertEntry, patchEntity, readGoal, transact, type AtlasDoc } from './schema.ts';
import { cleanText, LOCAL_ORIGIN, stamp } from './mutations.ts';
import { InvalidInputError } from './validate.ts';

/** What a person fills in for a goal. */
export type GoalFields = Pick<Goal, 'title' | 'description' | 'horizon' | 'status'>;
/** What an edit may change: the form's fields and the next steps written on the goal. */
export type GoalPatch = Partial<GoalFields> & { nextSteps?: string };

function cleanGoalFields(input: GoalPatch): GoalPatch {
	const out: GoalPatch = {};
	if (input.title !== undefined) out.title = cleanText(input.title, 'title', LIMITS.title, true);
	if (input.description !== undefined) out.description = cleanText(input.description, 'description', LIMITS.description);
	if (input.horizon !== undefined) {
		if (!(GOAL_HORIZONS as readonly unknown[]).includes(input.horizon)) throw new InvalidInputError('horizon', 'horizon is short or long');
		out.horizon = input.horizon as GoalHorizon;
	}
	if (input.status !== undefined) {
		if (!(GOAL_STATUSES as readonly unknown[]).includes(input.status)) throw new InvalidInputError('status', 'unknown status');
		out.status = input.status as GoalStatus;
	}
	if (input.nextSteps !== undefined) out.nextSteps = cleanText(input.nextSteps, 'nextSteps', LIMITS.description);
	return out;
}

/**
 * Files one status change in the goal's history (schema 2 `progress`): a new entry with its
 * own id, so two people changing a goal's status at once both stay in the timeline. The
 * entry that starts a goal's timeline is keyed by the goal's own id (see migrations.ts).
 */
function recordProgress(doc: AtlasDoc, goal: string, from: GoalStatus | null, to: GoalStatus, note: string, who: Contributor, now: number, id = newEntityId()): void {
	insertEntry(doc, 'progress', id, { id, goal, from: from ?? undefined, to, note: note || undefined, by: who, at: now });
}

export function addGoal(
	doc: AtlasDoc,
	input: Pick<GoalFields, 'title'> & Partial<GoalFields>,
	by: Contributor,
	now = Date.now(),
	origin: unknown = LOCAL_ORIGIN
): string {
	const fields = cleanGoalFields(input);
	if (fields.title === undefined) throw new InvalidInputError('title', 'title is required');
	const id = newEntityId();
	const who = stamp(by);
	const status = fields.status ?? 'proposed';
	transact(
		doc,
		() => {
			insertEntry(doc, 'goals', id, {
				id,
				description: '',
				horizon: 'short',
				...fields,
				status,
				createdBy: who,
				createdAt: now,
				updatedBy: who,
				updatedAt: now
			});
			// The timeline starts where the goal did.
			recordProgress(doc, id, null, status, '', who, now, id);
		},
		origin
	);
	return id;
}

function requireGoal(doc: AtlasDoc, id: string): void {
	if (!hasEntity(doc, 'goals', id)) throw new InvalidInputError('id', `no goal ${id}`);
}

/**
 * Writes only the fields that differ, so a save cannot win a race over a field it did not
 * change. A status change is also filed in the goal's history, with `note` (why, or what
 * moved it) if given.
 */
export function updateGoal(
	doc: AtlasDoc,
	id: string,
	patch: GoalPatch,
	by: Contributor,
	now = Date.now(),
	origin: unknown = LOCAL_ORIGIN,
	note = ''
): boolean {
	requireGoal(doc, id);
	const fields = cleanGoalFields(patch);
	const cleanNote = cleanText(note, 'note', LIMITS.progressNote);
	const current = readGoal(doc, id);
	const changed = Object.fromEntries(Object.entries(fields).filter(([key, value]) => current?.[key as keyof GoalPatch] !== value));
	if (Object.keys(changed).length === 0) return false;
	const who = stamp(by);
	transact(
		doc,
		() => {
			patchEntity(doc, 'goals', id, { ...changed, updatedBy: who, updatedAt: now });
			if (fields.status !== undefined && 'status' in changed) recordProgress(doc, id, current?.status ?? null, fields.status, cleanNote, who, now);
		},
		origin
	);
	return true;
}

/** Soft delete: the goal and its links stay in the document; a facilitator can restore it. */
export function deleteGoal(doc: AtlasDoc, id: string, by: Contributor, now = Date.now(), origin: unknown = LOCAL_ORIGIN): void {
	requireGoal(doc, id);
	transact(doc, () => patchEntity(doc, 'goals', id, { deletedAt: now, updatedBy: stamp(by), updatedAt: now }), origin);
}
