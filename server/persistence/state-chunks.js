// @ts-check
/**
 * A map's whole state as several updates, each small enough to apply in a few tens of
 * milliseconds, in an order where every struct comes after everything it refers to. A
 * room loads them one slice of the event loop at a time, so opening a 10,000-asset map
 * never holds other maps' people for the 300 ms one big update takes to apply.
 *
 * The order is Yjs's own (integrateStructs: each client's structs in clock order, a struct's
 * dependencies pulled in first through a stack), so applying the chunks in turn never
 * leaves anything pending. Within a chunk each client's structs are one contiguous run,
 * written with Yjs's own encoder. The deletions come last, in their own update.
 */
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

/** Structs per chunk: about 20 ms to apply on the development machine. */
export const CHUNK_STRUCTS = 4000;

/**
 * @param {Uint8Array} state a complete state (Y.encodeStateAsUpdate of a document)
 * @param {number} [chunkStructs]
 * @returns {Uint8Array[]}
 */
export function stateChunks(state, chunkStructs = CHUNK_STRUCTS) {
	const { structs, ds } = /** @type {{ structs: Array<Y.Item | Y.GC | Y.Skip>, ds: { clients: Map<number, unknown[]> } }} */ (
		/** @type {unknown} */ (Y.decodeUpdate(state))
	);
	const order = integrationOrder(structs);
	/** @type {Uint8Array[]} */
	const chunks = [];
	for (let start = 0; start < order.length; start += chunkStructs) chunks.push(encodeRuns(order.slice(start, start + chunkStructs)));
	if (ds.clients.size > 0) chunks.push(Y.diffUpdate(state, Y.encodeStateVectorFromUpdate(state)));
	return chunks.length > 0 ? chunks : [state];
}

/** @param {Y.Item} item @param {(client: number) => number} stateOf */
function missingClient(item, stateOf) {
	const parent = item.parent instanceof Y.ID ? item.parent : null;
	for (const ref of [item.origin, item.rightOrigin, parent]) {
		if (ref && ref.client !== item.id.client && ref.clock >= stateOf(ref.client)) return ref.client;
	}
	return null;
}

/** @param {Array<Y.Item | Y.GC | Y.Skip>} structs */
function integrationOrder(structs) {
	/** @type {Map<number, { i: number, list: Array<Y.Item | Y.GC | Y.Skip> }>} */
	const refs = new Map();
	for (const struct of structs) {
		let run = refs.get(struct.id.client);
		if (!run) refs.set(struct.id.client, (run = { i: 0, list: [] }));
		run.list.push(struct);
	}
	/** @type {Map<number, number>} */
	const state = new Map();
	const stateOf = (/** @type {number} */ client) => state.get(client) ?? 0;
	const clients = [...refs.keys()].sort((a, b) => a - b);
	const nextTarget = () => {
		while (clients.length > 0) {
			const run = /** @type {{ i: number, list: Array<Y.Item | Y.GC | Y.Skip> }} */ (refs.get(clients[clients.length - 1]));
			if (run.i < run.list.length) return run;
			clients.pop();
		}
		return null;
	};
	/** @type {Array<Y.Item | Y.GC>} */
	const order = [];
	/** @type {Array<Y.Item | Y.GC | Y.Skip>} */
	const stack = [];
	let target = nextTarget();
	if (!target) return order;
	let head = target.list[target.i++];
	for (;;) {
		if (!(head instanceof Y.Skip)) {
			const missing = head instanceof Y.Item ? missingClient(head, stateOf) : null;
			if (missing !== null) {
				stack.push(head);
				const run = refs.get(missing);
				if (!run || run.i >= run.list.length) throw new Error('the state is not complete');
				head = run.list[run.i++];
				continue;
			}
			order.push(head);
			state.set(head.id.client, head.id.clock + head.length);
		}
		if (stack.length > 0) head = /** @type {Y.Item | Y.GC | Y.Skip} */ (stack.pop());
		else if (target && target.i < target.list.length) head = target.list[target.i++];
		else {
			target = nextTarget();
			if (!target) break;
			head = target.list[target.i++];
		}
	}
	return order;
}

/** One V1 update of these structs: each client's are one contiguous run. @param {Array<Y.Item | Y.GC>} structs */
function encodeRuns(structs) {
	/** @type {Map<number, Array<Y.Item | Y.GC>>} */
	const byClient = new Map();
	for (const struct of structs) {
		let list = byClient.get(struct.id.client);
		if (!list) byClient.set(struct.id.client, (list = []));
		list.push(struct);
	}
	const encoder = new Y.UpdateEncoderV1();
	encoding.writeVarUint(encoder.restEncoder, byClient.size);
	for (const [client, list] of byClient) {
		encoding.writeVarUint(encoder.restEncoder, list.length);
		encoder.writeClient(client);
		encoding.writeVarUint(encoder.restEncoder, list[0].id.clock);
		for (const struct of list) struct.write(encoder, 0);
	}
	encoding.writeVarUint(encoder.restEncoder, 0); // no deletions here: they come last
	return encoder.toUint8Array();
}
