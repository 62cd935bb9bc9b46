/**
 * The only module that names Yjs types. It knows where each part of a map lives in the
 * Y.Doc and how an entity is stored (one Y.Map per asset, so concurrent edits to
 * different fields merge). Everything else reads and writes through these functions.
 */
import * as Y from 'yjs';
import { isEntityId } from './ids.ts';
import type { Asset, Goal, GoalProgress, Link, MapMeta, Round, RoundResponse } from './model.ts';
import { parseAsset, parseGoal, parseLink, parseMeta, parseProgress, parseResponse, parseRound } from './validate.ts';

export type AtlasDoc = Y.Doc;
type Entity = Y.Map<unknown>;

export function createDoc(): AtlasDoc {
	return new Y.Doc();
}

const metaOf = (doc: AtlasDoc) => doc.getMap<unknown>('meta');
const assetsOf = (doc: AtlasDoc) => doc.getMap<unknown>('assets');
const goalsOf = (doc: AtlasDoc) => doc.getMap<unknown>('goals');

/**
 * The root maps holding entities, one nested Y.Map per entity keyed by id. `rounds`,
 * `responses` and `progress` came with schema 2; Yjs makes a root map when it is first
 * named, so a schema-1 document simply has them empty.
 */
export const COLLECTIONS = ['assets', 'goals', 'links', 'rounds', 'responses', 'progress'] as const;
export type Collection = (typeof COLLECTIONS)[number];
const collectionOf = (doc: AtlasDoc, collection: Collection) => doc.getMap<unknown>(collection);

/** Runs fn as one transaction, so a user action reaches peers as one update. */
export function transact(doc: AtlasDoc, fn: () => void, origin: unknown): void {
	doc.transact(fn, origin);
}

export function readMeta(doc: AtlasDoc): MapMeta {
	return parseMeta(metaOf(doc).toJSON());
}

export function writeMeta(doc: AtlasDoc, fields: Partial<Record<keyof MapMeta, unknown>>): void {
	const meta = metaOf(doc);
	for (const [key, value] of Object.entries(fields)) {
		if (value !== undefined && meta.get(key) !== value) meta.set(key, value);
	}
}

function entityAt(doc: AtlasDoc, id: string, collection: Collection = 'assets'): Entity | null {
	const value = collectionOf(doc, collection).get(id);
	return value instanceof Y.Map ? value : null;
}

export function readAsset(doc: AtlasDoc, id: string): Asset | null {
	const entity = entityAt(doc, id);
	return entity && isEntityId(id) ? parseAsset(id, entity.toJSON()) : null;
}

/** Every asset that can be shown, deleted and hidden ones included; malformed ones skipped. */
export function readAllAssets(doc: AtlasDoc): Asset[] {
	const out: Asset[] = [];
	assetsOf(doc).forEach((value, id) => {
		if (!(value instanceof Y.Map) || !isEntityId(id)) return;
		const asset = parseAsset(id, value.toJSON());
		if (asset) out.push(asset);
	});
	return out;
}

export function hasAsset(doc: AtlasDoc, id: string): boolean {
	return entityAt(doc, id) !== null;
}

export function readAllGoals(doc: AtlasDoc): Goal[] {
	const out: Goal[] = [];
	goalsOf(doc).forEach((value, id) => {
		if (!(value instanceof Y.Map) || !isEntityId(id)) return;
		const goal = parseGoal(id, value.toJSON());
		if (goal) out.push(goal);
	});
	return out;
}

/**
 * Every readable link; malformed ones skipped. A link is read only from the key that is its
 * derived id (ids.ts linkId, computed by parseLink from its kind and ends), so each link is
 * read once and an entry stored under any other key cannot shadow the real one.
 */
export function readAllLinks(doc: AtlasDoc): Link[] {
	const out: Link[] = [];
	collectionOf(doc, 'links').forEach((value, key) => {
		if (!(value instanceof Y.Map)) return;
		const link = parseLink(value.toJSON());
		if (link && link.id === key) out.push(link);
	});
	return out;
}

function readAll<T>(doc: AtlasDoc, collection: Collection, parse: (id: string, raw: unknown) => T | null): T[] {
	const out: T[] = [];
	collectionOf(doc, collection).forEach((value, id) => {
		if (!(value instanceof Y.Map) || !isEntityId(id)) return;
		const entry = parse(id, value.toJSON());
		if (entry) out.push(entry);
	});
	return out;
}

/** Every readable check-in round, closed and deleted ones included. */
export function readAllRounds(doc: AtlasDoc): Round[] {
	return readAll(doc, 'rounds', parseRound);
}

export function readRound(doc: AtlasDoc, id: string): Round | null {
	const entity = entityAt(doc, id, 'rounds');
	return entity && isEntityId(id) ? parseRound(id, entity.toJSON()) : null;
}

/** Every readable answer of every round. */
export function readAllResponses(doc: AtlasDoc): RoundResponse[] {
	return readAll(doc, 'responses', parseResponse);
}

