/**
 * The y-websocket wire format, parsed into plain values up front so the room never
 * touches raw bytes from the network. Anything we cannot parse is a ProtocolError,
 * which closes only the socket that sent it.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;
export const MESSAGE_QUERY_AWARENESS = 3;

export const SYNC_STEP1 = 0;
export const SYNC_STEP2 = 1;
export const SYNC_UPDATE = 2;

export type Incoming =
	| { kind: 'sync-step1'; stateVector: Uint8Array }
	| { kind: 'sync-step2'; update: Uint8Array }
	| { kind: 'sync-update'; update: Uint8Array }
	| { kind: 'awareness'; update: Uint8Array }
	| { kind: 'query-awareness' };

export class ProtocolError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ProtocolError';
	}
}

function readBytes(decoder: decoding.Decoder): Uint8Array {
	return decoding.readVarUint8Array(decoder);
}

export function parseMessage(data: Uint8Array): Incoming {
	try {
		const decoder = decoding.createDecoder(data);
		const type = decoding.readVarUint(decoder);
		if (type === MESSAGE_SYNC) {
			const step = decoding.readVarUint(decoder);
			if (step === SYNC_STEP1) return { kind: 'sync-step1', stateVector: readBytes(decoder) };
			if (step === SYNC_STEP2) return { kind: 'sync-step2', update: readBytes(decoder) };
			if (step === SYNC_UPDATE) return { kind: 'sync-update', update: readBytes(decoder) };
			throw new ProtocolError(`unknown sync step ${step}`);
		}
		if (type === MESSAGE_AWARENESS) return { kind: 'awareness', update: readBytes(decoder) };
		if (type === MESSAGE_QUERY_AWARENESS) return { kind: 'query-awareness' };
		throw new ProtocolError(`unknown message type ${type}`);
	} catch (error) {
		if (error instanceof ProtocolError) throw error;
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

export function encodeAwareness(update: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
	encoding.writeVarUint8Array(encoder, update);
	return encoding.toUint8Array(encoder);
}
