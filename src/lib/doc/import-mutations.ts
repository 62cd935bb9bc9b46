/**
 * Writing imported assets (src/lib/import/ makes the rows; the person confirms the preview).
 *
 * Every row is judged first exactly as addAsset judges one (checkNewAsset), so a refused
 * import changes nothing. The assets then go into the document in several transactions,
 * each sent to the server as its own update, sized well below what the server takes in one
 * update (server/room/update-shape.ts UPDATE_LIMITS: 50,000 structs, 250,000 values; frames
 * up to 8 MiB, server/sync-server.ts): a quarter of the structs and values, and 256 KiB —
 * about 400 ordinary assets, which the server's write gate judges in a few tens of
 * milliseconds, so one import never holds the server's event loop (shared by every map)
 * for long, and each part counts lightly against the sender's room-time budget.
 *
 * Each asset carries the importer as its contributor (createdBy, updatedBy). The caller
 * makes the whole import one undoable step (OwnUndo.group, src/lib/edit/own-undo.ts).
 */
import { newEntityId } from './ids.ts';
import type { AssetFields, Contributor } from './model.ts';
import { checkNewAsset, LOCAL_ORIGIN, newAssetEntry, stamp } from './mutations.ts';
import { insertAsset, transact, type AtlasDoc } from './schema.ts';
import { InvalidInputError } from './validate.ts';

/** What one import transaction may hold at most; each is one update on the wire. */
export const IMPORT_UPDATE_BUDGET = {
	/** Encoded bytes (estimated from above: see estimateEntry). */
	bytes: 256 * 1024,
	/** Structs: one per asset entry and one per field (a quarter of the server's 50,000). */
	structs: 12_500,
	/** Values as the server counts them (a quarter of its 250,000). */
	values: 62_500
} as const;

export interface EntryCost {
	bytes: number;
	structs: number;
	values: number;
}

/** Bytes of a string in UTF-8, without encoding it. */
function utf8Length(text: string): number {
	let bytes = 0;
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (code < 0x80) bytes += 1;
		else if (code < 0x800) bytes += 2;
		else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
			bytes += 4;
			i++;
		} else bytes += 3;
	}
	return bytes;
}

/** Upper bounds for lib0's writeAny of a value: its bytes, and the values the server counts in it. */
function anyCost(value: unknown): { bytes: number; values: number } {
	if (typeof value === 'string') return { bytes: 1 + 5 + utf8Length(value), values: 0 };
	if (typeof value === 'number') return { bytes: 9, values: 0 };
	if (Array.isArray(value)) {
		let bytes = 1 + 5;
		let values = value.length;
		for (const item of value) {
			const cost = anyCost(item);
			bytes += cost.bytes;
			values += cost.values;
		}
		return { bytes, values };
	}
	if (typeof value === 'object' && value !== null) {
		const entries = Object.entries(value);
		let bytes = 1 + 5;
		let values = entries.length;
		for (const [key, item] of entries) {
			const cost = anyCost(item);
			bytes += 5 + utf8Length(key) + cost.bytes;
			values += cost.values;
		}
		return { bytes, values };
	}
	return { bytes: 1, values: 0 };
}

/**
 * What one new entry costs in an update, from above: the entry's own struct (info, its id
 * (client and clock, at most 5 bytes each), the parent's name and the key), then one struct
 * per field (info, the entry's id as parent, the key, and the value as lib0 writes it).
 * The unit tests hold it against the encoded updates and the server's own measure.
 */
export function estimateEntry(id: string, fields: Record<string, unknown>): EntryCost {
	let bytes = 1 + 10 + 5 + 'assets'.length + 5 + utf8Length(id) + 5;
	let structs = 1;
	let values = 0;
	for (const [key, value] of Object.entries(fields)) {
		if (value === undefined) continue;
		const cost = anyCost(value);
		bytes += 1 + 10 + 5 + utf8Length(key) + 5 + cost.bytes;
		structs += 1;
		values += 1 + cost.values;
	}
	return { bytes, structs, values };
}

/** Room for the update's own header (client, clock, counts) and its empty delete set. */
const UPDATE_OVERHEAD_BYTES = 64;

export interface ImportOptions {
	now?: number;
	origin?: unknown;
	budget?: EntryCost;
}

export interface ImportResult {
	/** The new assets' ids, in the order of the rows. */
	ids: string[];
	/** How many assets each transaction held (one update each). */
	parts: number[];
}

/**
 * Adds the rows as new assets of `by`, in transactions within `budget`. Throws
 * InvalidInputError (and changes nothing) when any row is not an asset addAsset would take.
 */
export function importAssets(doc: AtlasDoc, rows: AssetFields[], by: Contributor, options: ImportOptions = {}): ImportResult {
	const now = options.now ?? Date.now();
	const origin = options.origin ?? LOCAL_ORIGIN;
	const budget = options.budget ?? IMPORT_UPDATE_BUDGET;
	const cleaned = rows.map((row) => checkNewAsset(row));
	const who = stamp(by);
	const entries = cleaned.map((fields) => {
		const id = newEntityId();
		const value = newAssetEntry(id, fields, who, now);
		const cost = estimateEntry(id, value);
		if (cost.bytes + UPDATE_OVERHEAD_BYTES > budget.bytes || cost.structs > budget.structs || cost.values > budget.values) {
			// Only a shape of tens of thousands of corners comes near; the server would refuse it.
			throw new InvalidInputError('geometry', 'an asset too large to send in one update', 'too-large');
		}
		return { id, value, cost };
	});

	const parts: number[] = [];
	let start = 0;
	while (start < entries.length) {
		// At least one entry per part: a valid asset alone is far below the budget.
		let end = start + 1;
		let bytes = UPDATE_OVERHEAD_BYTES + entries[start].cost.bytes;
		let structs = entries[start].cost.structs;
		let values = entries[start].cost.values;
		while (end < entries.length) {
			const cost = entries[end].cost;
			if (bytes + cost.bytes > budget.bytes || structs + cost.structs > budget.structs || values + cost.values > budget.values) break;
			bytes += cost.bytes;
			structs += cost.structs;
			values += cost.values;
			end++;
		}
		const part = entries.slice(start, end);
		transact(doc, () => {
			for (const entry of part) insertAsset(doc, entry.id, entry.value);
		}, origin);
		parts.push(part.length);
		start = end;
	}
	return { ids: entries.map((entry) => entry.id), parts };
}
