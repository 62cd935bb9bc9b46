/**
 * Judges an incoming Yjs update by what applying it would change, before anything is
 * applied (server/RULES.md). Applying and reverting is not an option: an applied update
 * has reached observers and the outgoing queue, and Yjs cannot take structs back.
 *
 * Why the effect and not the shape: a Yjs merge can replace or delete a value without any
 * delete set. A new value at a key that already holds one wins or loses against it by the
 * YATA order (origins, then client ids); when it wins, Yjs deletes the old value itself.
 * So an update that only "creates" `assets.<id>` can erase an existing asset, and one
 * that only sets a field can lose silently to the value already there.
 *
 * The gate therefore replays Yjs's integration on lightweight copies: the same order of
 * integration (integrateStructs' stack), the same resolution of parents and neighbours
 * (Item.getMissing), YATA's conflict loop (Item.integrate) on the keyed lists the update
 * touches, then the delete set (readAndApplyDeleteSet). From that it lists every change
 * (write-rules.ts) and judges each one. tests/unit/write-gate.differential.test.ts checks
 * the list against a real apply on a copy, for thousands of generated updates.
 *
 * It also refuses anything Yjs would park as pending (missing dependencies): pending
 * structs are re-merged on every later update, and repeated they grow the stored map past
 * its cap. The gate reads Yjs internals, so yjs is pinned to an exact version.
 */
import * as Y from 'yjs';
import { UpdateMalformed, UpdateTooLarge, measureUpdate } from './update-shape.ts';
import { quote, refusalForChanges, type Change, type ChangeOp, type Path, type WriteContext } from './write-rules.ts';

export interface GateContext extends WriteContext {
	/** Whether this connection may add content under a Yjs client id (client-ids.ts). */
	mayWriteClient(client: number): boolean;
}

export type Verdict =
	/**
	 * May be applied. `writes` is false when the update holds nothing the server lacks (a
	 * no-op, which passes for every role). `clients`: ids the update adds content under.
	 */
	| { kind: 'ok'; writes: boolean; changes: Change[]; clients: number[] }
	/** Would make a change this connection may not make: drop it, close with 4409. */
	| { kind: 'forbidden'; reason: string }
	/** Builds on content the server does not have; Yjs would keep it pending. */
	| { kind: 'missing'; reason: string }
	/** Undecodable, or a shape Yjs never writes and would mishandle: close with 4400. */
	| { kind: 'malformed'; reason: string }
	/** More structs, delete ranges or values than one update may hold: close with 4413. */
	| { kind: 'too-large'; reason: string };

/**
 * Clocks past this never happen in practice (a trillion operations by one client) and
 * would let an update push arithmetic past Number.MAX_SAFE_INTEGER inside Yjs.
 */
const MAX_CLOCK = 2 ** 40;
/** Nesting deeper than this is not our schema; also bounds every walk up the parents. */
const MAX_DEPTH = 32;
/** Splitting a struct splices the client's struct array (O(n)); bounds splits × length. */
const MAX_SPLIT_COST = 20_000_000;
/** Bounds the struct visits a delete set may cause (Yjs walks every struct in a range). */
const MAX_DELETE_VISITS_FACTOR = 4;
const MIN_DELETE_VISITS = 100_000;
/** Bounds the keyed-list positions replayed and YATA loop steps for one update. */
const MAX_ORDER_STEPS = 2_000_000;
/**
 * Items one key of one map may hold, its superseded values included. Yjs keeps every value a
 * key ever had in a list it walks on each concurrent set, and items from alternating clients
 * never merge, so a participant setting one key over and over could make every later write
 * to it cost seconds of the room's time. No person edits one field of one entry this often;
 * past it the key takes no more sets (RULES.md).
 */
export const MAX_KEY_ITEMS = 20_000;

class Missing extends Error {}
class Pathological extends Error {}
class TooManyClients extends Error {}

/**
 * New client ids one update may write under. A device writes under one id per page load;
 * a phone that reloads offline a few times brings a few. Thousands (a flood of one-clock
 * GC ranges under fresh ids) only grow every state vector and the owner table forever.
 */
export const MAX_NEW_CLIENTS_PER_UPDATE = 64;

type Struct = Y.Item | Y.GC | Y.Skip;
/** What Y.decodeUpdate returns (its declared type names internal classes). */
interface Decoded {
	structs: Struct[];
	ds: { clients: Map<number, { clock: number; len: number }[]> };
}

