/**
 * Randomized convergence: 5 replicas make random edits (many of them to the same asset
 * at once), set goals, link assets to goals and to each other and unlink them, while
 * updates arrive in random order and peers drop offline and come back (so people link
 * assets that someone else is deleting, and make the same link at once). After a flush
 * every replica must hold the same map, goals and links, every asset must still read as
 * valid, and every link must sit under its own derived id.
 * Seeds are printed so a failure can be replayed with CONVERGENCE_SEED.
 */
import { describe, expect, it } from 'vitest';
import { TestNetwork, seededRandom, type Random } from '../helpers/connected-docs.ts';
import { addAsset, deleteAsset, moveAsset, restoreAsset, setAssetHidden, updateAsset } from '../../src/lib/doc/mutations.ts';
import { addGoal, deleteGoal, updateGoal } from '../../src/lib/doc/goal-mutations.ts';
import { connectAssets, linkAssetsToGoal, unlink } from '../../src/lib/doc/link-mutations.ts';
import { linkIndex } from '../../src/lib/doc/coverage.ts';
import { readAllAssets, readAllGoals, readAllLinks } from '../../src/lib/doc/schema.ts';
import { CATEGORIES, GOAL_STATUSES, type Contributor } from '../../src/lib/doc/model.ts';
import type * as Y from 'yjs';

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
		const goals = readAllGoals(peer.doc).map((g) => g.id);
		const links = readAllLinks(peer.doc).map((l) => l.id);
		clock++;
		// Half the steps work on goals and links, once there are assets to link.
		if (ids.length > 0 && random() < 0.5) {
			partnershipStep(random, peer.doc, by, clock, step, ids, goals, links);
			const deliveries = Math.floor(random() * 4);
			for (let i = 0; i < deliveries; i++) network.deliverOne(random);
			continue;
		}
		const roll = random();
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

	const goalsOf = (doc: Y.Doc) => readAllGoals(doc).sort((a, b) => a.id.localeCompare(b.id));
	const linksOf = (doc: Y.Doc) => readAllLinks(doc).sort((a, b) => a.id.localeCompare(b.id));
	const liveIndex = (doc: Y.Doc) => {
		const index = linkIndex(readAllAssets(doc), readAllGoals(doc), readAllLinks(doc), 'editor');
		const flat = (m: Map<string, Set<string>>) => [...m].map(([k, v]) => `${k}>${[...v].sort().join(',')}`).sort();
		return { goalsOfAsset: flat(index.goalsOfAsset), connections: flat(index.connections) };
	};
	const first = network.peers[0].doc;
	// Same link made twice, by anyone, at any time: one entry, under its derived id.
	const rawLinks = first.getMap('links');
	expect(readAllLinks(first).length).toBe(rawLinks.size);
	for (const link of readAllLinks(first)) {
		expect(rawLinks.has(link.id)).toBe(true);
		// Links are only made to things that exist, and entries are never removed.
		expect(first.getMap('assets').has(link.from)).toBe(true);
		expect(first.getMap(link.kind === 'supports' ? 'goals' : 'assets').has(link.to)).toBe(true);
	}
	for (const peer of network.peers) {
		expect(goalsOf(peer.doc)).toEqual(goalsOf(first));
		expect(linksOf(peer.doc)).toEqual(linksOf(first));
		expect(liveIndex(peer.doc)).toEqual(liveIndex(first));
	}
}

/** One person's goal or link edit: what a goals panel, a lasso or an asset card would do. */
function partnershipStep(random: Random, doc: Y.Doc, by: Contributor, clock: number, step: number, ids: string[], goals: string[], links: string[]): void {
	const roll = random();
	if (roll < 0.12 || goals.length === 0) {
		addGoal(doc, { title: `Goal ${step}`, horizon: random() < 0.5 ? 'short' : 'long' }, by, clock);
	} else if (roll < 0.22) {
		updateGoal(doc, pick(random, goals), { status: pick(random, GOAL_STATUSES), title: `Goal ${step}` }, by, clock);
	} else if (roll < 0.28) {
		deleteGoal(doc, pick(random, goals), by, clock);
	} else if (roll < 0.55) {
		// A lasso: a few assets at once, often the same ones others are linking.
		const chosen = Array.from({ length: 1 + Math.floor(random() * 3) }, () => (random() < 0.5 ? ids[0] : pick(random, ids)));
		linkAssetsToGoal(doc, chosen, random() < 0.5 ? goals[0] : pick(random, goals), random() < 0.3 ? `how ${step}` : undefined, by, clock);
	} else if (roll < 0.75) {
		if (ids.length < 2) return;
		const a = pick(random, ids);
		const b = pick(random, ids.filter((id) => id !== a));
		connectAssets(doc, a, b, random() < 0.5 ? 'shares space' : undefined, by, clock);
	} else if (links.length > 0) {
		unlink(doc, [pick(random, links)], by, clock);
	}
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
