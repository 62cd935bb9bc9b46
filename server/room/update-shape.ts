/**
 * A cheap first pass over an incoming V1 update: it counts what decoding the update would
 * build (structs, delete ranges, values inside them) without building any of it, so the
 * server can refuse an update before Y.decodeUpdate turns a few megabytes into millions
 * of objects.
 *
 * Why this is needed although frames are capped (sync-server.ts, 24 MiB): the cost of
 * decoding is not the size of the frame but what it declares. Measured on this code
 * base: 20 MB of 2-byte GC structs took Y.decodeUpdate + our checks 7.2 s, 29 MB of
 * one-clock delete ranges 1.3 s, against 0.3 s for the 6 MB first sync of a 10,000-asset
 * map (120,002 structs, the design's largest map). Every key holder, viewers included,
 * can send a frame, and one process serves every map: a multi-second stall is an outage.
 *
 * The walk reads exactly what Yjs's V1 reader reads (lazyStructReaderGenerator,
 * readItemContent, readDeleteSet, lib0 readAny) with lib0's own primitives, skipping
 * strings and buffers by length without decoding them. Anything it cannot read, Yjs could
 * not read either; it never accepts more than Yjs would.
 */
import * as decoding from 'lib0/decoding';

export interface UpdateLimits {
	/** Structs (items, GC and skip ranges) in one update. */
	structs: number;
	/** Delete-set ranges in one update. */
	deleteRanges: number;
	/** JSON and "any" values (array elements, object entries included) in one update. */
	values: number;
	/** Nesting of arrays and objects inside one value. */
	depth: number;
	/** Bytes of one string, buffer or JSON text inside the update. */
	valueBytes: number;
}

/**
 * Sized by the worst shape, not the usual one. The write gate replays each update's
 * integration before anything is applied (room/write-gate.ts), on top of Yjs decoding it
 * and then applying it, so what one update may hold bounds how long one message holds the
 * event loop. 50,000 structs is about 4,000 new assets in one update, which a phone only
 * sends after creating thousands offline (an importer sends them in several transactions,
 * each its own update); bench/gate.ts prints what the largest ones cost. Delete ranges:
 * 150,000 one-clock ranges took 91 ms. Values: a 10,000-asset map holds a few hundred
 * thousand (coordinates are values). Depth: our deepest value is a polygon's coordinates,
 * four levels down.
 */
export const UPDATE_LIMITS: UpdateLimits = { structs: 50_000, deleteRanges: 100_000, values: 250_000, depth: 32, valueBytes: 512 * 1024 };

/**
 * JSON text (legacy ContentJSON, embeds, formats) is parsed by Yjs when it decodes the
 * update. `[{},{},…]` becomes millions of objects (23 MB of it held the event loop 4.6 s),
 * and `[[[…]]]` 5,000 deep overflows the stack inside the room. One pass over the bytes
 * counts every `,` `[` `{` outside strings as a value (a generous bound on what parsing
 * builds) and measures nesting, before anything parses it.
 */
function measureJson(bytes: Uint8Array, maxDepth: number): number {
	let count = 1;
	let depth = 0;
	let inString = false;
	for (let i = 0; i < bytes.length; i++) {
		const byte = bytes[i];
		if (inString) {
			if (byte === 0x5c) i++; // a backslash escapes the next byte
			else if (byte === 0x22) inString = false;
			continue;
		}
		if (byte === 0x22) inString = true;
		else if (byte === 0x2c) count++; // ,
		else if (byte === 0x5b || byte === 0x7b) {
			// [ {
			count++;
			if (++depth > maxDepth) throw new UpdateMalformed(`JSON nested deeper than ${maxDepth}`);
		} else if (byte === 0x5d || byte === 0x7d) depth--;
	}
	return count;
}

/** Within what Yjs can decode, but more than one update may hold here. */
export class UpdateTooLarge extends Error {}
/** Not a V1 update Yjs would read (or nested beyond any schema of ours). */
export class UpdateMalformed extends Error {}

export interface UpdateShape {
	structs: number;
	deleteRanges: number;
	values: number;
}

