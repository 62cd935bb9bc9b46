/**
 * Hand-made Yjs updates that make a decoder, or Yjs itself, work hard: the yjs #687 V2
 * "run-length bomb" and a set of V1 ones. For the fuzz test and anyone checking a bound.
 */
import * as encoding from 'lib0/encoding';

/**
 * The yjs #687 shape (our own construction from the description, 26 bytes): a V2
 * update whose run-length streams, once exhausted, keep yielding "GC of length 1", and
 * which claims 2^28 structs. Yjs's V2 decoder (decodeUpdateV2, mergeUpdatesV2,
 * applyUpdateV2) loops 2^28 times on it; read as V1 (all the server does) it is empty.
 */
export function v2Bomb(count = 2 ** 28): Uint8Array {
	const encoder = encoding.createEncoder();
	const stream = (write: (e: encoding.Encoder) => void) => {
		const inner = encoding.createEncoder();
		write(inner);
		encoding.writeVarUint8Array(encoder, encoding.toUint8Array(inner));
	};
	encoding.writeVarUint(encoder, 0); // feature flag
	stream(() => {}); // key clocks
	stream((e) => encoding.writeVarInt(e, 1)); // client ids: 1
	stream(() => {}); // left clocks
	stream(() => {}); // right clocks
	stream((e) => encoding.writeUint8(e, 0)); // infos: GC, then "the same forever"
	stream((e) => encoding.writeVarString(e, '')); // strings
	stream(() => {}); // parent infos
	stream(() => {}); // type refs
	stream((e) => {
		encoding.writeVarInt(e, -1); // lengths: 1, repeated...
		encoding.writeVarUint(e, count - 2); // ...count times
	});
	encoding.writeVarUint(encoder, 1); // one client
	encoding.writeVarUint(encoder, count); // with `count` structs
	encoding.writeVarUint(encoder, 0); // from clock 0
	encoding.writeVarUint(encoder, 0); // empty delete set
	return encoding.toUint8Array(encoder);
}

/** A V1 update written by hand: one client's structs, then a delete set. */
function v1Update(write: (e: encoding.Encoder) => void, deletes: (e: encoding.Encoder) => void = (e) => encoding.writeVarUint(e, 0)): Uint8Array {
	const encoder = encoding.createEncoder();
	write(encoder);
	deletes(encoder);
	return encoding.toUint8Array(encoder);
}

/** A root-level ContentString item: info 4, parent is a root key, keyed by parentSub. */
function stringItem(e: encoding.Encoder, root: string, key: string, value: string): void {
	encoding.writeUint8(e, 4 | 0x20); // ContentString, has parentSub
	encoding.writeVarUint(e, 1); // parent is a root key
	encoding.writeVarString(e, root);
	encoding.writeVarString(e, key);
	encoding.writeVarString(e, value);
}

/** Crafted V1 updates that are each a different way to make a decoder or Yjs work hard. */
export function v1Bombs(existingClient: number): Array<{ name: string; update: Uint8Array }> {
	const deepAny = encoding.createEncoder();
	for (let i = 0; i < 50_000; i++) {
		encoding.writeUint8(deepAny, 117); // array
		encoding.writeVarUint(deepAny, 1); // of one element
	}
	encoding.writeUint8(deepAny, 127); // undefined
	return [
		{
			name: 'claims 2^31 structs, holds one',
			update: v1Update((e) => {
				encoding.writeVarUint(e, 1);
				encoding.writeVarUint(e, 2 ** 31);
				encoding.writeVarUint(e, 5);
				encoding.writeVarUint(e, 0);
				encoding.writeUint8(e, 0);
				encoding.writeVarUint(e, 1);
			})
		},
		{
			name: 'claims 2^31 clients, holds none',
			update: v1Update((e) => encoding.writeVarUint(e, 2 ** 31))
		},
		{
			name: 'a GC range of 2^45',
			update: v1Update((e) => {
				encoding.writeVarUint(e, 1);
				encoding.writeVarUint(e, 1);
				encoding.writeVarUint(e, 5);
				encoding.writeVarUint(e, 0);
				encoding.writeUint8(e, 0);
				encoding.writeVarUint(e, 2 ** 45);
			})
		},
		{
			name: 'an item at clock 2^52',
			update: v1Update((e) => {
				encoding.writeVarUint(e, 1);
				encoding.writeVarUint(e, 1);
				encoding.writeVarUint(e, 6);
				encoding.writeVarUint(e, 2 ** 52);
				stringItem(e, 'assets', 'far', 'future');
			})
		},
		{
			name: 'deletes 2^45 clocks of an existing client',
			update: v1Update(
				(e) => encoding.writeVarUint(e, 0),
				(e) => {
					encoding.writeVarUint(e, 1);
					encoding.writeVarUint(e, existingClient);
					encoding.writeVarUint(e, 1);
					encoding.writeVarUint(e, 0);
					encoding.writeVarUint(e, 2 ** 45);
				}
			)
		},
		{
			name: '100,000 one-clock delete ranges',
			update: v1Update(
				(e) => encoding.writeVarUint(e, 0),
				(e) => {
					encoding.writeVarUint(e, 1);
					encoding.writeVarUint(e, existingClient);
					encoding.writeVarUint(e, 100_000);
					for (let i = 0; i < 100_000; i++) {
						encoding.writeVarUint(e, i);
						encoding.writeVarUint(e, 1);
					}
				}
			)
		},
		{
			name: 'a value nested 50,000 arrays deep',
			update: v1Update((e) => {
				encoding.writeVarUint(e, 1);
				encoding.writeVarUint(e, 1);
				encoding.writeVarUint(e, 7);
				encoding.writeVarUint(e, 0);
				encoding.writeUint8(e, 8 | 0x20); // ContentAny, has parentSub
				encoding.writeVarUint(e, 1);
				encoding.writeVarString(e, 'assets');
				encoding.writeVarString(e, 'deep');
				encoding.writeVarUint(e, 1); // one value
				encoding.writeUint8Array(e, encoding.toUint8Array(deepAny));
			})
		},
		{
			name: 'a string that claims 2^31 bytes',
			update: v1Update((e) => {
				encoding.writeVarUint(e, 1);
				encoding.writeVarUint(e, 1);
				encoding.writeVarUint(e, 8);
				encoding.writeVarUint(e, 0);
				encoding.writeUint8(e, 4 | 0x20);
				encoding.writeVarUint(e, 1);
				encoding.writeVarString(e, 'assets');
				encoding.writeVarString(e, 'long');
				encoding.writeVarUint(e, 2 ** 31);
			})
		}
	];
}

