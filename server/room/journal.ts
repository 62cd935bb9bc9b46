/**
 * The history the server keeps beside each map. Attribution inside the document is
 * written by clients (and anyone with the participant link can change it); the journal is
 * written by the server, from what the write gate found an accepted update changes, with
 * the role and name the server stamped on that connection. It is stored in the same
 * transaction as the update, and compaction of the update log never touches it.
 */
import * as Y from 'yjs';
import type { Affiliation, Role } from '../../src/lib/doc/model.ts';
import { ENTRY_ROOTS, type Change } from './write-rules.ts';

export const JOURNAL_COLLECTIONS = ['assets', 'goals', 'links', 'rounds', 'responses', 'progress', 'meta'] as const;
export type JournalCollection = (typeof JOURNAL_COLLECTIONS)[number];
export const JOURNAL_KINDS = ['create', 'update', 'delete', 'restore', 'hide', 'show'] as const;
export type JournalKind = (typeof JOURNAL_KINDS)[number];

/**
 * Who the journal says made a change the server wrote itself: 'server' for its own changes
 * (a migration), 'anonymous' for an anonymous answer it wrote for a participant. Either way
 * with no name, no affiliation and nothing about a connection: an anonymous answer's record
 * does not even say which role's key sent it.
 */
export type ServerRole = 'server' | 'anonymous';
export type JournalRole = Role | ServerRole;

/** One change to one entry, as the server recorded it. */
export interface JournalRecord {
	at: number;
	/** A connection's role, or ServerRole for writes the server makes itself. */
	role: JournalRole;
	name: string;
	affiliation: Affiliation | null;
	collection: JournalCollection;
	/** The entry's id ('meta' for the map's settings). */
	entry: string;
	kind: JournalKind;
	/** New values of the fields it changed; null where a field was removed. */
	fields: Record<string, unknown>;
}

/** Longest text kept per value: the longest any field may be (LIMITS.description). */
export const MAX_JOURNAL_TEXT = 4000;
/** Values whose JSON is longer than this (a huge hand-written polygon) are recorded as truncated. */
export const MAX_JOURNAL_VALUE_BYTES = 64 * 1024;

/** Fields the app stamps on every save; they never make an entry of their own. */
const BOOKKEEPING = new Set(['updatedAt', 'updatedBy']);

export interface Author {
	role: JournalRole;
	name: string;
	affiliation: Affiliation | null;
}

/** Capped copy of a value for the journal. */
export function journalValue(value: unknown): unknown {
	const json = value instanceof Y.AbstractType ? value.toJSON() : value;
	if (json === undefined) return null;
	if (typeof json === 'string') return json.length > MAX_JOURNAL_TEXT ? `${json.slice(0, MAX_JOURNAL_TEXT)}…` : json;
	const text = JSON.stringify(json);
	if (text === undefined) return null;
	if (text.length > MAX_JOURNAL_VALUE_BYTES) return { truncated: true };
	return json;
}

function entryFields(doc: Y.Doc, collection: string, id: string): Record<string, unknown> {
	const entry = doc.getMap<unknown>(collection).get(id);
	const fields: Record<string, unknown> = {};
	if (!(entry instanceof Y.Map)) return fields;
	for (const [field, value] of entry.entries()) fields[field] = journalValue(value);
	return fields;
}

function fieldValue(doc: Y.Doc, collection: string, id: string, field: string): unknown {
	const entry = doc.getMap<unknown>(collection).get(id);
	return entry instanceof Y.Map && entry.has(field) ? journalValue(entry.get(field)) : null;
}

/**
 * Journal records for one accepted update, read from `doc` after it was applied. Changes
 * nobody can see ("store") make none.
 */
export function journalFor(doc: Y.Doc, changes: Change[], author: Author, at: number): JournalRecord[] {
	// Per collection, per entry id: ids come from the network, so they are never joined into
	// one string key (an id holding the separator would file changes under another entry).
	const created = new Map<JournalCollection, Map<string, 'create' | 'update' | 'delete'>>();
	const touched = new Map<JournalCollection, Map<string, Set<string>>>();
	const note = (collection: JournalCollection, id: string, field: string) => {
		let entries = touched.get(collection);
		if (!entries) touched.set(collection, (entries = new Map()));
		let fields = entries.get(id);
		if (!fields) entries.set(id, (fields = new Set()));
		fields.add(field);
	};
	for (const change of changes) {
		if (change.op === 'store' || change.parent === null) continue;
		const root = change.parent[0];
		if (root === 'meta') {
			if (change.parent.length === 1 && change.key !== null) note('meta', 'meta', change.key);
			else if (change.parent.length > 1 && change.parent[1] !== null) note('meta', 'meta', change.parent[1]);
			continue;
		}
		if (root === null || !ENTRY_ROOTS.has(root)) continue;
		const collection = root as JournalCollection;
		if (change.parent.length === 1) {
			if (change.key === null) continue;
			let entries = created.get(collection);
			if (!entries) created.set(collection, (entries = new Map()));
			entries.set(change.key, change.op === 'create' ? 'create' : change.op === 'delete' ? 'delete' : 'update');
			continue;
		}
		const id = change.parent[1];
		const field = change.parent.length === 2 ? change.key : change.parent[2];
		if (id === null || field === null) continue;
		note(collection, id, field);
	}

	const records: JournalRecord[] = [];
	const record = (collection: JournalCollection, entry: string, kind: JournalKind, fields: Record<string, unknown>) =>
		records.push({ at, ...author, collection, entry, kind, fields });
	for (const [collection, entries] of created) {
		for (const [entry, kind] of entries) record(collection, entry, kind, kind === 'delete' ? {} : entryFields(doc, collection, entry));
	}
	for (const [collection, entries] of touched) {
		for (const [entry, names] of entries) {
			if (created.get(collection)?.has(entry)) continue; // its fields are in the create (or gone with the delete)
			if (collection === 'meta') {
				const meta = doc.getMap<unknown>('meta');
				const fields: Record<string, unknown> = {};
				for (const name of names) fields[name] = meta.has(name) ? journalValue(meta.get(name)) : null;
				record('meta', 'meta', 'update', fields);
				continue;
			}
			const rest: Record<string, unknown> = {};
			for (const name of names) {
				const value = fieldValue(doc, collection, entry, name);
				if (name === 'deletedAt') record(collection, entry, typeof value === 'number' ? 'delete' : 'restore', { deletedAt: value });
				else if (name === 'hidden') record(collection, entry, value === true ? 'hide' : 'show', { hidden: value });
				else if (!BOOKKEEPING.has(name)) rest[name] = value;
			}
			if (Object.keys(rest).length > 0) record(collection, entry, 'update', rest);
		}
	}
	return records;
}
