/**
 * Decides, before anything is applied, whether an incoming Yjs update may change a room's
 * doc (server/RULES.md). Applying and then reverting is not an option: an applied update
 * has already reached observers and the outgoing queue, and a revert is itself a change
 * every client would have to sync.
 *
 * The checker mirrors how Yjs itself will integrate the update (Item.getMissing /
 * integrate, readAndApplyDeleteSet) so that what we classify is exactly what would
 * happen. It also refuses anything Yjs would keep as "pending" (missing dependencies):
 * pending structs and deletes are merged with mergeUpdatesV2 on every later update, which
 * is the class of cost yjs issue #687 is about, and a well-behaved client only ever
 * references items it got from this server.
 */
import * as Y from 'yjs';
import type { Role } from '../src/lib/doc/model.ts';
import { UpdateMalformed, UpdateTooLarge, measureUpdate } from './room/update-shape.ts';

/** Root maps holding entities (one nested Y.Map per entity, keyed by id). */
const ENTITY_ROOTS = new Set(['assets', 'goals', 'links']);
/** Fields of an entity only a facilitator may write, per root map. */
const FACILITATOR_FIELDS: Record<string, Set<string>> = { assets: new Set(['hidden']) };

/**
 * Clocks past this never happen in practice (a trillion operations by one client) and
 * would let an update push arithmetic past Number.MAX_SAFE_INTEGER inside Yjs.
 */
const MAX_CLOCK = 2 ** 40;
/** Nesting deeper than this is not our schema; also bounds the parent-chain walk. */
const MAX_DEPTH = 32;
/**
 * Splitting a struct splices the client's struct array (O(n)); many splits of a long
 * array is quadratic. This bounds splits × array length for one update.
 */
const MAX_SPLIT_COST = 20_000_000;
/** Bounds the struct visits a delete set may cause (Yjs walks every struct in a range). */
const MAX_DELETE_VISITS_FACTOR = 4;
const MIN_DELETE_VISITS = 100_000;

export type Verdict =
	/** May be applied; `changes` is false when the update holds nothing the server lacks (a no-op). */
	| { kind: 'ok'; changes: boolean }
	/**
	 * Would change the doc in a way this role may not: drop it and close the socket with
	 * 4409, because the sender's copy has now diverged.
	 */
	| { kind: 'forbidden'; reason: string }
	/**
	 * Builds on items or ranges the server does not have. Yjs would keep it pending; we
	 * never do (see the file comment). The room decides between dropping it quietly and
	 * 4409 (server/RULES.md, "missing dependencies").
	 */
	| { kind: 'missing'; reason: string }
	/** Undecodable or pathological: drop and close the socket (4400). */
	| { kind: 'malformed'; reason: string }
	/** Decodable, but more structs, delete ranges or values than one update may hold: close (4413). */
	| { kind: 'too-large'; reason: string };

/** Where a struct lands: the root map, the keys from the root down, and its own key. */
interface Location {
	root: string;
	/** Keys of the types between the root and the struct's parent (null: a list position). */
	path: (string | null)[];
	sub: string | null;
}

/** A struct that Yjs will turn into garbage (a GC'd neighbour or parent): no effect. */
const NO_EFFECT = 'none' as const;
type Resolved = Location | typeof NO_EFFECT;

class Missing extends Error {}
class Pathological extends Error {}

type Struct = Y.Item | Y.GC | Y.Skip;
/** What Y.decodeUpdate returns (its declared type names internal classes). */
interface Decoded {
	structs: Struct[];
	ds: { clients: Map<number, { clock: number; len: number }[]> };
}

interface ClientRun {
	start: number;
	end: number;
	structs: Struct[];
}

