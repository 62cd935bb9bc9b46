/**
 * The map's history as the server keeps it (server/room/journal.ts): who changed which
 * entry, when, and to what. Parsed from the API once, here; and the versions of an asset
 * it lets a facilitator put back.
 */
import { AFFILIATIONS, ROLES, type Affiliation, type AssetFields, type Role } from './doc/model.ts';
import { isRecord, text } from './doc/validate.ts';

export const HISTORY_KINDS = ['create', 'update', 'delete', 'restore', 'hide', 'show'] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];
/** Schema 2 added check-in rounds, their answers and goal progress (README, "Schema version 2"). */
export type HistoryCollection = 'assets' | 'goals' | 'links' | 'rounds' | 'responses' | 'progress' | 'meta';

/**
 * Who wrote a change: a connection's role, or 'server' for what the server wrote itself — its
 * own changes (a migration) and answers to anonymous rounds (the API's role 'anonymous',
 * marked `anonymous` here), which have no name, affiliation or role of whoever sent them
 * (server/RULES.md, "Anonymous answers").
 */
export type HistoryRole = Role | 'server';

export interface HistoryEntry {
	at: number;
	role: HistoryRole;
	/** Written by the server for a participant who answered an anonymous round: nobody is named. */
	anonymous: boolean;
	name: string;
	affiliation: Affiliation | null;
	collection: HistoryCollection;
	entry: string;
	kind: HistoryKind;
	/** New values of the fields this change set; null where a field was removed. */
	fields: Record<string, unknown>;
}

export interface HistoryPage {
	entries: HistoryEntry[];
	next: string | null;
}

const COLLECTIONS: readonly string[] = ['assets', 'goals', 'links', 'rounds', 'responses', 'progress', 'meta'];

function parseEntry(value: unknown): HistoryEntry | null {
	if (!isRecord(value)) return null;
	const { at, role, affiliation, collection, entry, kind, fields } = value;
	if (typeof at !== 'number' || typeof entry !== 'string' || !isRecord(fields)) return null;
	if (!(HISTORY_KINDS as readonly unknown[]).includes(kind) || !COLLECTIONS.includes(collection as string)) return null;
	if (role !== 'server' && role !== 'anonymous' && !(ROLES as readonly unknown[]).includes(role)) return null;
	const anonymous = role === 'anonymous';
	return {
		at,
		role: anonymous ? 'server' : (role as HistoryRole),
		anonymous,
		// An anonymous record never names anyone, whatever a server sent.
		name: anonymous ? '' : text(value.name, 80),
		affiliation: !anonymous && (AFFILIATIONS as readonly unknown[]).includes(affiliation) ? (affiliation as Affiliation) : null,
		collection: collection as HistoryCollection,
		entry,
		kind: kind as HistoryKind,
		fields
	};
}

export function parseHistoryPage(body: Record<string, unknown>): HistoryPage {
	const entries = Array.isArray(body.entries) ? body.entries.map(parseEntry).filter((entry): entry is HistoryEntry => entry !== null) : [];
	return { entries, next: typeof body.next === 'string' ? body.next : null };
}

/** Fields of an asset a facilitator can put back. */
export const REVERTIBLE_ASSET_FIELDS = ['name', 'category', 'description', 'holder', 'geometry', 'tags'] as const;
export type RevertibleField = (typeof REVERTIBLE_ASSET_FIELDS)[number];

/**
 * The asset as it was right after `entries[index]`, from its history (newest first, as
 * the API gives it): every field any change up to then wrote, oldest to newest. Values
 * the journal had to truncate are left out, so putting a version back never writes a
 * shortened copy.
 */
export function assetVersionAt(entries: HistoryEntry[], index: number): Partial<Record<RevertibleField, unknown>> {
	const version: Partial<Record<RevertibleField, unknown>> = {};
	for (let i = entries.length - 1; i >= index; i--) {
		const entry = entries[i];
		if (entry.kind !== 'create' && entry.kind !== 'update') continue;
		for (const field of REVERTIBLE_ASSET_FIELDS) {
			if (!(field in entry.fields)) continue;
			const value = entry.fields[field];
			if (isRecord(value) && value.truncated === true) delete version[field];
			else version[field] = value;
		}
	}
	return version;
}

/** The fields of a version as the form's types, for updateAsset (which validates them again). */
export function versionFields(version: Partial<Record<RevertibleField, unknown>>): Partial<AssetFields> {
	const out: Partial<AssetFields> = {};
	for (const field of REVERTIBLE_ASSET_FIELDS) {
		const value = version[field];
		if (value === undefined) continue;
		if (value === null) {
			if (field === 'description' || field === 'holder') out[field] = '';
			else if (field === 'tags') out.tags = [];
			continue;
		}
		(out as Record<string, unknown>)[field] = value;
	}
	return out;
}
