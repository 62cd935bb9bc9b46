/**
 * Who may make which change to a map's document (server/RULES.md, "Roles × document").
 *
 * The write gate (write-gate.ts) turns an update into the list of changes applying it
 * would make; this table judges each change. Keeping the two apart lets the differential
 * test compute the changes a second way (by really applying the update to a copy) and
 * judge them with this same table.
 */
import type { Role } from '../../src/lib/doc/model.ts';

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
}

/** Root maps holding entries (one nested Y.Map per entry, keyed by id). */
export const ENTRY_ROOTS: ReadonlySet<string> = new Set(['assets', 'goals', 'links']);
/** Fields of an entry only a facilitator may write, per root map. */
const FACILITATOR_FIELDS: Record<string, ReadonlySet<string>> = { assets: new Set(['hidden']) };

export interface WriteContext {
	role: Role;
	/** meta.locked in the server's document: then only the facilitator writes. */
	locked: boolean;
}

/** Names from an update end up in logs and close reasons: quoted, short, one line. */
export function quote(name: string | null): string {
	if (name === null) return 'a list position';
	return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
}

/** Why `context` may not make `change`, or null if it may. */
export function refusalFor(context: WriteContext, change: Change): string | null {
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
	return editorRefusal(change);
}

function editorRefusal({ op, parent, key }: Change): string | null {
	// Content with no place (a GC range from the editor's own history) changes nothing anyone sees.
	if (parent === null) return null;
	const root = parent[0];
	if (root === 'meta') return 'meta is facilitator-only';
	if (root === null || !ENTRY_ROOTS.has(root)) return `root ${quote(root)} is not writable`;
	if (parent.length === 1) {
		if (key === null) return 'entries must be keyed';
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
		return `${op === 'store' ? 'writing over' : `${op === 'replace' ? 'replacing' : 'deleting'}`} a whole entry is facilitator-only`;
	}
	const field = parent.length === 2 ? key : parent[2];
	if (field === null) return 'entry fields must be keyed';
	if (FACILITATOR_FIELDS[root]?.has(field)) return `${root}.*.${field} is facilitator-only`;
	return null;
}