/** A root type the update names that the server's document does not have yet. */
class NewRoot {
	constructor(readonly name: string) {}
}

/** An item of the update as Yjs would integrate it. */
class NewItem {
	/** Its pieces in its keyed list, once placed (kept here, not in a map: most items are new). */
	pieces: Piece[] | null = null;
	/** The parent type; null when Yjs turns the item into a GC range (no place). */
	parent: Parent | null = null;
	parentSub: string | null = null;
	/** Deleted as it integrates: deleted content, or a keyed item that is not its key's value. */
	bornDeleted: boolean;
	/** Clocks of it the update's own delete set deletes. */
	deletedByUpdate = 0;

	constructor(
		readonly struct: Y.Item,
		/** Effective first clock (Yjs integrates only the part the server lacks). */
		readonly clock: number,
		readonly length: number,
		readonly origin: Y.ID | null,
		readonly rightOrigin: Y.ID | null
	) {
		this.bornDeleted = struct.content instanceof Y.ContentDeleted;
	}

	get client(): number {
		return this.struct.id.client;
	}

	get isType(): boolean {
		return this.struct.content instanceof Y.ContentType;
	}

	get fullyDeletedByUpdate(): boolean {
		return this.deletedByUpdate >= this.length;
	}
}

/** A type that can hold values: one in the server's document, one the update creates, or a new root. */
type Parent = Y.AbstractType<unknown> | NewItem | NewRoot;
type Owner = Y.Item | NewItem;

/**
 * An item of a keyed list as Yjs holds it: whole, or one of the parts it was split into
 * where a reference pointed into its middle (the right part's origin is the left part's
 * last clock). Pieces split exactly where Yjs's items would, so the replay costs one
 * step per item, however many clocks a (deleted) item spans.
 */
interface Piece {
	owner: Owner;
	client: number;
	clock: number;
	length: number;
	origin: Y.ID | null;
	rightOrigin: Y.ID | null;
	left: Piece | null;
	right: Piece | null;
	list: KeyList;
}

/** The items of one key of one map (all but the last are deleted, per Yjs). */
interface KeyList {
	parent: Parent;
	key: string;
	first: Piece | null;
	last: Piece | null;
	/** The last piece before the update: the key's value, if it is not deleted. */
	lastBefore: Piece | null;
	added: NewItem[];
	/** Items the key held before the update. */
	before: number;
}

interface Run {
	structs: Struct[];
	next: number;
	start: number;
	end: number;
}

const sameId = (a: Y.ID | null, b: Y.ID | null) => a === b || (a !== null && b !== null && a.client === b.client && a.clock === b.clock);

/** Decides what an incoming V1 update may do to `doc`. Never mutates the doc. */
export function checkUpdate(doc: Y.Doc, update: Uint8Array, context: GateContext): Verdict {
	// First a walk that allocates nothing bounds what decoding will build (update-shape.ts).
	try {
		measureUpdate(update);
	} catch (error) {
		if (error instanceof UpdateTooLarge) return { kind: 'too-large', reason: `update too large: ${error.message}` };
		return { kind: 'malformed', reason: `undecodable update: ${describe(error)}` };
	}
	const readOnly = context.role === 'viewer' ? 'viewers are read-only' : context.role === 'editor' && context.locked ? 'map is locked' : null;
	let decoded: Decoded;
	try {
		decoded = Y.decodeUpdate(update) as unknown as Decoded;
	} catch (error) {
		return { kind: 'malformed', reason: `undecodable update: ${describe(error)}` };
	}
	try {
		const replay = new EffectReplay(doc, decoded);
		if (readOnly) {
			// Nothing this connection sends may change the map: whether it would is cheap to
			// tell, and the full replay is not run for it.
			return replay.writesAnything() ? { kind: 'forbidden', reason: readOnly } : { kind: 'ok', writes: false, changes: [], clients: [] };
		}
		const effect = replay.run();
		if (effect.writes) {
			for (const client of effect.clients) {
				if (!context.mayWriteClient(client)) return { kind: 'forbidden', reason: `client id ${client} belongs to another device` };
			}
		}
		const refusal = refusalForChanges(context, effect.changes);
		if (refusal) return { kind: 'forbidden', reason: refusal };
		return { kind: 'ok', writes: effect.writes, changes: effect.changes, clients: effect.clients };
	} catch (error) {
		if (error instanceof Missing) return { kind: 'missing', reason: `missing dependency: ${error.message}` };
		if (error instanceof Pathological) return { kind: 'malformed', reason: `pathological update: ${error.message}` };
		if (error instanceof TooManyClients) return { kind: 'too-large', reason: `update too large: ${error.message}` };
		// The replay never touches the doc, so an update that exhausts the stack costs only
		// its sender, not the room.
		if (error instanceof RangeError) return { kind: 'malformed', reason: `pathological update: ${error.message}` };
		throw error;
	}
}