export function readResponse(doc: AtlasDoc, id: string): RoundResponse | null {
	const entity = entityAt(doc, id, 'responses');
	return entity && isEntityId(id) ? parseResponse(id, entity.toJSON()) : null;
}

/** Every recorded status change of every goal, oldest first. */
export function readAllProgress(doc: AtlasDoc): GoalProgress[] {
	return readAll(doc, 'progress', parseProgress).sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
}

/** Calls onChange whenever anything in one of these collections changes (they are small and re-read whole). */
export function observeCollections(doc: AtlasDoc, collections: readonly Collection[], onChange: () => void): () => void {
	const handler = () => onChange();
	const maps = collections.map((collection) => collectionOf(doc, collection));
	for (const map of maps) map.observeDeep(handler);
	return () => {
		for (const map of maps) map.unobserveDeep(handler);
	};
}

/** Links change rarely and are few per asset, so listeners just re-read them all. */
export function observeLinks(doc: AtlasDoc, onChange: () => void): () => void {
	const links = collectionOf(doc, 'links');
	const handler = () => onChange();
	links.observeDeep(handler);
	return () => links.unobserveDeep(handler);
}

/** When an entry of any collection was deleted (soft), or null if it is not deleted or not there. */
export function entryDeletedAt(doc: AtlasDoc, collection: Collection, id: string): number | null {
	const value = entityAt(doc, id, collection)?.get('deletedAt');
	return typeof value === 'number' ? value : null;
}

export function hasEntity(doc: AtlasDoc, collection: Collection, id: string): boolean {
	return entityAt(doc, id, collection) !== null;
}

/** Like patchAsset, for any collection. */
export function patchEntity(doc: AtlasDoc, collection: Collection, id: string, fields: Record<string, unknown>): boolean {
	const entity = entityAt(doc, id, collection);
	if (!entity) return false;
	for (const [key, value] of Object.entries(fields)) {
		if (value === undefined) entity.delete(key);
		else if (!sameValue(entity.get(key), value)) entity.set(key, value);
	}
	return true;
}

export function insertAsset(doc: AtlasDoc, id: string, fields: Record<string, unknown>): void {
	insertEntry(doc, 'assets', id, fields);
}

/** A new entry of any collection, one nested Y.Map so concurrent edits to its fields merge. */
export function insertEntry(doc: AtlasDoc, collection: Collection, id: string, fields: Record<string, unknown>): void {
	const entity = new Y.Map<unknown>();
	for (const [key, value] of Object.entries(fields)) {
		if (value !== undefined) entity.set(key, value);
	}
	collectionOf(doc, collection).set(id, entity);
}

export function readGoal(doc: AtlasDoc, id: string): Goal | null {
	const entity = entityAt(doc, id, 'goals');
	return entity && isEntityId(id) ? parseGoal(id, entity.toJSON()) : null;
}

/** The link stored under its derived id, or null when there is none (or it is unreadable). */
export function readLink(doc: AtlasDoc, id: string): Link | null {
	const entity = entityAt(doc, id, 'links');
	const link = entity ? parseLink(entity.toJSON()) : null;
	return link && link.id === id ? link : null;
}

/** Sets only fields whose value changed, so a save touches as little as it can. */
export function patchAsset(doc: AtlasDoc, id: string, fields: Record<string, unknown>): boolean {
	return patchEntity(doc, 'assets', id, fields);
}

function sameValue(a: unknown, b: unknown): boolean {
	if (a === b) return true;
	if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
	return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Calls onChange with the ids of assets that were added, changed or removed, once per
 * transaction. Consumers re-read just those ids instead of the whole collection.
 */
export function observeAssets(
	doc: AtlasDoc,
	onChange: (ids: Set<string>, local: boolean) => void
): () => void {
	const assets = assetsOf(doc);
	const handler = (events: Array<Y.YEvent<any>>, transaction: Y.Transaction) => {
		const ids = new Set<string>();
		for (const event of events) {
			if (event.target === assets) {
				for (const key of event.changes.keys.keys()) ids.add(key);
			} else {
				const id = event.path[0];
				if (typeof id === 'string') ids.add(id);
			}
		}
		if (ids.size > 0) onChange(ids, transaction.local);
	};
	assets.observeDeep(handler);
	return () => assets.unobserveDeep(handler);
}

/** Goals change rarely and are few, so listeners just re-read them all. */
export function observeGoals(doc: AtlasDoc, onChange: () => void): () => void {
	const goals = goalsOf(doc);
	const handler = () => onChange();
	goals.observeDeep(handler);
	return () => goals.unobserveDeep(handler);
}

export function observeMeta(doc: AtlasDoc, onChange: () => void): () => void {
	const meta = metaOf(doc);
	const handler = () => onChange();
	meta.observeDeep(handler);
	return () => meta.unobserveDeep(handler);
}

/** Snapshot of the whole document as one update, for tests and compaction. */
export function encodeState(doc: AtlasDoc): Uint8Array {
	return Y.encodeStateAsUpdate(doc);
}

export function applyState(doc: AtlasDoc, update: Uint8Array, origin?: unknown): void {
	Y.applyUpdate(doc, update, origin);
}
