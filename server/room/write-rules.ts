/**
 * Who may make which change to a map's document (server/RULES.md, "Roles × document").
 *
 * The write gate (write-gate.ts) turns an update into the list of changes applying it
 * would make; this table judges each change. Keeping the two apart lets the differential
 * test compute the changes a second way (by really applying the update to a copy) and
 * judge them with this same table.
 */
import * as Y from 'yjs';
import { isEntityId } from '../../src/lib/doc/ids.ts';
import type { Role } from '../../src/lib/doc/model.ts';
import { parseRound } from '../../src/lib/doc/validate.ts';

/**
 * Where a value lives: the keys from a root map down to the type that holds it. `null`
 * stands for a list position (an item without a key).
 */
export type Path = (string | null)[];

/**
 * create / replace / delete: a key gets a value, a new value, or loses its value.
 * insert / remove: a list position gains or loses a live item.
 * store: the update adds content that nobody will see (a set that loses to a concurrent
 *   one, an item born deleted, a garbage-collected range): it still grows the stored
 *   document and advances the sender's clock, so it is a write like any other.
 */
export type ChangeOp = 'create' | 'replace' | 'delete' | 'insert' | 'remove' | 'store';

export interface Change {
	op: ChangeOp;
	/** The type holding the changed key or list; null for content with no place (GC ranges). */
	parent: Path | null;
	/** The key within `parent`; null for a list position (and for content with no place). */
	key: string | null;
	/** A create or replace whose new value is a Yjs type (map, array, text…), not a plain value. */
	typed?: boolean;
	/**
	 * The new value of a create or replace of a plain value (what Y.Map.get would return
	 * after the update). The rules for answers read a new answer's `round` from it.
	 */
	value?: unknown;
}

/**
 * Root maps holding entries (one nested Y.Map per entry, keyed by id). `rounds`,
 * `responses` and `progress` came with schema 2.
 */
export const ENTRY_ROOTS: ReadonlySet<string> = new Set(['assets', 'goals', 'links', 'rounds', 'responses', 'progress']);
/** Fields of an entry only a facilitator may write, per root map. */
const FACILITATOR_FIELDS: Record<string, ReadonlySet<string>> = { assets: new Set(['hidden']) };

/**
 * What the rules for check-in rounds need from the server's document (as it is before the
 * update) and the connection's device. Without it, no round is open to editors and no
 * answer is their own.
 */
export interface DocumentFacts {
	/** A round that exists and is not deleted, as the server's document has it; null otherwise. */
	round(id: string): { open: boolean; anonymous: boolean } | null;
	/**
	 * An existing answer: the round it names, and whether the client id it was created under
	 * (its entry's Y.Map item) is owned by this connection's device. Null if there is none.
	 */
	response(id: string): { round: unknown; own: boolean } | null;
}

export interface WriteContext {
	role: Role;
	/** meta.locked in the server's document: then only the facilitator writes. */
	locked: boolean;
	facts?: DocumentFacts;
}

/** What one update does as a whole, for rules that look past a single change. */
interface UpdateView {
	/** Whether the update creates the entry `root.<id>` (a key that had no value gets one). */
	creates(root: string, id: string): boolean;
	/** The plain value the update gives `root.<id>.<field>`, if it sets one. */
	value(root: string, id: string, field: string): unknown;
}

function viewOf(changes: readonly Change[]): UpdateView {
	let created: Set<string> | null = null;
	let values: Map<string, unknown> | null = null;
	// Ids come from the network: joined with a separator that JSON escapes, never raw.
	const keyOf = (...parts: string[]) => JSON.stringify(parts);
	const index = () => {
		if (created && values) return;
		created = new Set();
		values = new Map();
		for (const change of changes) {
			const parent = change.parent;
			if (parent === null || change.key === null || parent[0] === null) continue;
			if (parent.length === 1 && change.op === 'create') created.add(keyOf(parent[0], change.key));
			if (parent.length === 2 && parent[1] !== null && (change.op === 'create' || change.op === 'replace')) values.set(keyOf(parent[0], parent[1], change.key), change.value);
		}
	};
	return {
		creates(root, id) {
			index();
			return created!.has(keyOf(root, id));
		},
		value(root, id, field) {
			index();
			return values!.get(keyOf(root, id, field));
		}
	};
}

/** Why `context` may not make the changes of one update, or null if it may make them all. */
export function refusalForChanges(context: WriteContext, changes: readonly Change[]): string | null {
	const update = viewOf(changes);
	for (const change of changes) {
		const refusal = refusalFor(context, change, update);
		if (refusal) return refusal;
	}
	return null;
}

/** Names from an update end up in logs and close reasons: quoted, short, one line. */
export function quote(name: string | null): string {
	if (name === null) return 'a list position';
	return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
}

/**
 * Why `context` may not make `change`, or null if it may. `update` is the rest of the same
 * update (refusalForChanges): a new answer is judged by the round it names, and fields of a
 * new answer or progress entry by the entry they are in.
 */
export function refusalFor(context: WriteContext, change: Change, update: UpdateView = viewOf([change])): string | null {
	if (context.role === 'viewer') return 'viewers are read-only';
	// Fields hold plain values (DESIGN.md); a Yjs type inside one is refused for every role,
	// facilitators too (anyone can make a map and be its facilitator). A nested type lets a
	// tiny update stand for a large value (the journal records the whole field each time)
	// and costs the server many times its stored size in memory.
	// Inside a field, or a Yjs type (even an empty one) as a field's value.
	const fieldDepth = ENTRY_ROOTS.has(change.parent?.[0] ?? '') ? 2 : 1;
	if (change.parent !== null && (change.parent.length > fieldDepth || (change.typed === true && change.parent.length === fieldDepth))) {
		return 'fields hold plain values, not nested types';
	}
	if (context.role === 'facilitator') return null;
	if (context.locked) return 'map is locked';
	return editorRefusal(change, context.facts ?? null, update);
}

