/**
 * A state cut into chunks (server/persistence/state-chunks.js) is the same state: applied
 * one by one, in order, nothing is ever pending, and the result matches the original.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { stateChunks } from '../../server/persistence/state-chunks.js';
import { TestNetwork, seededRandom, sortKeys } from '../helpers/connected-docs.ts';
import { canonical } from '../helpers/yjs-frames.ts';

function applyInTurn(chunks: Uint8Array[]): Y.Doc {
	const doc = new Y.Doc();
	for (const [index, chunk] of chunks.entries()) {
		Y.applyUpdate(doc, chunk);
		expect(doc.store.pendingStructs, `after chunk ${index}`).toBeNull();
		expect(doc.store.pendingDs, `after chunk ${index}`).toBeNull();
	}
	return doc;
}

describe('a state in chunks', () => {
	it('several peers editing concurrently (maps, arrays, text, deletions): same document, nothing pending', () => {
		const seed = 4242;
		const random = seededRandom(seed);
		const network = new TestNetwork(4);
		for (let round = 0; round < 60; round++) {
			for (const { doc } of network.peers) {
				const assets = doc.getMap<Y.Map<unknown>>('assets');
				const key = `a${Math.floor(random() * 12)}`;
				let asset = assets.get(key);
				if (!asset || random() < 0.1) {
					asset = new Y.Map<unknown>();
					assets.set(key, asset);
				}
				asset.set(['name', 'holder', 'description'][Math.floor(random() * 3)], `v${round}`);
				if (random() < 0.3) assets.delete(`a${Math.floor(random() * 12)}`);
				const list = doc.getArray<unknown>('list');
				if (random() < 0.5 || list.length === 0) list.insert(Math.floor(random() * (list.length + 1)), [round, `x${round}`]);
				else list.delete(Math.floor(random() * list.length), 1);
				const text = doc.getText('text');
				text.insert(Math.floor(random() * (text.length + 1)), 'ab');
				if (text.length > 4) text.delete(1, 2);
			}
			if (round % 7 === 0) network.flush();
		}
		network.flush();
		const original = network.peers[0].doc;
		const state = Y.encodeStateAsUpdate(original);
		const chunks = stateChunks(state, 25);
		expect(chunks.length).toBeGreaterThan(5);
		const rebuilt = applyInTurn(chunks);
		const view = (doc: Y.Doc) => JSON.stringify(sortKeys([doc.getMap('assets').toJSON(), doc.getArray('list').toJSON(), doc.getText('text').toString()]));
		expect(view(rebuilt)).toBe(view(original));
		expect(Y.encodeStateVector(rebuilt)).toEqual(Y.encodeStateVector(original));
	});

	it('a 2,000-asset map: chunks of at most the size asked for, same map', () => {
		const doc = new Y.Doc();
		doc.transact(() => {
			for (let i = 0; i < 2000; i++) {
				const asset = new Y.Map<unknown>();
				doc.getMap('assets').set(`asset${i}`, asset);
				asset.set('name', `Asset ${i}`);
				asset.set('geometry', { type: 'Point', coordinates: [i, i] });
			}
		});
		for (let i = 0; i < 300; i++) doc.getMap<Y.Map<unknown>>('assets').get(`asset${i}`)!.set('name', `Renamed ${i}`);
		const chunks = stateChunks(Y.encodeStateAsUpdate(doc), 1000);
		for (const chunk of chunks) expect((Y.decodeUpdate(chunk).structs as unknown[]).length).toBeLessThanOrEqual(1000);
		expect(canonical(applyInTurn(chunks))).toBe(canonical(doc));
	});
});
