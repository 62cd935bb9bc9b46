/**
 * server/room/update-shape.ts must read updates exactly as Yjs's V1 reader does (never
 * refusing what Yjs reads, counting what Yjs would build) and stop at its limits before
 * reading what lies beyond them.
 */
import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { UPDATE_LIMITS, UpdateMalformed, UpdateTooLarge, measureUpdate } from '../../server/room/update-shape.ts';
import { seededRandom } from '../helpers/connected-docs.ts';
import { v1Bombs, v2Bomb } from '../helpers/hostile-updates.ts';

/** What Y.decodeUpdate builds from an update, or null if it cannot read it. */
function decoded(update: Uint8Array): { structs: number; deleteRanges: number } | null {
	try {
		const { structs, ds } = Y.decodeUpdate(update) as unknown as { structs: unknown[]; ds: { clients: Map<number, unknown[]> } };
		let deleteRanges = 0;
		for (const ranges of ds.clients.values()) deleteRanges += ranges.length;
		return { structs: structs.length, deleteRanges };
	} catch {
		return null;
	}
}

/** One doc that holds every kind of content Yjs can encode, edited and partly deleted. */
function everythingDoc(): { doc: Y.Doc; updates: Uint8Array[] } {
	const doc = new Y.Doc({ gc: true });
	const updates: Uint8Array[] = [];
	doc.on('update', (update: Uint8Array) => updates.push(update));
	const map = doc.getMap<unknown>('map');
	map.set('any', { n: 1, f: 1.5, big: 2n ** 60n, t: true, f2: false, nil: null, s: 'text', arr: [1, [2, [3, { deep: ['x'] }]]] });
	map.set('bytes', new Uint8Array([1, 2, 3]));
	map.set('undef', undefined);
	const nested = new Y.Map<unknown>();
	map.set('nested', nested);
	nested.set('geometry', { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] });
	const text = new Y.Text();
	map.set('text', text);
	text.insert(0, 'hello world');
	text.format(0, 5, { bold: true });
	text.insertEmbed(5, { image: 'x.png' });
	text.delete(6, 3);
	const xml = doc.getXmlFragment('xml');
	const element = new Y.XmlElement('p');
	xml.insert(0, [element, new Y.XmlText('plain')]);
	xml.insert(2, [new Y.XmlHook('hook') as unknown as Y.XmlElement]);
	element.setAttribute('class', 'c');
	element.insert(0, [new Y.XmlText('inside')]);
	const array = doc.getArray<unknown>('array');
	array.insert(0, [1, 'two', { three: 3 }, new Y.Array()]);
	array.delete(1, 1);
	for (let i = 0; i < 20; i++) map.set('overwritten', i);
	map.delete('undef');
	return { doc, updates };
}

