/**
 * Changing what a map is called and says about itself (facilitator only; the server refuses
 * meta writes from anyone else). Beside mutations.ts, and like it: input is validated first,
 * so a refused call changes nothing, then one transaction with an origin.
 */
import { LIMITS, type MapMeta } from './model.ts';
import { readMeta, transact, writeMeta, type AtlasDoc } from './schema.ts';
import { InvalidInputError } from './validate.ts';
import { LOCAL_ORIGIN } from './mutations.ts';

export type MapDetails = Pick<MapMeta, 'title' | 'place' | 'description'>;

function clean(value: unknown, field: keyof MapDetails, max: number, required = false): string {
	if (typeof value !== 'string') throw new InvalidInputError(field, `${field} must be text`);
	const trimmed = value.trim();
	if (required && !trimmed) throw new InvalidInputError(field, `${field} is required`);
	if (trimmed.length > max) throw new InvalidInputError(field, `${field} is longer than ${max} characters`);
	return trimmed;
}

/** Sets the fields given; only those that differ are written. Returns whether anything changed. */
export function setMapDetails(doc: AtlasDoc, details: Partial<MapDetails>, origin: unknown = LOCAL_ORIGIN): boolean {
	const next: Partial<MapDetails> = {};
	if (details.title !== undefined) next.title = clean(details.title, 'title', LIMITS.title, true);
	if (details.place !== undefined) next.place = clean(details.place, 'place', LIMITS.place);
	if (details.description !== undefined) next.description = clean(details.description, 'description', LIMITS.description);
	const current = readMeta(doc);
	const changed = (Object.keys(next) as Array<keyof MapDetails>).filter((key) => current[key] !== next[key]);
	if (changed.length === 0) return false;
	transact(doc, () => writeMeta(doc, Object.fromEntries(changed.map((key) => [key, next[key]]))), origin);
	return true;
}