function findInRun(run: ClientRun, clock: number): Struct | null {
	if (clock < run.start || clock >= run.end) return null;
	let low = 0;
	let high = run.structs.length - 1;
	while (low <= high) {
		const mid = (low + high) >> 1;
		const struct = run.structs[mid];
		if (clock < struct.id.clock) high = mid - 1;
		else if (clock >= struct.id.clock + struct.length) low = mid + 1;
		else return struct;
	}
	return null;
}

/** The root map a top-level type is registered under in the doc. */
function rootName(doc: Y.Doc, type: Y.AbstractType<unknown>): string {
	for (const [name, value] of doc.share) if (value === type) return name;
	throw new Pathological('type without a root');
}

/** Names from the update end up in logs and close reasons: quoted, short, one line. */
function quote(name: string): string {
	return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
}

/** Classifies one role's rights over a location (see RULES.md). */
function editorMayWrite(location: Location, kind: 'create' | 'delete'): string | null {
	if (location.root === 'meta') return 'meta is facilitator-only';
	if (!ENTITY_ROOTS.has(location.root)) return `root ${quote(location.root)} is not writable`;
	if (location.path.length === 0) {
		// A new entry is fine; removing (or replacing) a whole entry is not: soft delete is `deletedAt`.
		if (kind === 'delete') return 'deleting a whole entry is facilitator-only';
		if (location.sub === null) return 'entries must be keyed';
		return null;
	}
	const field = location.path.length === 1 ? location.sub : location.path[1];
	if (field === null) return 'entry fields must be keyed';
	if (FACILITATOR_FIELDS[location.root]?.has(field)) return `${location.root}.*.${field} is facilitator-only`; // both are from our own lists
	return null;
}

export interface CheckOptions {
	role: Role;
	/** meta.locked in the server doc: then only facilitators write. */
	locked: boolean;
}

/**
 * Decides what an incoming V1 update may do to `doc`. Never mutates the doc.
 */
export function checkUpdate(doc: Y.Doc, update: Uint8Array, options: CheckOptions): Verdict {
	// Viewers are decoded too: their sync step 2 is normally an empty update (a no-op that
	// must pass), and only an update that would change something is refused.
	// First a walk that allocates nothing bounds what decoding will build (update-shape.ts).
	try {
		measureUpdate(update);
	} catch (error) {
		if (error instanceof UpdateTooLarge) return { kind: 'too-large', reason: `update too large: ${error.message}` };
		const reason = error instanceof UpdateMalformed ? error.message : error instanceof Error ? error.message : String(error);
		return { kind: 'malformed', reason: `undecodable update: ${reason}` };
	}
	let decoded: Decoded;
	try {
		decoded = Y.decodeUpdate(update) as unknown as Decoded;
	} catch (error) {
		return { kind: 'malformed', reason: `undecodable update: ${error instanceof Error ? error.message : String(error)}` };
	}
	try {
		return check(doc, decoded, options);
	} catch (error) {
		if (error instanceof Missing) return { kind: 'missing', reason: `missing dependency: ${error.message}` };
		if (error instanceof Pathological) return { kind: 'malformed', reason: `pathological update: ${error.message}` };
		throw error;
	}
}

