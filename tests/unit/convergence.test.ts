/**
 * Randomized convergence: 5 replicas make random edits (many of them to the same asset
 * at once), updates arrive in random order, peers drop offline and come back. After a
 * flush every replica must hold the same map, and every asset must still read as valid.
 * Seeds are printed so a failure can be replayed with CONVERGENCE_SEED.
 */
import { describe, expect, it } from 'vitest';
import { TestNetwork, seededRandom, type Random } from '../helpers/connected-docs.ts';
import { addAsset, deleteAsset, moveAsset, restoreAsset, setAssetHidden, updateAsset } from '../../src/lib/doc/mutations.ts';
import { readAllAssets } from '../../src/lib/doc/schema.ts';
import { CATEGORIES, type Contributor } from '../../src/lib/doc/model.ts';

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];

function runScenario(seed: number): void {
	const random = seededRandom(seed);
	const network = new TestNetwork(5);
	const people: Contributor[] = network.peers.map((_, i) => ({ id: `person${i}xxxxxxxxx`, name: `P${i}`, affiliation: 'student' }));
	let clock = 1;

	for (let step = 0; step < 300; step++) {
		const index = Math.floor(random() * network.peers.length);
		const peer = network.peers[index];
		const by = people[index];
		const ids = readAllAssets(peer.doc).map((a) => a.id);
		const roll = random();
		clock++;
		if (roll < 0.05) {
			if (peer.online) network.disconnect(peer);
			else network.reconnect(peer);
		} else if (roll < 0.3 || ids.length === 0) {
			addAsset(
				peer.doc,
				{
					name: `Asset ${step}`,
					category: pick(random, CATEGORIES),
					description: '',
					holder: '',
					tags: [],
					geometry: { type: 'Point', coordinates: [random() * 10, random() * 10] }
				},
				by,
				clock
			);
		} else if (roll < 0.6) {
			// Concentrate edits on the first asset so concurrent edits of one asset are common.
			const id = random() < 0.5 ? ids[0] : pick(random, ids);
			updateAsset(peer.doc, id, { name: `Renamed ${step}`, tags: [`t${step % 3}`] }, by, clock);
		} else if (roll < 0.75) {
			moveAsset(peer.doc, pick(random, ids), { type: 'Point', coordinates: [random() * 10, random() * 10] }, by, clock);
		} else if (roll < 0.85) {
			deleteAsset(peer.doc, pick(random, ids), by, clock);
		} else if (roll < 0.92) {
			restoreAsset(peer.doc, pick(random, ids), by, clock);
		} else {
			setAssetHidden(peer.doc, pick(random, ids), random() < 0.5, by, clock);
		}
		// Deliver a random number of queued updates, in random order.
		const deliveries = Math.floor(random() * 4);
		for (let i = 0; i < deliveries; i++) network.deliverOne(random);
	}

	network.flush();
	network.compare();
	// Y.Map iteration follows local insertion order, so compare by id.
	const byId = (doc: (typeof network.peers)[number]['doc']) => readAllAssets(doc).sort((a, b) => a.id.localeCompare(b.id));
	const reference = byId(network.peers[0].doc);
	const raw = network.peers[0].doc.getMap('assets').size;
	expect(reference.length).toBe(raw);
	for (const asset of reference) {
		expect(asset.createdBy).not.toBeNull();
		expect(asset.name).not.toBe('');
	}
	for (const peer of network.peers) expect(byId(peer.doc)).toEqual(reference);
}

describe('convergence', () => {
	const fixed = process.env.CONVERGENCE_SEED ? [Number(process.env.CONVERGENCE_SEED)] : null;
	const seeds = fixed ?? Array.from({ length: 20 }, () => Math.floor(Math.random() * 2 ** 31));

	for (const seed of seeds) {
		it(`5 replicas converge (seed ${seed})`, () => {
			console.log(`convergence seed ${seed}`);
			runScenario(seed);
		});
	}
});
