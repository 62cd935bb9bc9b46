/**
 * The one entry point for changing a map. Each function validates its input first (so a
 * rejected call changes nothing), then makes its change in a single transaction tagged
 * with an origin, which the sync layer uses to tell local edits from remote ones.
 */
import { newEntityId } from './ids.ts';
import {
	LIMITS,
	SCHEMA_VERSION,
	type AssetFields,
	type AssetGeometry,
	type Contributor,
	type MapView
} from './model.ts';
import {
	hasAsset,
	hasEntity,
	insertAsset,
	patchAsset,
	patchEntity,
	readAsset,
	readMeta,
	transact,
	writeMeta,
	type AtlasDoc,
	type Collection
} from './schema.ts';
import { checkDrawnGeometry, InvalidInputError, isCategory, parseGeometry, parseMapView, parseTags } from './validate.ts';

/** Origin of transactions made by this client's own UI. */
export const LOCAL_ORIGIN = 'asset-atlas:local';

export function cleanText(value: unknown, field: string, max: number, required = false): string {
	if (typeof value !== 'string') throw new InvalidInputError(field, `${field} must be text`);
	const trimmed = value.trim();
	if (required && !trimmed) throw new InvalidInputError(field, `${field} is required`);
	if (trimmed.length > max) {
		throw new InvalidInputError(field, `${field} is longer than ${max} characters`);
	}
	return trimmed;
}

function cleanGeometry(value: unknown): AssetGeometry {
	const geometry = parseGeometry(value);
	if (!geometry) throw new InvalidInputError('geometry', 'geometry is not a valid point, line or area');
	return geometry;
}

function cleanFields(input: Partial<AssetFields>): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	if (input.name !== undefined) out.name = cleanText(input.name, 'name', LIMITS.name, true);
	if (input.category !== undefined) {
		if (!isCategory(input.category)) throw new InvalidInputError('category', 'unknown category');
		out.category = input.category;
	}
	if (input.description !== undefined) {
		out.description = cleanText(input.description, 'description', LIMITS.description);
	}
	if (input.holder !== undefined) out.holder = cleanText(input.holder, 'holder', LIMITS.holder);
	if (input.tags !== undefined) {
		if (!Array.isArray(input.tags)) throw new InvalidInputError('tags', 'tags must be a list');
		out.tags = parseTags(input.tags);
	}
	if (input.geometry !== undefined) out.geometry = cleanGeometry(input.geometry);
	return out;
}

export function stamp(by: Contributor): Contributor {
	return { id: by.id, name: by.name, affiliation: by.affiliation };
}

export interface NewMap {
	title: string;
	place?: string;
	description?: string;
	view?: MapView;
}

/** Fills in meta for a new map; called once by the server when the map is created. */
export function initMap(doc: AtlasDoc, input: NewMap, now = Date.now(), origin: unknown = LOCAL_ORIGIN) {
	const title = cleanText(input.title, 'title', LIMITS.title, true);
	const place = cleanText(input.place ?? '', 'place', LIMITS.place);
	const description = cleanText(input.description ?? '', 'description', LIMITS.description);
	const view = input.view === undefined ? undefined : parseMapView(input.view);
	if (input.view !== undefined && !view) throw new InvalidInputError('view', 'view is not valid');
	transact(
		doc,
		() => {
			writeMeta(doc, {
				title,
				place,
				description,
				createdAt: now,
				schemaVersion: SCHEMA_VERSION,
				locked: false,
				view: view ?? undefined
			});
		},
		origin
	);
}

/**
 * A new asset's fields as they will be stored (trimmed, tags cleaned), or InvalidInputError
 * naming what is wrong: what addAsset accepts, and what the importer's preview judges each
 * row by (src/lib/import/preview.ts).
 */
export function checkNewAsset(input: AssetFields): Record<string, unknown> {
	const fields = cleanNewAsset(input);
	checkDrawnGeometry(fields.geometry as AssetGeometry);
	return fields;
}

/** checkNewAsset but for the area's self-crossing check, which a caller makes itself (to say where). */
export function cleanNewAsset(input: AssetFields): Record<string, unknown> {
	const fields = cleanFields(input);
	for (const required of ['name', 'category', 'geometry'] as const) {
		if (fields[required] === undefined) throw new InvalidInputError(required, `${required} is required`);
	}
	return fields;
}

export function addAsset(
	doc: AtlasDoc,
	input: AssetFields,
	by: Contributor,
	now = Date.now(),
	origin: unknown = LOCAL_ORIGIN
): string {
	const fields = checkNewAsset(input);
	const id = newEntityId();
	transact(doc, () => insertAsset(doc, id, newAssetEntry(id, fields, stamp(by), now)), origin);
	return id;
}