export function measureUpdate(update: Uint8Array, limits: UpdateLimits = UPDATE_LIMITS): UpdateShape {
	const decoder = decoding.createDecoder(update);
	const shape: UpdateShape = { structs: 0, deleteRanges: 0, values: 0 };
	const uint = () => decoding.readVarUint(decoder);
	// readVarString is readVarUint8Array plus a UTF-8 decode; the length rules are the same.
	// Subarrays only: nothing is copied.
	const readBytes = () => {
		const bytes = decoding.readVarUint8Array(decoder);
		if (bytes.byteLength > limits.valueBytes) throw new UpdateTooLarge(`a value of more than ${limits.valueBytes} bytes`);
		return bytes;
	};
	const skipBytes = () => void readBytes();
	const skipJson = () => addValues(measureJson(readBytes(), limits.depth));
	const addValues = (count: number) => {
		shape.values += count;
		if (shape.values > limits.values) throw new UpdateTooLarge(`more than ${limits.values} values`);
	};

	/** Mirrors lib0's readAny (type byte 127 - index into its lookup table). */
	const skipAny = (depth: number): void => {
		if (depth > limits.depth) throw new UpdateMalformed(`values nested deeper than ${limits.depth}`);
		const type = decoding.readUint8(decoder);
		switch (type) {
			case 127: // undefined
			case 126: // null
			case 121: // false
			case 120: // true
				return;
			case 125:
				decoding.readVarInt(decoder);
				return;
			case 124:
				decoding.readFloat32(decoder);
				return;
			case 123:
				decoding.readFloat64(decoder);
				return;
			case 122:
				decoding.readBigInt64(decoder);
				return;
			case 119: // string
			case 116: // Uint8Array
				skipBytes();
				return;
			case 118: {
				// object: count, then key + value pairs
				const count = uint();
				addValues(count);
				for (let i = 0; i < count; i++) {
					skipBytes();
					skipAny(depth + 1);
				}
				return;
			}
			case 117: {
				const count = uint();
				addValues(count);
				for (let i = 0; i < count; i++) skipAny(depth + 1);
				return;
			}
			default:
				throw new UpdateMalformed(`unknown value type ${type}`);
		}
	};

	/** Mirrors Yjs's contentRefs[info & 31] readers (V1). */
	const skipContent = (ref: number): void => {
		switch (ref) {
			case 1: // ContentDeleted: length
				uint();
				return;
			case 2: {
				// ContentJSON: count, then JSON strings
				const count = uint();
				addValues(count);
				for (let i = 0; i < count; i++) skipJson();
				return;
			}
			case 3: // ContentBinary
			case 4: // ContentString
				skipBytes();
				return;
			case 5: // ContentEmbed: JSON
				skipJson();
				return;
			case 6: // ContentFormat: key, JSON
				skipBytes();
				skipJson();
				return;
			case 7: {
				// ContentType: type ref; XmlElement (3) and XmlHook (5) carry a name
				const typeRef = uint();
				if (typeRef === 3 || typeRef === 5) skipBytes();
				else if (typeRef > 6) throw new UpdateMalformed(`unknown type ref ${typeRef}`);
				return;
			}
			case 8: {
				// ContentAny: count, then values
				const count = uint();
				addValues(count);
				for (let i = 0; i < count; i++) skipAny(0);
				return;
			}
			case 9:
				// ContentDoc. A subdocument costs the server about 200 times the memory of a
				// plain value and nothing in our schema uses one.
				throw new UpdateMalformed('subdocuments are not accepted');
			default:
				throw new UpdateMalformed(`unknown content ${ref}`);
		}
	};

	const clients = uint();
	const seen = new Set<number>();
	for (let c = 0; c < clients; c++) {
		const count = uint();
		shape.structs += count;
		// Checked on the declared count, before reading any of them.
		if (shape.structs > limits.structs) throw new UpdateTooLarge(`more than ${limits.structs} structs`);
		const client = uint();
		// Yjs keeps only the last group of a client and parks it as pending when it does not
		// start where the server's state ends; Yjs itself never writes two.
		if (seen.has(client)) throw new UpdateMalformed('a client appears in two groups');
		seen.add(client);
		uint(); // clock
		for (let i = 0; i < count; i++) {
			const info = decoding.readUint8(decoder);
			if (info === 10) {
				uint(); // Skip: length
				continue;
			}
			const ref = info & 0b11111;
			if (ref === 0) {
				uint(); // GC: length
				continue;
			}
			if (info & 0x80) (uint(), uint()); // origin
			if (info & 0x40) (uint(), uint()); // right origin
			if ((info & 0xc0) === 0) {
				// No neighbours: the parent is named (a root key, or the id of a type) ...
				if (uint() === 1) skipBytes();
				else (uint(), uint());
				// ... and so is the key within it.
				if (info & 0x20) skipBytes();
			}
			skipContent(ref);
		}
	}
	const deleteClients = uint();
	for (let c = 0; c < deleteClients; c++) {
		uint(); // client
		const count = uint();
		shape.deleteRanges += count;
		if (shape.deleteRanges > limits.deleteRanges) throw new UpdateTooLarge(`more than ${limits.deleteRanges} delete ranges`);
		for (let i = 0; i < count; i++) (uint(), uint());
	}
	return shape;
}