function describe(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/** Replays one update's integration against the server's document, read-only. */
class EffectReplay {
	private readonly store: Y.Doc['store'];
	private readonly runs = new Map<number, Run>();
	/** Clocks integrated so far in the replay, per client (Yjs's store state as it goes). */
	private readonly state = new Map<number, number>();
	private readonly newItems = new Map<Y.Item, NewItem>();
	/** Update structs that end up as GC ranges: items with no place, and GC structs. */
	private readonly newGc = new Set<Struct>();
	private readonly keyLists = new Map<Parent, Map<string, KeyList>>();
	/** The pieces of the server's items in the keyed lists replayed so far, in clock order. */
	private readonly pieces = new Map<Y.Item, Piece[]>();
	/** Existing items the update's delete set deletes. */
	private readonly deleted = new Set<Y.Item>();
	private readonly newRoots = new Map<string, NewRoot>();
	private rootNames: Map<Y.AbstractType<unknown>, string> | null = null;
	private readonly paths = new Map<Parent, Path>();
	/** Filled once the replay is done (collectChanges): whether a type is still there. */
	private readonly visibleAfterMemo = new Map<Parent, boolean>();
	private splitCost = 0;
	private orderSteps = 0;
	private liveDeletes = 0;

	constructor(
		private readonly doc: Y.Doc,
		private readonly decoded: Decoded
	) {
		this.store = doc.store;
	}

	/** Whether applying the update would change anything, without replaying where. Throws Missing. */
	writesAnything(): boolean {
		this.groupRuns();
		const order = this.integrationOrder();
		// Also throws Missing for deletes of content nobody has (Yjs would keep those pending).
		this.applyDeleteSet();
		return order.length > 0 || this.liveDeletes > 0;
	}

	run(): { writes: boolean; changes: Change[]; clients: number[] } {
		this.groupRuns();
		const order = this.integrationOrder();
		const fresh = [...this.runs.keys()].filter((client) => this.stateOf(client) > this.serverState(client));
		if (fresh.length > MAX_NEW_CLIENTS_PER_UPDATE) throw new TooManyClients(`writes under ${fresh.length} client ids (at most ${MAX_NEW_CLIENTS_PER_UPDATE})`);
		for (const { struct, offset } of order) this.integrate(struct, offset);
		this.applyDeleteSet();
		const changes = this.collectChanges();
		return { writes: fresh.length > 0 || this.liveDeletes > 0, changes, clients: fresh };
	}

	private serverState(client: number): number {
		return Y.getState(this.store, client);
	}

	private stateOf(client: number): number {
		return this.state.get(client) ?? this.serverState(client);
	}

	/** decodeUpdate yields one contiguous run per client (update-shape.ts refused repeats). */
	private groupRuns(): void {
		for (const struct of this.decoded.structs) {
			const client = struct.id.client;
			let run = this.runs.get(client);
			if (!run) {
				run = { structs: [], next: 0, start: struct.id.clock, end: struct.id.clock };
				this.runs.set(client, run);
			}
			run.structs.push(struct);
			run.end = struct.id.clock + struct.length;
			if (run.end > MAX_CLOCK) throw new Pathological('clock out of range');
			if (struct instanceof Y.Item) {
				// An item can only point at items its client made earlier; anything else is forged.
				for (const ref of [struct.origin, struct.rightOrigin, struct.parent instanceof Y.ID ? struct.parent : null]) {
					if (ref && ref.client === client && ref.clock >= struct.id.clock) throw new Pathological('forward reference');
					if (ref && ref.clock >= MAX_CLOCK) throw new Pathological('reference out of range');
				}
			}
		}
	}

	/** The client an item waits for, as Item.getMissing decides it. */
	private missingClient(item: Y.Item): number | null {
		const client = item.id.client;
		const parent = item.parent instanceof Y.ID ? item.parent : null;
		for (const ref of [item.origin, item.rightOrigin, parent]) {
			if (ref && ref.client !== client && ref.clock >= this.stateOf(ref.client)) return ref.client;
		}
		return null;
	}

	/** integrateStructs' order: highest client first, dependencies pulled in through a stack. */
	private integrationOrder(): { struct: Y.Item | Y.GC; offset: number }[] {
		const order: { struct: Y.Item | Y.GC; offset: number }[] = [];
		const clients = [...this.runs.keys()].sort((a, b) => a - b);
		const nextTarget = (): Run | null => {
			while (clients.length > 0) {
				const run = this.runs.get(clients[clients.length - 1])!;
				if (run.next < run.structs.length) return run;
				clients.pop();
			}
			return null;
		};
		let target = nextTarget();
		if (!target) return order;
		let head: Struct = target.structs[target.next++];
		const stack: Struct[] = [];
		for (;;) {
			if (!(head instanceof Y.Skip)) {
				const client = head.id.client;
				const offset = this.stateOf(client) - head.id.clock;
				if (offset < 0) throw new Missing(`client ${client} starts at ${head.id.clock}, server has ${this.stateOf(client)}`);
				const missing = head instanceof Y.Item ? this.missingClient(head) : null;
				if (missing !== null) {
					stack.push(head);
					const run = this.runs.get(missing);
					if (!run || run.next >= run.structs.length) throw new Missing(`needs content of client ${missing} the server does not have`);
					head = run.structs[run.next++];
					continue;
				}
				if (offset < head.length) {
					order.push({ struct: head, offset });
					this.state.set(client, head.id.clock + head.length);
				}
			}
			if (stack.length > 0) head = stack.pop()!;
			else if (target && target.next < target.structs.length) head = target.structs[target.next++];
			else {
				target = nextTarget();
				if (!target) break;
				head = target.structs[target.next++];
			}
		}
		return order;
	}

	/** The struct holding `id` once everything before it integrated: the server's or the update's. */
	private structAt(id: Y.ID): { gc: true } | { gc: false; owner: Owner } {
		if (id.clock < this.serverState(id.client)) {
			const structs = this.store.clients.get(id.client)!;
			const struct = structs[Y.findIndexSS(structs, id.clock)];
			return struct instanceof Y.Item ? { gc: false, owner: struct } : { gc: true };
		}
		const run = this.runs.get(id.client);
		const struct = run ? findInRun(run.structs, id.clock) : null;
		if (!struct || struct instanceof Y.Skip || id.clock >= this.stateOf(id.client)) {
			throw new Missing(`no content at ${id.client}:${id.clock}`);
		}
		if (struct instanceof Y.GC || this.newGc.has(struct)) return { gc: true };
		const item = this.newItems.get(struct as Y.Item);
		if (!item) throw new Pathological('reference to content that is not integrated yet');
		return { gc: false, owner: item };
	}

	private parentOf(owner: Owner): { parent: Parent | null; parentSub: string | null } {
		if (owner instanceof NewItem) return { parent: owner.parent, parentSub: owner.parentSub };
		return { parent: owner.parent as Y.AbstractType<unknown> | null, parentSub: owner.parentSub };
	}

	private noteSplit(client: number): void {
		this.splitCost += (this.store.clients.get(client)?.length ?? 0) + (this.runs.get(client)?.structs.length ?? 0);
		if (this.splitCost > MAX_SPLIT_COST) throw new Pathological('too many splits');
	}

	/** A reference into the middle of a struct makes Yjs split it (an array splice). */
	private noteReference(id: Y.ID | null, end: boolean): void {
		if (!id || id.clock >= this.serverState(id.client)) return;
		const structs = this.store.clients.get(id.client)!;
		const struct = structs[Y.findIndexSS(structs, id.clock)];
		if (!(struct instanceof Y.Item)) return;
		const edge = end ? struct.id.clock + struct.length - 1 : struct.id.clock;
		if (id.clock !== edge) this.noteSplit(id.client);
	}

	/** Item.getMissing's resolution, then Item.integrate's placement. */
	private integrate(struct: Y.Item | Y.GC, offset: number): void {
		if (!(struct instanceof Y.Item)) {
			this.newGc.add(struct);
			return;
		}
		if (struct.content instanceof Y.ContentDoc) throw new Pathological('subdocument'); // update-shape.ts refuses these first
		const client = struct.id.client;
		const left = struct.origin ? this.structAt(struct.origin) : null;
		const right = struct.rightOrigin ? this.structAt(struct.rightOrigin) : null;
		this.noteReference(struct.origin, true);
		this.noteReference(struct.rightOrigin, false);
		let parent: Parent | null = null;
		let parentSub: string | null = null;
		if (left?.gc || right?.gc) {
			parent = null;
		} else if (struct.parent === null) {
			// Parent and key are copied from the left neighbour, else the right one.
			const from = left ?? right;
			if (from && !from.gc) ({ parent, parentSub } = this.parentOf(from.owner));
			if (left && right && !left.gc && !right.gc) {
				const other = this.parentOf(right.owner);
				// Yjs never writes neighbours in two different places; it would splice them together.
				if (other.parent !== parent || other.parentSub !== parentSub) throw new Pathological('neighbours in different places');
			}
		} else if (typeof struct.parent === 'string') {
			parent = this.root(struct.parent);
			parentSub = struct.parentSub;
		} else if (struct.parent instanceof Y.ID) {
			const holder = this.structAt(struct.parent);
			if (!holder.gc) {
				const owner = holder.owner;
				if (owner instanceof NewItem) parent = owner.isType ? owner : null;
				else parent = owner.content instanceof Y.ContentType ? (owner.content.type as Y.AbstractType<unknown>) : null;
			}
			parentSub = struct.parentSub;
		} else {
			throw new Pathological('unexpected parent');
		}

		let origin = struct.origin;
		if (offset > 0) {
			// Yjs integrates only the clocks it lacks, placed right after its own copy of the rest.
			origin = Y.createID(client, struct.id.clock + offset - 1);
			const own = this.structAt(origin);
			if (parent !== null) {
				if (own.gc) throw new Pathological('continues a garbage-collected range');
				const place = this.parentOf(own.owner);
				if (place.parent !== parent || place.parentSub !== parentSub) throw new Pathological('continues content in another place');
			}
		}
		const item = new NewItem(struct, struct.id.clock + offset, struct.length - offset, origin, struct.rightOrigin);
		this.newItems.set(struct, item);
		if (parent === null) {
			this.newGc.add(struct);
			return;
		}
		item.parent = parent;
		item.parentSub = parentSub;
		if (parentSub === null) return; // list positions: only whether they are live matters
		if (struct.content.isCountable() && item.length > 1 && !item.bornDeleted) {
			// A map value is one value; Yjs never writes a longer one.
			throw new Pathological('several values at one key');
		}
		this.placeInKeyList(item, parent, parentSub, struct, offset);
	}

	private root(name: string): Parent {
		const existing = this.doc.share.get(name);
		if (existing) return existing as Y.AbstractType<unknown>;
		let root = this.newRoots.get(name);
		if (!root) {
			root = new NewRoot(name);
			this.newRoots.set(name, root);
		}
		return root;
	}

	private step(count = 1): void {
		this.orderSteps += count;
		if (this.orderSteps > MAX_ORDER_STEPS) throw new Pathological('too much to order');
	}

	/** The key's list, expanded into pieces (one per item) on first use. */
	private keyList(parent: Parent, key: string): KeyList {
		let lists = this.keyLists.get(parent);
		if (!lists) {
			lists = new Map();
			this.keyLists.set(parent, lists);
		}
		let list = lists.get(key);
		if (list) return list;
		list = { parent, key, first: null, last: null, lastBefore: null, added: [], before: 0 };
		lists.set(key, list);
		if (parent instanceof Y.AbstractType) {
			let item = (parent._map.get(key) as Y.Item | undefined) ?? null;
			while (item !== null && item.left !== null) {
				item = item.left;
				this.step();
			}
			for (; item !== null; item = item.right) {
				this.step();
				const piece: Piece = {
					owner: item,
					client: item.id.client,
					clock: item.id.clock,
					length: item.length,
					origin: item.origin,
					rightOrigin: item.rightOrigin,
					left: list.last,
					right: null,
					list
				};
				list.before++;
				if (list.last) list.last.right = piece;
				else list.first = piece;
				list.last = piece;
				this.pieces.set(item, [piece]);
			}
			list.lastBefore = list.last;
		}
		return list;
	}

	/**
	 * The piece holding `id`, if it is in a keyed list. With `expand`, the list of the item
	 * it belongs to is expanded first (a reference into a list not replayed yet).
	 */
	private pieceAt(id: Y.ID, expand: boolean): Piece | null {
		const found = this.structAt(id);
		if (found.gc) return null;
		let pieces = found.owner instanceof NewItem ? found.owner.pieces : this.pieces.get(found.owner);
		if (!pieces && expand) {
			const { parent, parentSub } = this.parentOf(found.owner);
			if (parent === null || parentSub === null) return null;
			this.keyList(parent, parentSub);
			pieces = found.owner instanceof NewItem ? found.owner.pieces : this.pieces.get(found.owner);
		}
		if (!pieces) return null;
		for (const piece of pieces) if (id.clock >= piece.clock && id.clock < piece.clock + piece.length) return piece;
		return null;
	}

	/** Splits a piece so that a new one starts `diff` clocks in (Yjs's splitItem). */
	private split(piece: Piece, diff: number): Piece {
		this.step();
		const right: Piece = {
			owner: piece.owner,
			client: piece.client,
			clock: piece.clock + diff,
			length: piece.length - diff,
			origin: Y.createID(piece.client, piece.clock + diff - 1),
			rightOrigin: piece.rightOrigin,
			left: piece,
			right: piece.right,
			list: piece.list
		};
		if (piece.right) piece.right.left = right;
		else piece.list.last = right;
		piece.right = right;
		piece.length = diff;
		const pieces = piece.owner instanceof NewItem ? piece.owner.pieces! : this.pieces.get(piece.owner)!;
		pieces.splice(pieces.indexOf(piece) + 1, 0, right);
		return right;
	}

	/** getItemCleanEnd: the piece ending at `id`, splitting if it points into the middle. */
	private cleanEnd(id: Y.ID): Piece | null {
		const piece = this.pieceAt(id, true);
		if (piece && id.clock !== piece.clock + piece.length - 1) this.split(piece, id.clock - piece.clock + 1);
		return piece;
	}

	/** getItemCleanStart: the piece starting at `id`, splitting if it points into the middle. */
	private cleanStart(id: Y.ID): Piece | null {
		const piece = this.pieceAt(id, true);
		if (piece && id.clock > piece.clock) return this.split(piece, id.clock - piece.clock);
		return piece;
	}

	/** YATA as Item.integrate runs it, on the pieces of one key's list. */
	private placeInKeyList(item: NewItem, parent: Parent, key: string, struct: Y.Item, offset: number): void {
		const list = this.keyList(parent, key);
		list.added.push(item);
		if (list.before + list.added.length > MAX_KEY_ITEMS) throw new Pathological(`key ${quote(key)} holds more than ${MAX_KEY_ITEMS} values`);
		// Item.getMissing splits at both references first; a partly known struct is then
		// placed right after the server's own copy of its earlier clocks.
		let left = struct.origin ? this.cleanEnd(struct.origin) : null;
		const right = struct.rightOrigin ? this.cleanStart(struct.rightOrigin) : null;
		if (offset > 0) left = this.cleanEnd(item.origin!);
		if (item.origin && (!left || left.list !== list)) throw new Pathological('left neighbour is not in the list');
		if (item.rightOrigin && (!right || right.list !== list)) throw new Pathological('right neighbour is not in the list');
		if ((left === null && (right === null || right.left !== null)) || (left !== null && left.right !== right)) {
			let o = left !== null ? left.right : list.first;
			// Allocated only when there is something to order against (most keys are new).
			const conflicting = o !== null && o !== right ? new Set<Piece>() : EMPTY_PIECES;
			const beforeOrigin = o !== null && o !== right ? new Set<Piece>() : EMPTY_PIECES;
			while (o !== null && o !== right) {
				this.step();
				beforeOrigin.add(o);
				conflicting.add(o);
				if (sameId(item.origin, o.origin)) {
					if (o.client < item.client) {
						left = o;
						conflicting.clear();
					} else if (sameId(item.rightOrigin, o.rightOrigin)) {
						break;
					}
				} else {
					// getItem, which does not split: the piece holding o's origin, if replayed.
					const originPiece = o.origin ? this.pieceAt(o.origin, false) : null;
					if (originPiece !== null && beforeOrigin.has(originPiece)) {
						if (!conflicting.has(originPiece)) {
							left = o;
							conflicting.clear();
						}
					} else {
						break;
					}
				}
				o = o.right;
			}
		}
		const next = left !== null ? left.right : list.first;
		const piece: Piece = {
			owner: item,
			client: item.client,
			clock: item.clock,
			length: item.length,
			origin: item.origin,
			rightOrigin: item.rightOrigin,
			left,
			right: next,
			list
		};
		if (left) left.right = piece;
		else list.first = piece;
		if (next) next.left = piece;
		else list.last = piece;
		item.pieces = [piece];
		// Not the key's value once integrated: Yjs deletes it at once.
		if (next !== null) item.bornDeleted = true;
	}

	/** readAndApplyDeleteSet: which live items the delete set deletes. */
	private applyDeleteSet(): void {
		let visits = 0;
		let structTotal = 0;
		for (const structs of this.store.clients.values()) structTotal += structs.length;
		const maxVisits = Math.max(MIN_DELETE_VISITS, MAX_DELETE_VISITS_FACTOR * (structTotal + this.decoded.structs.length));
		for (const [client, ranges] of this.decoded.ds.clients) {
			const state = this.serverState(client);
			const stateAfter = this.stateOf(client);
			const structs = this.store.clients.get(client) ?? [];
			const added = this.runs.get(client)?.structs ?? [];
			for (const { clock, len } of ranges) {
				const end = clock + len;
				if (end > MAX_CLOCK) throw new Pathological('delete range out of range');
				if (len === 0) continue;
				if (end > stateAfter) throw new Missing(`delete of unknown range ${client}:${clock}+${len}`);
				if (end > state) this.deleteAdded(added, Math.max(clock, state), end, () => {
					if (++visits > maxVisits) throw new Pathological('delete set walks too many structs');
				});
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
					if (first && struct.id.clock < clock) this.noteSplit(client);
					if (end < struct.id.clock + struct.length) this.noteSplit(client);
					first = false;
					this.deleted.add(struct);
					this.liveDeletes++;
				}
			}
		}
	}

	/** Marks the update's own items in [from, to) as deleted by it. */
	private deleteAdded(added: Struct[], from: number, to: number, visit: () => void): void {
		let index = findIndexIn(added, from);
		for (; index < added.length; index++) {
			const struct = added[index];
			if (struct.id.clock >= to) break;
			visit();
			const item = struct instanceof Y.Item ? this.newItems.get(struct) : undefined;
			if (!item) continue;
			const start = Math.max(from, item.clock);
			const end = Math.min(to, item.clock + item.length);
			if (end > start) item.deletedByUpdate += end - start;
		}
	}

	/** Whether an existing item is gone once the update is applied. */
	private existingGone(item: Y.Item): boolean {
		if (item.deleted || this.deleted.has(item)) return true;
		if (item.parentSub === null) return false;
		const list = this.keyLists.get(item.parent as Y.AbstractType<unknown>)?.get(item.parentSub);
		return list !== undefined && list.last?.owner !== item;
	}

	private newGone(item: NewItem): boolean {
		if (item.bornDeleted || item.fullyDeletedByUpdate) return true;
		if (item.parentSub === null) return false;
		const list = this.keyLists.get(item.parent!)?.get(item.parentSub);
		return list?.last?.owner !== item;
	}

	private visibleBefore(parent: Parent, depth = 0): boolean {
		if (!(parent instanceof Y.AbstractType)) return false;
		if (depth > MAX_DEPTH) throw new Pathological('nesting too deep');
		const item = parent._item;
		if (item === null) return true;
		return !item.deleted && this.visibleBefore(item.parent as Y.AbstractType<unknown>, depth + 1);
	}

	/** Only called once the replay is done, so the answer is memoized. */
	private visibleAfter(parent: Parent, depth = 0): boolean {
		if (depth > MAX_DEPTH) throw new Pathological('nesting too deep');
		const known = this.visibleAfterMemo.get(parent);
		if (known !== undefined) return known;
		let visible: boolean;
		if (parent instanceof NewRoot) visible = true;
		else if (parent instanceof NewItem) visible = !this.newGone(parent) && this.visibleAfter(parent.parent!, depth + 1);
		else if (parent._item === null) visible = true;
		else visible = !this.existingGone(parent._item) && this.visibleAfter(parent._item.parent as Y.AbstractType<unknown>, depth + 1);
		this.visibleAfterMemo.set(parent, visible);
		return visible;
	}

	private pathOf(parent: Parent, depth = 0): Path {
		const known = this.paths.get(parent);
		if (known) return known;
		if (depth > MAX_DEPTH) throw new Pathological('nesting too deep (or a reference cycle)');
		let path: Path;
		if (parent instanceof NewRoot) path = [parent.name];
		else if (parent instanceof NewItem) path = [...this.pathOf(parent.parent!, depth + 1), parent.parentSub];
		else if (parent._item === null) path = [this.rootName(parent)];
		else path = [...this.pathOf(parent._item.parent as Y.AbstractType<unknown>, depth + 1), parent._item.parentSub];
		this.paths.set(parent, path);
		return path;
	}

	private rootName(type: Y.AbstractType<unknown>): string {
		this.rootNames ??= new Map([...this.doc.share].map(([name, value]) => [value as Y.AbstractType<unknown>, name]));
		const name = this.rootNames.get(type);
		if (name === undefined) throw new Pathological('type without a root');
		return name;
	}

	/**
	 * What the replay found, as changes (write-rules.ts), each named once. Keyed changes are
	 * unique per key list by construction; list positions and stores are named once per place.
	 */
	private collectChanges(): Change[] {
		const changes: Change[] = [];
		// Several types can sit at one place (a replaced entry and its replacement): content
		// nobody sees and list changes are named once per place, not per type.
		const named = new Set<string>();
		const add = (op: ChangeOp, parent: Parent | null, key: string | null, typed = false, value?: NewItem) => {
			const path = parent === null ? null : this.pathOf(parent);
			if (op === 'store' || op === 'insert' || op === 'remove') {
				const id = JSON.stringify([op, path, key]);
				if (named.has(id)) return;
				named.add(id);
			}
			if (typed) changes.push({ op, parent: path, key, typed });
			// A plain value set at a key: what Y.Map.get will return (the content's last element).
			else if (value) changes.push({ op, parent: path, key, value: value.struct.content.getContent()[value.struct.content.getLength() - 1] });
			else changes.push({ op, parent: path, key });
		};
		const addOnce = (op: ChangeOp, parent: Parent) => add(op, parent, null);
		if (this.newGc.size > 0) add('store', null, null);

		for (const lists of this.keyLists.values()) {
			for (const list of lists.values()) {
				if (list.added.length === 0) continue;
				const before = list.lastBefore;
				const wasVisible = before !== null && !(before.owner as Y.Item).deleted && this.visibleBefore(list.parent);
				const last = list.last!;
				const isVisible = last.owner instanceof NewItem ? !this.newGone(last.owner) && this.visibleAfter(list.parent) : !this.existingGone(last.owner) && this.visibleAfter(list.parent);
				if (last.owner instanceof NewItem && isVisible) add(wasVisible ? 'replace' : 'create', list.parent, list.key, last.owner.isType, last.owner);
				else if (wasVisible && !isVisible && this.visibleAfter(list.parent)) add('delete', list.parent, list.key);
				if (list.added.some((item) => !(item === last.owner && isVisible))) add('store', list.parent, list.key);
			}
		}

		for (const item of this.newItems.values()) {
			if (item.parent === null || item.parentSub !== null) continue;
			const live = !item.bornDeleted && this.visibleAfter(item.parent);
			if (live && item.deletedByUpdate < item.length) addOnce('insert', item.parent);
			if (!live || item.deletedByUpdate > 0) addOnce('store', item.parent);
		}

		for (const item of this.deleted) {
			const parent = item.parent as Y.AbstractType<unknown>;
			if (item.parentSub !== null && this.keyLists.get(parent)?.get(item.parentSub)?.added.length) continue; // judged with its key above
			if (!this.visibleBefore(parent)) {
				if (item.parentSub === null) addOnce('store', parent);
				else add('store', parent, item.parentSub);
			} else if (this.visibleAfter(parent)) {
				if (item.parentSub === null) addOnce('remove', parent);
				else add('delete', parent, item.parentSub);
			}
		}
		return changes;
	}
}

const EMPTY_PIECES: Set<Piece> = new Set();

function findInRun(structs: Struct[], clock: number): Struct | null {
	const index = findIndexIn(structs, clock);
	const struct = structs[index];
	return struct && struct.id.clock <= clock && clock < struct.id.clock + struct.length ? struct : null;
}

/** Index of the struct containing `clock`, or of the first one after it. */
function findIndexIn(structs: Struct[], clock: number): number {
	let low = 0;
	let high = structs.length - 1;
	while (low <= high) {
		const mid = (low + high) >> 1;
		const struct = structs[mid];
		if (clock < struct.id.clock) high = mid - 1;
		else if (clock >= struct.id.clock + struct.length) low = mid + 1;
		else return mid;
	}
	return low;
}

export { quote };