/** A new asset's entry as it is written: checked fields, the optional ones defaulted, made and last changed by `who` at `now`. */
export function newAssetEntry(id: string, fields: ReturnType<typeof checkNewAsset>, who: Contributor, now: number): Record<string, unknown> {
	return { id, description: '', holder: '', tags: [], ...fields, createdBy: who, createdAt: now, updatedBy: who, updatedAt: now };
}

function requireAsset(doc: AtlasDoc, id: string): void {
	if (!hasAsset(doc, id)) throw new InvalidInputError('id', `no asset ${id}`);
}

/** Changes only the given fields; fields left out keep whatever peers wrote meanwhile. */
export function updateAsset(
	doc: AtlasDoc,
	id: string,
	patch: Partial<AssetFields>,
	by: Contributor,
	now = Date.now(),
	origin: unknown = LOCAL_ORIGIN
): void {
	requireAsset(doc, id);
	const fields = cleanFields(patch);
	const current = readAsset(doc, id);
	// Only what differs is written: a value that is already there is not stamped again, so
	// it cannot win a concurrent race against a peer's edit of the same field.
	const changed = Object.fromEntries(
		Object.entries(fields).filter(
			([key, value]) => JSON.stringify(current?.[key as keyof typeof current]) !== JSON.stringify(value)
		)
	);
	if (Object.keys(changed).length === 0) return;
	// Only a new shape is judged, so a peer's existing area can still be renamed.
	if (changed.geometry) checkDrawnGeometry(changed.geometry as AssetGeometry);
	transact(doc, () => patchAsset(doc, id, { ...changed, updatedBy: stamp(by), updatedAt: now }), origin);
}

export function moveAsset(
	doc: AtlasDoc,
	id: string,
	geometry: AssetGeometry,
	by: Contributor,
	now = Date.now(),
	origin: unknown = LOCAL_ORIGIN
): void {
	updateAsset(doc, id, { geometry }, by, now, origin);
}

/** Soft delete: a facilitator can restore it, and links to it are kept but not shown. */
export function deleteAsset(
	doc: AtlasDoc,
	id: string,
	by: Contributor,
	now = Date.now(),
	origin: unknown = LOCAL_ORIGIN
): void {
	requireAsset(doc, id);
	transact(doc, () => patchAsset(doc, id, { deletedAt: now, updatedBy: stamp(by), updatedAt: now }), origin);
}

export function restoreAsset(
	doc: AtlasDoc,
	id: string,
	by: Contributor,
	now = Date.now(),
	origin: unknown = LOCAL_ORIGIN
): void {
	requireAsset(doc, id);
	transact(doc, () => patchAsset(doc, id, { deletedAt: undefined, updatedBy: stamp(by), updatedAt: now }), origin);
}

/** Facilitator only (the server enforces it): hidden assets vanish for everyone else. */
export function setAssetHidden(
	doc: AtlasDoc,
	id: string,
	hidden: boolean,
	by: Contributor,
	now = Date.now(),
	origin: unknown = LOCAL_ORIGIN
): void {
	requireAsset(doc, id);
	transact(
		doc,
		() => patchAsset(doc, id, { hidden: hidden ? true : undefined, updatedBy: stamp(by), updatedAt: now }),
		origin
	);
}

export function setMapLocked(doc: AtlasDoc, locked: boolean, origin: unknown = LOCAL_ORIGIN): void {
	if (readMeta(doc).locked === locked) return;
	transact(doc, () => writeMeta(doc, { locked }), origin);
}

/** Opts the map in (or out) of naming contributors in its snapshots (facilitator only). */
export function setCreditNames(doc: AtlasDoc, creditNames: boolean, origin: unknown = LOCAL_ORIGIN): void {
	if (readMeta(doc).creditNames === creditNames) return;
	transact(doc, () => writeMeta(doc, { creditNames }), origin);
}

export function setMapView(doc: AtlasDoc, view: MapView, origin: unknown = LOCAL_ORIGIN): void {
	const parsed = parseMapView(view);
	if (!parsed) throw new InvalidInputError('view', 'view is not valid');
	transact(doc, () => writeMeta(doc, { view: parsed }), origin);
}

/** Facilitator only: brings back a goal someone deleted. */
export function restoreGoal(
	doc: AtlasDoc,
	id: string,
	by: Contributor,
	now = Date.now(),
	origin: unknown = LOCAL_ORIGIN
): void {
	restoreEntry(doc, 'goals', id, by, now, origin);
}

/** Brings back a deleted asset, goal or link (the app offers it to facilitators). */
export function restoreEntry(
	doc: AtlasDoc,
	collection: Collection,
	id: string,
	by: Contributor,
	now = Date.now(),
	origin: unknown = LOCAL_ORIGIN
): void {
	if (!hasEntity(doc, collection, id)) throw new InvalidInputError('id', `no entry ${id} in ${collection}`);
	transact(doc, () => patchEntity(doc, collection, id, { deletedAt: undefined, updatedBy: stamp(by), updatedAt: now }), origin);
}
