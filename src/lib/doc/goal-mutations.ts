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

function cleanGoalFields(input: Partial<GoalFields>): Partial<GoalFields> {
	const out: Partial<GoalFields> = {};
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
	return out;
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
	transact(
		doc,
		() =>
			insertEntry(doc, 'goals', id, {
				id,
				description: '',
				horizon: 'short',
				status: 'proposed',
				...fields,
				createdBy: who,
				createdAt: now,
				updatedBy: who,
				updatedAt: now
			}),
		origin
	);
	return id;
}

function requireGoal(doc: AtlasDoc, id: string): void {
	if (!hasEntity(doc, 'goals', id)) throw new InvalidInputError('id', `no goal ${id}`);
}

/** Writes only the fields that differ, so a save cannot win a race over a field it did not change. */
export function updateGoal(
	doc: AtlasDoc,
	id: string,
	patch: Partial<GoalFields>,
	by: Contributor,
	now = Date.now(),
	origin: unknown = LOCAL_ORIGIN
): boolean {
	requireGoal(doc, id);
	const fields = cleanGoalFields(patch);
	const current = readGoal(doc, id);
	const changed = Object.fromEntries(Object.entries(fields).filter(([key, value]) => current?.[key as keyof GoalFields] !== value));
	if (Object.keys(changed).length === 0) return false;
	transact(doc, () => patchEntity(doc, 'goals', id, { ...changed, updatedBy: stamp(by), updatedAt: now }), origin);
	return true;
}

/** Soft delete: the goal and its links stay in the document; a facilitator can restore it. */
export function deleteGoal(doc: AtlasDoc, id: string, by: Contributor, now = Date.now(), origin: unknown = LOCAL_ORIGIN): void {
	requireGoal(doc, id);
	transact(doc, () => patchEntity(doc, 'goals', id, { deletedAt: now, updatedBy: stamp(by), updatedAt: now }), origin);
}