function check(doc: Y.Doc, decoded: Decoded, options: CheckOptions): Verdict {
	const store = doc.store;
	const runs = new Map<number, ClientRun>();
	// Group the update's structs per client. decodeUpdate yields one contiguous run per
	// client group; Yjs keeps only the last group of a client, so two groups for one
	// client (never written by Yjs) would make what we check differ from what applies.
	let previous: Struct | null = null;
	for (const struct of decoded.structs) {
		const client = struct.id.client;
		const continues = previous !== null && previous.id.client === client && previous.id.clock + previous.length === struct.id.clock;
		if (!continues) {
			if (runs.has(client)) throw new Pathological('a client appears twice');
			runs.set(client, { start: struct.id.clock, end: struct.id.clock, structs: [] });
		}
		const run = runs.get(client)!;
		run.structs.push(struct);
		run.end = struct.id.clock + struct.length;
		if (run.end > MAX_CLOCK) throw new Pathological('clock out of range');
		previous = struct;
	}

	const serverState = (client: number) => Y.getState(store, client);
	let changes = false;
	for (const [client, run] of runs) {
		const state = serverState(client);
		// Yjs would keep everything after a gap pending until someone fills it.
		if (run.start > state) throw new Missing(`client ${client} starts at ${run.start}, server has ${state}`);
		if (run.end > state) changes = true;
	}

	/** The struct containing `id` once the update is applied; throws Missing if nobody has it. */
	const structAt = (id: Y.ID): { struct: Struct; fromUpdate: boolean } => {
		if (id.clock < serverState(id.client)) {
			const structs = store.clients.get(id.client)!;
			return { struct: structs[Y.findIndexSS(structs, id.clock)], fromUpdate: false };
		}
		const run = runs.get(id.client);
		const struct = run ? findInRun(run, id.clock) : null;
		if (!struct || struct instanceof Y.Skip) throw new Missing(`no struct at ${id.client}:${id.clock}`);
		return { struct, fromUpdate: true };
	};

	const memo = new Map<Y.Item, Resolved>();

	/** Location of an item already integrated in the server doc. */
	const locateIntegrated = (item: Y.Item, depth: number): Resolved => {
		if (depth > MAX_DEPTH) throw new Pathological('nesting too deep');
		const type = item.parent as Y.AbstractType<unknown> | null;
		if (!type) return NO_EFFECT;
		if (type._item === null) return { root: rootName(doc, type), path: [], sub: item.parentSub };
		const above = locateIntegrated(type._item, depth + 1);
		if (above === NO_EFFECT) return NO_EFFECT;
		return { root: above.root, path: [...above.path, above.sub], sub: item.parentSub };
	};

	/** Location of an item from the update, resolved the way Item.getMissing will. */
	const locateNew = (item: Y.Item, depth: number): Resolved => {
		const cached = memo.get(item);
		if (cached) return cached;
		if (depth > MAX_DEPTH) throw new Pathological('nesting too deep (or a reference cycle)');
		const result = resolveNew(item, depth);
		memo.set(item, result);
		return result;
	};

	const locateAny = (found: { struct: Struct; fromUpdate: boolean }, depth: number): Resolved => {
		const { struct, fromUpdate } = found;
		if (!(struct instanceof Y.Item)) return NO_EFFECT;
		return fromUpdate ? locateNew(struct, depth + 1) : locateIntegrated(struct, depth + 1);
	};

	const resolveNew = (item: Y.Item, depth: number): Resolved => {
		// An item can only point at items its client made earlier; anything else is forged.
		for (const ref of [item.origin, item.rightOrigin, item.parent instanceof Y.ID ? item.parent : null]) {
			if (ref && ref.client === item.id.client && ref.clock >= item.id.clock) throw new Pathological('forward reference');
		}
		const left = item.origin ? structAt(item.origin) : null;
		const right = item.rightOrigin ? structAt(item.rightOrigin) : null;
		if ((left && left.struct instanceof Y.GC) || (right && right.struct instanceof Y.GC)) return NO_EFFECT;
		const parent = item.parent as unknown;
		if (parent === null) {
			// Parent info is copied from the left (else right) neighbour.
			if (left && left.struct instanceof Y.Item) return locateAny(left, depth);
			if (right && right.struct instanceof Y.Item) return locateAny(right, depth);
			return NO_EFFECT;
		}
		if (typeof parent === 'string') return { root: parent, path: [], sub: item.parentSub };
		if (!(parent instanceof Y.ID)) throw new Pathological('unexpected parent');
		const owner = structAt(parent);
		if (!(owner.struct instanceof Y.Item) || !(owner.struct.content instanceof Y.ContentType)) return NO_EFFECT;
		const above = locateAny(owner, depth);
		if (above === NO_EFFECT) return NO_EFFECT;
		return { root: above.root, path: [...above.path, above.sub], sub: item.parentSub };
	};

	// Splits: references into the middle of a struct make Yjs split it (an array splice).
	let splitCost = 0;
	const noteSplit = (client: number) => {
		splitCost += (store.clients.get(client)?.length ?? 0) + (runs.get(client)?.structs.length ?? 0);
		if (splitCost > MAX_SPLIT_COST) throw new Pathological('too many splits');
	};
	const noteReference = (id: Y.ID | null, end: boolean) => {
		if (!id) return;
		const { struct } = structAt(id);
		if (struct instanceof Y.GC) return;
		const edge = end ? struct.id.clock + struct.length - 1 : struct.id.clock;
		if (id.clock !== edge) noteSplit(id.client);
	};

	const editor = options.role === 'editor';
	/** Set when this role may not change anything at all right now (viewer; editor on a locked map). */
	const readOnly =
		options.role === 'viewer' ? 'viewers are read-only' : editor && options.locked ? 'map is locked' : null;
	for (const run of runs.values()) {
		const state = serverState(run.structs[0].id.client);
		for (const struct of run.structs) {
			if (struct.id.clock + struct.length <= state) continue; // already known: Yjs skips it
			if (struct instanceof Y.Skip) throw new Missing('skip over unknown range');
			// A new GC struct changes no content but still advances the state vector (and is
			// stored and sent on): a write like any other for a read-only role.
			if (!(struct instanceof Y.Item)) {
				if (readOnly) return { kind: 'forbidden', reason: readOnly };
				continue;
			}
			noteReference(struct.origin, true);
			noteReference(struct.rightOrigin, false);
			const location = locateNew(struct, 0);
			if (readOnly) return { kind: 'forbidden', reason: readOnly };
			if (!editor) continue;
			if (location === NO_EFFECT) continue;
			const refusal = editorMayWrite(location, 'create');
			if (refusal) return { kind: 'forbidden', reason: refusal };
		}
	}

	// Deletions. A client sends its whole delete set on sync, so ranges the server has
	// already deleted are normal and are no-ops; only live items matter.
	let visits = 0;
	let structTotal = 0;
	for (const structs of store.clients.values()) structTotal += structs.length;
	const maxVisits = Math.max(MIN_DELETE_VISITS, MAX_DELETE_VISITS_FACTOR * (structTotal + decoded.structs.length));
	for (const [client, ranges] of decoded.ds.clients) {
		const state = serverState(client);
		const run = runs.get(client);
		const stateAfter = Math.max(state, run?.end ?? 0);
		const structs = store.clients.get(client) ?? [];
		for (const { clock, len } of ranges) {
			const end = clock + len;
			if (end > MAX_CLOCK) throw new Pathological('delete range out of range');
			if (len === 0) continue;
			if (end > stateAfter) throw new Missing(`delete of unknown range ${client}:${clock}+${len}`);
			// Deleting structs that arrive in this same update: their creation was checked above.
			if (clock >= state) continue;
			let index = Y.findIndexSS(structs, clock);
			let first = true;
			while (index < structs.length) {
				const struct = structs[index++];
				if (struct.id.clock >= end) break;
				if (++visits > maxVisits) throw new Pathological('delete set walks too many structs');
				if (!(struct instanceof Y.Item) || struct.deleted) {
					first = false;
					continue;
				}
				if (first && struct.id.clock < clock) noteSplit(client);
				if (end < struct.id.clock + struct.length) noteSplit(client);
				first = false;
				changes = true;
				if (readOnly) return { kind: 'forbidden', reason: readOnly };
				if (!editor) continue;
				const location = locateIntegrated(struct, 0);
				if (location === NO_EFFECT) continue;
				const refusal = editorMayWrite(location, 'delete');
				if (refusal) return { kind: 'forbidden', reason: refusal };
			}
		}
	}
	return { kind: 'ok', changes };
}
