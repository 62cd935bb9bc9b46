/**
 * What the write gate (server/room/write-gate.ts) costs per update, at 10 and at 10,000
 * assets: it replays Yjs's integration of each update against the room's document before
 * anything is applied. Typical updates (a rename, a new asset, a soft delete, a concurrent
 * set from a stale phone), and the same update applied by Yjs itself for comparison.
 *
 *   node --import tsx bench/gate.ts
 */
import * as Y from 'yjs';
import { checkUpdate } from '../server/room/write-gate.ts';
import { addAssetTo, buildMapDoc, contributor } from './fixtures.ts';
import { summarize } from './stats.ts';

const ROUNDS = 400;

type Edit = (doc: Y.Doc, round: number) => void;

const EDITS: Record<string, Edit> = {
	'rename an asset': (doc, round) => {
		const assets = doc.getMap<Y.Map<unknown>>('assets');
		const asset = assets.get([...assets.keys()][round % assets.size])!;
		doc.transact(() => {
			asset.set('name', `Renamed ${round}`);
			asset.set('updatedBy', contributor(round));
			asset.set('updatedAt', round);
		});
	},
	'add an asset': (doc, round) => addAssetTo(doc, 1_000_000 + round),
	'soft delete': (doc, round) => {
		const assets = doc.getMap<Y.Map<unknown>>('assets');
		assets.get([...assets.keys()][round % assets.size])!.set('deletedAt', round);
	}
};

function measure(assetCount: number): void {
	const server = buildMapDoc(assetCount);
	const state = Y.encodeStateAsUpdate(server);
	for (const [name, edit] of Object.entries(EDITS)) {
		const gate: number[] = [];
		const apply: number[] = [];
		const client = new Y.Doc();
		Y.applyUpdate(client, state);
		for (let round = 0; round < ROUNDS; round++) {
			const known = Y.encodeStateVector(client);
			edit(client, round);
			const update = Y.encodeStateAsUpdate(client, known);
			let start = performance.now();
			const verdict = checkUpdate(server, update, { role: 'editor', locked: false, mayWriteClient: () => true });
			gate.push(performance.now() - start);
			if (verdict.kind !== 'ok') throw new Error(`${name}: ${JSON.stringify(verdict)}`);
			start = performance.now();
			Y.applyUpdate(server, update);
			apply.push(performance.now() - start);
		}
		console.log(`gate, ${assetCount.toLocaleString('en')} assets, ${name}: gate ${summarize(gate)}; Yjs apply ${summarize(apply)}`);
	}

	// A stale phone's sync step 2: 20 offline edits against a map that moved on.
	const phone = new Y.Doc();
	Y.applyUpdate(phone, Y.encodeStateAsUpdate(server));
	for (let round = 0; round < 50; round++) EDITS['rename an asset'](server, round + 7);
	const known = Y.encodeStateVector(phone);
	for (let round = 0; round < 20; round++) EDITS['rename an asset'](phone, round);
	const step2 = Y.encodeStateAsUpdate(phone, known);
	const samples: number[] = [];
	for (let i = 0; i < 50; i++) {
		const start = performance.now();
		checkUpdate(server, step2, { role: 'editor', locked: false, mayWriteClient: () => true });
		samples.push(performance.now() - start);
	}
	console.log(`gate, ${assetCount.toLocaleString('en')} assets, stale phone's 20 offline edits (one sync step 2): ${summarize(samples)}`);

}

/**
 * The largest update one message may carry (UPDATE_LIMITS: 50,000 structs, about 4,000
 * assets): an importer's batch, or a device that made thousands of assets offline.
 */
function measureImport(assetCount: number): void {
	const update = Y.encodeStateAsUpdate(buildMapDoc(assetCount));
	const gate: number[] = [];
	const apply: number[] = [];
	for (let round = 0; round < 7; round++) {
		const room = buildMapDoc(10);
		let start = performance.now();
		const verdict = checkUpdate(room, update, { role: 'facilitator', locked: false, mayWriteClient: () => true });
		gate.push(performance.now() - start);
		if (verdict.kind !== 'ok') throw new Error(`import: ${JSON.stringify(verdict)}`);
		start = performance.now();
		Y.applyUpdate(room, update);
		apply.push(performance.now() - start);
	}
	console.log(`gate, ${assetCount.toLocaleString('en')} new assets in one update (the largest allowed): gate ${summarize(gate)}; Yjs apply ${summarize(apply)}`);
}

export async function runGateBench(): Promise<void> {
	measure(10);
	measure(10_000);
	measureImport(4_000);
}

if (import.meta.url === `file://${process.argv[1]}`) {
	await runGateBench();
}
