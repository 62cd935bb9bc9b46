/**
 * What an asset form's save writes, and what it must ask about first. Pure functions over
 * plain values (no Yjs, Svelte or DOM), so they are tested exactly.
 *
 * Three versions of the form's fields meet at a save:
 *   base   — what the form opened with (moved forward for fields the person left alone
 *            when a peer changed them, see `followRemote`),
 *   mine   — what the person has in the form now,
 *   theirs — what the shared map holds now.
 * A field the person changed is written; a field they left alone is not (a peer's value
 * stays). A field both changed, to different values, is a conflict: the person chooses.
 */
import type { Asset, Category, Contributor } from '../doc/model.ts';

export const FORM_FIELDS = ['name', 'category', 'description', 'holder', 'tags'] as const;
export type FormField = (typeof FORM_FIELDS)[number];

export interface FormValues {
	name: string;
	category: Category | null;
	description: string;
	holder: string;
	tags: string[];
}

/** What a save writes: a category is never written as empty (the form requires one). */
export type FormPatch = Partial<Omit<FormValues, 'category'> & { category: Category }>;

/** The form's fields of an asset, or the empty form. */
export function formValuesOf(asset: Asset | null): FormValues {
	return {
		name: asset?.name ?? '',
		category: asset?.category ?? null,
		description: asset?.description ?? '',
		holder: asset?.holder ?? '',
		tags: asset ? [...asset.tags] : []
	};
}

/** "a, b ,, c" → ["a", "b", "c"]: the tags box as a list. */
export function parseTagText(text: string): string[] {
	return text
		.split(',')
		.map((tag) => tag.trim())
		.filter(Boolean);
}

/** Values compared as they would be saved: text trimmed, tags trimmed and without blanks. */
function normalized(field: FormField, value: FormValues[FormField]): string {
	if (field === 'tags') return JSON.stringify((value as string[]).map((tag) => tag.trim()).filter(Boolean));
	if (field === 'category') return String(value ?? '');
	return String(value ?? '').trim();
}

export function sameValue(field: FormField, a: FormValues[FormField], b: FormValues[FormField]): boolean {
	return normalized(field, a) === normalized(field, b);
}

/** The fields the person changed since the form opened: exactly what a save writes. */
export function changedFields(base: FormValues, mine: FormValues): FormField[] {
	return FORM_FIELDS.filter((field) => !sameValue(field, base[field], mine[field]));
}

export interface Conflict {
	field: FormField;
	/** What the form opened with. */
	base: FormValues[FormField];
	mine: FormValues[FormField];
	theirs: FormValues[FormField];
	/** Who last changed it on the shared map, when known. */
	by: Contributor | null;
}

/**
 * Fields both the person and someone else changed while the form was open, to different
 * values. Two people who typed the same thing do not conflict.
 */
export function detectConflicts(
	base: FormValues,
	mine: FormValues,
	theirs: FormValues,
	changedBy: Partial<Record<FormField, Contributor | null>> = {}
): Conflict[] {
	return FORM_FIELDS.filter(
		(field) =>
			!sameValue(field, base[field], mine[field]) &&
			!sameValue(field, base[field], theirs[field]) &&
			!sameValue(field, mine[field], theirs[field])
	).map((field) => ({ field, base: base[field], mine: mine[field], theirs: theirs[field], by: changedBy[field] ?? null }));
}

export type Resolution = 'mine' | 'theirs';

/**
 * The patch a save writes: the person's changed fields, minus conflicts resolved as
 * "theirs" (their value is already on the map). An unresolved conflict throws: the caller
 * must ask first, never overwrite silently.
 */
export function planSave(
	base: FormValues,
	mine: FormValues,
	theirs: FormValues,
	resolutions: Partial<Record<FormField, Resolution>> = {}
): FormPatch {
	const conflicts = new Set(detectConflicts(base, mine, theirs).map((conflict) => conflict.field));
	const patch: Record<string, unknown> = {};
	for (const field of changedFields(base, mine)) {
		if (conflicts.has(field)) {
			const choice = resolutions[field];
			if (!choice) throw new Error(`unresolved conflict on ${field}`);
			if (choice === 'theirs') continue;
		}
		// Already the same on the map (someone typed the same): nothing to write.
		if (sameValue(field, mine[field], theirs[field])) continue;
		patch[field] = field === 'tags' ? parseTagText((mine.tags as string[]).join(',')) : mine[field];
	}
	return patch as FormPatch;
}

/**
 * A peer changed the asset while the form is open. Fields the person has not touched take
 * the new value (the open form updates, and the base moves with it so it is not written
 * back); fields they have touched keep what they typed (a conflict, if it differs, is
 * shown at save). Returns the new base and form values and which fields moved.
 */
export function followRemote(
	base: FormValues,
	mine: FormValues,
	theirs: FormValues
): { base: FormValues; mine: FormValues; updated: FormField[] } {
	const nextBase = { ...base };
	const nextMine = { ...mine };
	const updated: FormField[] = [];
	for (const field of FORM_FIELDS) {
		if (sameValue(field, base[field], theirs[field])) continue;
		if (sameValue(field, base[field], mine[field])) {
			(nextBase as Record<string, unknown>)[field] = theirs[field];
			(nextMine as Record<string, unknown>)[field] = theirs[field];
			updated.push(field);
		}
	}
	return { base: nextBase, mine: nextMine, updated };
}

/** "See both": both texts in the field, the person's first, so they can combine them. */
export function combineValues(field: FormField, mine: FormValues[FormField], theirs: FormValues[FormField]): FormValues[FormField] {
	if (field === 'tags') return [...new Set([...(mine as string[]), ...(theirs as string[])])];
	if (field === 'category') return mine;
	const a = String(mine ?? '').trim();
	const b = String(theirs ?? '').trim();
	return field === 'description' ? `${a}\n\n${b}` : `${a} / ${b}`;
}
