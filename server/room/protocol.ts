/**
 * The y-websocket wire format, parsed into plain values up front so the room never
 * touches raw bytes from the network. Every kind of frame has its bounds checked while it
 * is read, before anything is built from it: a state vector with millions of entries, or
 * a presence frame with millions of states, costs the reader nothing but a refusal.
 *
 * Anything we cannot parse is a ProtocolError (close 4400); anything over a bound is a
 * FrameTooLarge (close 4413). Either closes only the socket that sent it.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;
export const MESSAGE_QUERY_AWARENESS = 3;
/**
 * Ours, not y-websocket's: a one-byte frame the server echoes to its sender. Our client
 * sends it when the server has been quiet for a few seconds, so a silent Wi-Fi drop (no
 * offline event, the socket just stalls) shows as offline within about ten seconds.
 * Stock clients never send it; the number is far from any protocol's own types.
 */
export const MESSAGE_KEEPALIVE = 100;
export const KEEPALIVE_FRAME = new Uint8Array([MESSAGE_KEEPALIVE]);

export const SYNC_STEP1 = 0;
export const SYNC_STEP2 = 1;
export const SYNC_UPDATE = 2;

/** A presence state is a name, a color, a cursor: a few hundred bytes. */
export const MAX_PRESENCE_STATE_BYTES = 1024;

/**
 * One entry of a presence frame, its JSON not decoded yet: a stock y-websocket client
 * echoes every peer's state it receives back to the server, so most entries are someone
 * else's and are skipped unread (presence-gate.ts decodes only the sender's own).
 */
export interface PresenceEntry {
	clientId: number;
	clock: number;
	json: Uint8Array;
}

/**
 * Entries one presence frame may hold. A client echoes the peers whose states changed
 * since the last tick, at most everyone in the room.
 */
export const MAX_PRESENCE_ENTRIES = 4096;

export type Incoming =
	/** `stateVector` is the validated encoding (Yjs's own reader takes bytes). */
	| { kind: 'sync-step1'; stateVector: Uint8Array }
	| { kind: 'sync-step2'; update: Uint8Array }
	| { kind: 'sync-update'; update: Uint8Array }
	| { kind: 'awareness'; entries: PresenceEntry[] }
	| { kind: 'query-awareness' }
	| { kind: 'keepalive' };

export class ProtocolError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ProtocolError';
	}
}

export class FrameTooLarge extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'FrameTooLarge';
	}
}

export interface FrameLimits {
	/**
	 * Entries a state vector may hold. A client's state vector names the clients it has
	 * content from: the server's own clients plus a few of its own.
	 */
	stateVectorEntries: number;
}

const MAX_SAFE_CLOCK = 2 ** 53;

function readStateVector(decoder: decoding.Decoder, limits: FrameLimits): Uint8Array {
	const bytes = decoding.readVarUint8Array(decoder);
	const inner = decoding.createDecoder(bytes);
	const count = decoding.readVarUint(inner);
	if (count > limits.stateVectorEntries) throw new FrameTooLarge(`state vector with more than ${limits.stateVectorEntries} entries`);
	for (let i = 0; i < count; i++) {
		decoding.readVarUint(inner);
		if (decoding.readVarUint(inner) > MAX_SAFE_CLOCK) throw new ProtocolError('state vector clock out of range');
	}
	if (decoding.hasContent(inner)) throw new ProtocolError('trailing bytes after a state vector');
	return bytes;
}

/** A y-protocols awareness update: (client, clock, JSON) entries, bounded before they are read. */
function readPresence(decoder: decoding.Decoder): PresenceEntry[] {
	const inner = decoding.createDecoder(decoding.readVarUint8Array(decoder));
	const count = decoding.readVarUint(inner);
	if (count > MAX_PRESENCE_ENTRIES) throw new FrameTooLarge(`presence frame with more than ${MAX_PRESENCE_ENTRIES} entries`);
	const entries: PresenceEntry[] = [];
	for (let i = 0; i < count; i++) {
		const clientId = decoding.readVarUint(inner);
		const clock = decoding.readVarUint(inner);
		if (clock > MAX_SAFE_CLOCK) throw new ProtocolError('presence clock out of range');
		entries.push({ clientId, clock, json: decoding.readVarUint8Array(inner) });
	}
	return entries;
}

export function parseMessage(data: Uint8Array, limits: FrameLimits): Incoming {
	try {
		const decoder = decoding.createDecoder(data);
		const type = decoding.readVarUint(decoder);
		if (type === MESSAGE_SYNC) {
			const step = decoding.readVarUint(decoder);
			if (step === SYNC_STEP1) return { kind: 'sync-step1', stateVector: readStateVector(decoder, limits) };
			if (step === SYNC_STEP2) return { kind: 'sync-step2', update: decoding.readVarUint8Array(decoder) };
			if (step === SYNC_UPDATE) return { kind: 'sync-update', update: decoding.readVarUint8Array(decoder) };
			throw new ProtocolError(`unknown sync step ${step}`);
		}
		if (type === MESSAGE_AWARENESS) return { kind: 'awareness', entries: readPresence(decoder) };
		if (type === MESSAGE_QUERY_AWARENESS) return { kind: 'query-awareness' };
		if (type === MESSAGE_KEEPALIVE) {
			if (decoder.pos !== data.length) throw new ProtocolError('a keepalive carries nothing');
			return { kind: 'keepalive' };
		}
		throw new ProtocolError(`unknown message type ${type}`);
	} catch (error) {
		if (error instanceof ProtocolError || error instanceof FrameTooLarge) throw error;
		throw new ProtocolError(`undecodable message: ${error instanceof Error ? error.message : String(error)}`);
	}
}

function syncMessage(step: number, payload: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MESSAGE_SYNC);
	encoding.writeVarUint(encoder, step);
	encoding.writeVarUint8Array(encoder, payload);
	return encoding.toUint8Array(encoder);
}

export const encodeSyncStep1 = (stateVector: Uint8Array) => syncMessage(SYNC_STEP1, stateVector);
export const encodeSyncStep2 = (update: Uint8Array) => syncMessage(SYNC_STEP2, update);
export const encodeSyncUpdate = (update: Uint8Array) => syncMessage(SYNC_UPDATE, update);

/** An awareness message (y-protocols format) for these entries, states as JSON values. */
export function encodePresence(entries: Array<{ clientId: number; clock: number; state: unknown }>): Uint8Array {
	const update = encoding.createEncoder();
	encoding.writeVarUint(update, entries.length);
	for (const { clientId, clock, state } of entries) {
		encoding.writeVarUint(update, clientId);
		encoding.writeVarUint(update, clock);
		encoding.writeVarString(update, JSON.stringify(state ?? null));
	}
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
	encoding.writeVarUint8Array(encoder, encoding.toUint8Array(update));
	return encoding.toUint8Array(encoder);
}