function editorRefusal({ op, parent, key }: Change, facts: DocumentFacts | null, update: UpdateView): string | null {
	// Content with no place (a GC range from the editor's own history) changes nothing anyone sees.
	if (parent === null) return null;
	const root = parent[0];
	if (root === 'meta') return 'meta is facilitator-only';
	if (root === 'rounds') return 'only the facilitator opens and closes rounds';
	if (root === null || !ENTRY_ROOTS.has(root)) return `root ${quote(root)} is not writable`;
	if (parent.length === 1) {
		if (key === null) return 'entries must be keyed';
		if (root === 'responses') return op === 'create' ? newAnswerRefusal(facts, update.value(root, key, 'round')) : `${wholeEntryVerb(op)} a whole answer is facilitator-only (withdrawing is the deletedAt field)`;
		if (root === 'progress') return op === 'create' ? null : 'goal progress is kept as history: entries are never changed';
		// A new entry is fine. Replacing, deleting, or racing a set against an existing entry
		// would erase someone's work: soft delete is the `deletedAt` field.
		if (op === 'create') return null;
		// Links are the exception for replace and store (never delete: unlinking is
		// `deletedAt`). A link's key is its identity, derived from its kind and ends
		// (src/lib/doc/ids.ts), and every field of a link entry (note, createdBy, deletedAt,
		// kind, from, to) is already editor-writable, so replacing the entry gives an editor
		// no power it does not already have; refusing it would turn two people making the
		// same link at once (each a set of the same key, one wins, one loses) into a
		// refused write.
		if (root === 'links' && (op === 'replace' || op === 'store')) return null;
		return `${wholeEntryVerb(op)} a whole entry is facilitator-only`;
	}
	const id = parent[1];
	const field = parent.length === 2 ? key : parent[2];
	if (field === null || id === null) return 'entry fields must be keyed';
	if (FACILITATOR_FIELDS[root]?.has(field)) return `${root}.*.${field} is facilitator-only`;
	// Fields inside a new entry are judged with the entry (above).
	if (root === 'progress') return update.creates(root, id) ? null : 'goal progress is kept as history: entries are never changed';
	if (root === 'responses' && !update.creates(root, id)) return answerEditRefusal(facts, field, id);
	return null;
}

function wholeEntryVerb(op: ChangeOp): string {
	return op === 'store' ? 'writing over' : op === 'replace' ? 'replacing' : 'deleting';
}

/**
 * A participant's client writes only named answers, to a round that is open and not
 * anonymous in the server's document: an anonymous answer written by the phone would carry
 * its client id, which presence and the journal tie to a name, so those go through the
 * server (POST …/rounds/<id>/responses).
 */
function newAnswerRefusal(facts: DocumentFacts | null, roundId: unknown): string | null {
	if (typeof roundId !== 'string') return 'a new answer must name its round';
	const round = facts?.round(roundId) ?? null;
	if (round === null) return 'no such round';
	if (!round.open) return 'this round is closed';
	if (round.anonymous) return 'answers to an anonymous round go through the server, not the participant’s client';
	return null;
}

/** A participant changes only their own named answer (made by their device), while its round is open. */
function answerEditRefusal(facts: DocumentFacts | null, field: string, id: string): string | null {
	const answer = facts?.response(id) ?? null;
	if (answer === null || !answer.own) return 'only your own answers can be changed';
	if (field === 'round') return 'an answer stays in its round';
	const round = typeof answer.round === 'string' ? (facts?.round(answer.round) ?? null) : null;
	if (round === null || !round.open) return 'this round is closed';
	return null;
}

/** The value at `key` of a type, as Y.Map.get reads it (undefined when none). */
function valueAt(type: Y.AbstractType<unknown>, key: string): unknown {
	const item = type._map.get(key);
	if (item === undefined || item.deleted) return undefined;
	return item.content.getContent()[item.length - 1];
}

/** The entry at `root.<id>` and the item that holds it, without creating the root. */
function entryAt(doc: Y.Doc, root: string, id: string): { type: Y.AbstractType<unknown>; item: Y.Item } | null {
	const item = doc.share.get(root)?._map.get(id);
	if (item === undefined || item.deleted || !(item.content instanceof Y.ContentType)) return null;
	return { type: item.content.type as Y.AbstractType<unknown>, item };
}

/**
 * The facts the rules read from the server's document. `ownClient` says whether a client id
 * is owned by the writing connection's device (client-ids.ts).
 */
export function documentFacts(doc: Y.Doc, ownClient: (client: number) => boolean): DocumentFacts {
	return {
		round(id) {
			if (!isEntityId(id)) return null;
			const entry = entryAt(doc, 'rounds', id);
			// Read as every client reads it (parseRound), so "open" here is "open" in the app.
			const round = entry && entry.type instanceof Y.Map ? parseRound(id, entry.type.toJSON()) : null;
			if (round === null || round.deletedAt !== null) return null;
			return { open: round.status === 'open', anonymous: round.anonymous };
		},
		response(id) {
			const entry = entryAt(doc, 'responses', id);
			if (entry === null) return null;
			return { round: valueAt(entry.type, 'round'), own: ownClient(entry.item.id.client) };
		}
	};
}