describe('measureUpdate', () => {
	it('counts exactly what Y.decodeUpdate builds, for every kind of content', () => {
		const { doc, updates } = everythingDoc();
		const samples = [
			Y.encodeStateAsUpdate(doc),
			Y.encodeStateAsUpdate(new Y.Doc()),
			...updates,
			// Merging updates with a gap between them makes Skip structs.
			Y.mergeUpdates([updates[0], updates[updates.length - 1]]),
			Y.mergeUpdates(updates)
		];
		for (const update of samples) {
			const expected = decoded(update);
			expect(expected).not.toBeNull();
			const shape = measureUpdate(update);
			expect({ structs: shape.structs, deleteRanges: shape.deleteRanges }).toEqual(expected);
		}
		expect(measureUpdate(Y.encodeStateAsUpdate(doc)).values).toBeGreaterThan(20);
	});

	it('refuses subdocuments and a client written in two groups, which Yjs would read', () => {
		const doc = new Y.Doc();
		doc.getMap('map').set('subdoc', new Y.Doc({ guid: 'sub-guid' }));
		const subdoc = Y.encodeStateAsUpdate(doc);
		expect(decoded(subdoc)).toEqual({ structs: 1, deleteRanges: 0 });
		expect(() => measureUpdate(subdoc)).toThrow(/subdocuments/);

		const group = (clock: number) => {
			const encoder = encoding.createEncoder();
			encoding.writeVarUint(encoder, 1); // one struct
			encoding.writeVarUint(encoder, 9); // client 9
			encoding.writeVarUint(encoder, clock);
			encoding.writeUint8(encoder, 0); // GC
			encoding.writeVarUint(encoder, 1);
			return encoding.toUint8Array(encoder);
		};
		const twice = Uint8Array.from([2, ...group(0), ...group(5), 0]);
		expect(decoded(twice)).toEqual({ structs: 2, deleteRanges: 0 });
		expect(() => measureUpdate(twice)).toThrow(/two groups/);
	});

	it('reads a legacy JSON content item like Yjs does', () => {
		const encoder = encoding.createEncoder();
		encoding.writeVarUint(encoder, 1);
		encoding.writeVarUint(encoder, 1);
		encoding.writeVarUint(encoder, 9);
		encoding.writeVarUint(encoder, 0);
		encoding.writeUint8(encoder, 2 | 0x20); // ContentJSON with a key
		encoding.writeVarUint(encoder, 1);
		encoding.writeVarString(encoder, 'assets');
		encoding.writeVarString(encoder, 'k');
		encoding.writeVarUint(encoder, 2);
		encoding.writeVarString(encoder, '{"a":1}');
		encoding.writeVarString(encoder, 'undefined');
		encoding.writeVarUint(encoder, 0);
		const update = encoding.toUint8Array(encoder);
		expect(decoded(update)).toEqual({ structs: 1, deleteRanges: 0 });
		// Two JSON texts, each counted by its structure: '{"a":1}' as 2 values, 'undefined' as 1.
		expect(measureUpdate(update)).toEqual({ structs: 1, deleteRanges: 0, values: 5 });
	});

	it('refuses a JSON bomb and an oversized value before anything parses them', () => {
		const legacyJson = (text: string) => {
			const encoder = encoding.createEncoder();
			encoding.writeVarUint(encoder, 1);
			encoding.writeVarUint(encoder, 1);
			encoding.writeVarUint(encoder, 9);
			encoding.writeVarUint(encoder, 0);
			encoding.writeUint8(encoder, 2 | 0x20);
			encoding.writeVarUint(encoder, 1);
			encoding.writeVarString(encoder, 'assets');
			encoding.writeVarString(encoder, 'k');
			encoding.writeVarUint(encoder, 1);
			encoding.writeVarString(encoder, text);
			encoding.writeVarUint(encoder, 0);
			return encoding.toUint8Array(encoder);
		};
		// 400 KB of `{},` is 133,334 objects to Yjs's JSON.parse: within one value's bytes, over the values bound.
		const bomb = `[${'{},'.repeat(133_333)}{}]`;
		expect(() => measureUpdate(legacyJson(bomb), { ...UPDATE_LIMITS, values: 100_000 })).toThrow(UpdateTooLarge);
		expect(() => measureUpdate(legacyJson(`"${'x'.repeat(600 * 1024)}"`))).toThrow(/a value of more than/);
		const doc = new Y.Doc();
		doc.getMap('assets').set('k', 'x'.repeat(600 * 1024));
		expect(() => measureUpdate(Y.encodeStateAsUpdate(doc))).toThrow(/a value of more than/);
		// 10 KB nested 5,000 deep would overflow the stack when Yjs parses it.
		expect(() => measureUpdate(legacyJson(`${'['.repeat(5000)}${']'.repeat(5000)}`))).toThrow(UpdateMalformed);
		// Brackets and commas inside strings are text, not structure.
		expect(measureUpdate(legacyJson(JSON.stringify('[[[[,,,{{{'.repeat(1000)))).values).toBe(2);
	});

	it('never refuses what Yjs reads: 20,000 mutated updates', () => {
		const seed = 20240607;
		const rng = seededRandom(seed);
		const { doc, updates } = everythingDoc();
		const bases = [Y.encodeStateAsUpdate(doc), ...updates];
		let readable = 0;
		for (let i = 0; i < 20_000; i++) {
			const copy = bases[Math.floor(rng() * bases.length)].slice();
			const mode = Math.floor(rng() * 3);
			let update: Uint8Array = copy;
			if (mode === 0) for (let n = 1 + Math.floor(rng() * 3); n > 0; n--) copy[Math.floor(rng() * copy.length)] = Math.floor(rng() * 256);
			else if (mode === 1) update = copy.subarray(0, Math.floor(rng() * copy.length));
			else update = Uint8Array.from({ length: 1 + Math.floor(rng() * 64) }, () => Math.floor(rng() * 256));
			const expected = decoded(update);
			if (expected === null) continue;
			readable++;
			let shape: ReturnType<typeof measureUpdate> | Error;
			try {
				shape = measureUpdate(update, { structs: Infinity, deleteRanges: Infinity, values: Infinity, depth: Infinity, valueBytes: Infinity });
			} catch (error) {
				shape = error as Error;
			}
			expect(shape, `update ${i} (seed ${seed}): ${Buffer.from(update).toString('hex').slice(0, 200)}`).toMatchObject(expected);
		}
		expect(readable).toBeGreaterThan(1000);
	});

	it('stops at its limits before reading what they would cost', () => {
		// Declares 10 million GC structs but holds only the header: refused as too large, not as truncated.
		const header = encoding.createEncoder();
		encoding.writeVarUint(header, 1);
		encoding.writeVarUint(header, 10_000_000);
		expect(() => measureUpdate(encoding.toUint8Array(header))).toThrow(UpdateTooLarge);

		const deletes = encoding.createEncoder();
		encoding.writeVarUint(deletes, 0);
		encoding.writeVarUint(deletes, 1);
		encoding.writeVarUint(deletes, 5);
		encoding.writeVarUint(deletes, UPDATE_LIMITS.deleteRanges + 1);
		expect(() => measureUpdate(encoding.toUint8Array(deletes))).toThrow(UpdateTooLarge);

		const bombs = Object.fromEntries(v1Bombs(1).map((bomb) => [bomb.name, bomb.update]));
		expect(() => measureUpdate(bombs['a value nested 50,000 arrays deep'])).toThrow(UpdateMalformed);
		expect(() => measureUpdate(bombs['claims 2^31 structs, holds one'])).toThrow(UpdateTooLarge);
		// The #687 V2 payload read as V1: an empty update, nothing to build.
		expect(measureUpdate(v2Bomb())).toEqual({ structs: 0, deleteRanges: 0, values: 0 });
	});
});
