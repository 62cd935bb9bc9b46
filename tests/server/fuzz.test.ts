/**
 * Hostile and broken frames against a live server (in-process, so we can time how long
 * the room spends on each message, with a real SQLite file), while two stock y-websocket
 * clients keep editing and round-tripping their edits through the same room.
 *
 * Reproducible: every frame is built from seededRandom(seed, frame index). The seed is
 * printed; run with FUZZ_SEED=<seed> to replay the same frames.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import * as Y from 'yjs';
import type { DocStore } from '../../server/persistence/doc-store.ts';
import { createSqliteStore } from '../../server/persistence/sqlite.ts';
import { seededRandom, type Random } from '../helpers/connected-docs.ts';
import { v1Bombs, v2Bomb } from '../helpers/hostile-updates.ts';
import { startInProcess, type InProcessServer } from '../helpers/in-process.ts';
import { connectClient, createMap, waitForDoc, waitForOpen, withDeadline, type Client, type CreatedMap } from '../helpers/sync-clients.ts';
import { awarenessFrame, closeOrAnswer, openRaw, readAwareness, syncFrame } from '../helpers/yjs-frames.ts';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const FRAMES = 5000;
const SOCKETS = 6;
/** The bound: no single frame may hold the event loop this long. */
const MAX_FRAME_MS = 200;

// ---------------------------------------------------------------------------------------
// Random frames

const pick = <T>(rng: Random, items: readonly T[]): T => items[Math.floor(rng() * items.length)];
const int = (rng: Random, below: number) => Math.floor(rng() * below);
const bytes = (rng: Random, length: number) => Uint8Array.from({ length }, () => int(rng, 256));

interface Context {
	/** The server's document when fuzzing started; valid updates are built on forks of it. */
	base: Uint8Array;
	assetIds: string[];
	existingClient: number;
	/** Built once: v1Bombs(existingClient) and v2Bomb(). */
	bombs: Uint8Array[];
}

/** A fork of the base state with a reproducible client id, changed in one random way. */
function realUpdate(rng: Random, ctx: Context, tag: string, v2 = false): Uint8Array {
	const fork = new Y.Doc();
	fork.clientID = 1 + int(rng, 2 ** 30);
	Y.applyUpdate(fork, ctx.base);
	const known = Y.encodeStateVector(fork);
	const assets = fork.getMap<Y.Map<unknown>>('assets');
	const id = pick(rng, ctx.assetIds);
	switch (int(rng, 6)) {
		case 0:
			assets.get(id)?.set('name', `fuzz ${tag}`);
			break;
		case 1:
			assets.set(tag, new Y.Map());
			break;
		case 2:
			assets.delete(id);
			break;
		case 3:
			fork.getMap('meta').set('title', `fuzz ${tag}`);
			break;
		case 4:
			assets.get(id)?.set('hidden', rng() < 0.5);
			break;
		default:
			fork.getMap('markers').set(tag, Array.from({ length: int(rng, 5) }, (_, i) => ({ i, s: 'x'.repeat(int(rng, 50)) })));
	}
	// V2 updates always carry their tag, so we can show they never land.
	if (v2) fork.getMap('v2').set(tag, true);
	return v2 ? Y.encodeStateAsUpdateV2(fork, known) : Y.encodeStateAsUpdate(fork, known);
}

function validFrame(rng: Random, ctx: Context, tag: string): Uint8Array {
	const sync = () => pick(rng, ['step2', 'update'] as const);
	switch (int(rng, 12)) {
		case 0:
		case 1: {
			const fork = new Y.Doc();
			Y.applyUpdate(fork, ctx.base);
			return syncFrame('step1', rng() < 0.5 ? Y.encodeStateVector(fork) : Y.encodeStateVector(new Y.Doc()));
		}
		case 2:
		case 3:
		case 4:
			return syncFrame(sync(), realUpdate(rng, ctx, tag));
		case 5:
			return syncFrame(sync(), realUpdate(rng, ctx, `v2-${tag}`, true));
		case 6:
			return syncFrame(sync(), pick(rng, ctx.bombs));
		case 7:
		case 10:
			return syncFrame(sync(), realUpdate(rng, ctx, tag));
		case 8:
		case 11:
			// Someone else's presence (a random id, never this socket's own).
			return awarenessFrame([{ clientId: int(rng, 2 ** 31), clock: int(rng, 10), state: { user: { name: tag, role: 'facilitator' }, n: rng() } }]);
		default:
			return new Uint8Array([3]); // query awareness
	}
}

/** Writes a varuint into a copy of `frame` at `at` (replacing `drop` bytes). */
function spliceVarUint(frame: Uint8Array, at: number, drop: number, value: number): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, value);
	const number = encoding.toUint8Array(encoder);
	return Uint8Array.from([...frame.subarray(0, at), ...number, ...frame.subarray(at + drop)]);
}

const MUTATIONS = ['none', 'flip', 'truncate', 'length', 'huge', 'append', 'random'] as const;

function mutate(rng: Random, frame: Uint8Array): { frame: Uint8Array; how: (typeof MUTATIONS)[number] } {
	const how = pick(rng, MUTATIONS);
	const copy = frame.slice();
	switch (how) {
		case 'none':
			return { frame: copy, how };
		case 'flip':
			for (let n = 1 + int(rng, 4); n > 0; n--) copy[int(rng, copy.length)] ^= 1 << int(rng, 8);
			return { frame: copy, how };
		case 'truncate':
			return { frame: copy.subarray(0, int(rng, copy.length)), how };
		case 'length': {
			// The payload's length prefix sits after the message type (and sync step): make it wrong.
			const at = frame[0] === 0 ? 2 : 1;
			if (at >= frame.length) return { frame: copy, how };
			let drop = 1;
			while (at + drop - 1 < frame.length && frame[at + drop - 1] & 0x80) drop++;
			const wrong = pick(rng, [0, 1, int(rng, 1000), frame.length * 2, 2 ** 31, 2 ** 53 - 1]);
			return { frame: spliceVarUint(frame, at, Math.min(drop, frame.length - at), wrong), how };
		}
		case 'huge':
			return { frame: spliceVarUint(frame, int(rng, frame.length + 1), 0, pick(rng, [2 ** 32, 2 ** 45, 2 ** 53 - 1])), how };
		case 'append':
			return { frame: Uint8Array.from([...frame, ...bytes(rng, 1 + int(rng, 64))]), how };
		case 'random':
			return { frame: bytes(rng, 1 + int(rng, 300)), how };
	}
}

/** Frame `index` of the run: the same bytes for the same seed. */
function frameAt(index: number, ctx: Context): { frame: Uint8Array; how: string } {
	const rng = seededRandom((SEED ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
	return mutate(rng, validFrame(rng, ctx, `f${index}`));
}

// ---------------------------------------------------------------------------------------

/** Runs Yjs's own V2 decoder on `update` in a worker; true if it finishes within `ms`. */
function v2DecodeFinishes(update: Uint8Array, ms: number): Promise<boolean> {
	const worker = new Worker(
		"const Y = require('yjs'); const { workerData, parentPort } = require('node:worker_threads');" +
			'Y.decodeUpdateV2(workerData); parentPort.postMessage("done");',
		{ eval: true, workerData: update, resourceLimits: { maxOldGenerationSizeMb: 256 } }
	);
	return new Promise<boolean>((resolve) => {
		const timer = setTimeout(() => resolve(false), ms);
		worker.once('message', () => resolve(true));
		worker.once('error', () => resolve(false)); // out of memory counts as "did not finish"
		worker.once('exit', () => resolve(false));
		void timer;
	}).finally(() => void worker.terminate());
}

let app: InProcessServer;
let store: DocStore;
let dataDir: string;
/** Per message and per commit: [wall-clock ms, CPU ms]. */
const messageMs: Array<[number, number]> = [];
const commitMs: Array<[number, number]> = [];

beforeAll(async () => {
	dataDir = mkdtempSync(join(tmpdir(), 'atlas-fuzz-'));
	store = createSqliteStore(dataDir);
	app = await startInProcess(
		{},
		{
			store,
			// The budget is not under test here (budget.test.ts): let the fuzzer go fast.
			messageBudget: { rate: 1_000_000, burst: 1_000_000 },
			workBudget: { msPerSecond: 1_000_000, burstMs: 1_000_000, strikes: 1_000_000 },
			// Each probe waits for a presence tick; a short one keeps 5,000 probes quick.
			presenceTickMs: 2,
			onTiming: (what, ms, cpuMs) => (what === 'message' ? messageMs : commitMs).push([ms, cpuMs])
		}
	);
});
afterAll(async () => {
	await app?.close();
	await store?.close();
	rmSync(dataDir, { recursive: true, force: true });
});

/** One fuzzing socket: claims a presence id of its own, so it can probe with it. */
class Prober {
	private clock = 0;
	private constructor(
		readonly ws: WebSocket,
		readonly ownId: number
	) {}

	/**
	 * With answerStep1, the socket first answers the server's sync step 1 with an empty
	 * step 2, as a stock client does; without, updates with missing dependencies are in
	 * the grace before the first step 2 (RULES.md) and dropped without a close.
	 */
	static async open(map: CreatedMap, role: 'facilitator' | 'editor' | 'viewer', ownId: number, answerStep1: boolean): Promise<Prober> {
		const ws = openRaw(app.syncUrl, map.id, { key: map.keys[role], name: 'Fuzzer' });
		await waitForOpen(ws);
		if (answerStep1) ws.send(syncFrame('step2', Y.encodeStateAsUpdate(new Y.Doc())));
		const prober = new Prober(ws, ownId);
		if ((await prober.probe()) !== 'answered') throw new Error('a fresh socket did not answer its first probe');
		return prober;
	}

	/**
	 * Sends our own presence with a new counter and waits for the room to relay it back (it
	 * relays to everyone, sender included), or for the close. The room handles a socket's
	 * messages in order, so either way every frame sent before has been handled.
	 */
	probe(): Promise<'answered' | { code: number }> {
		const n = ++this.clock;
		const { ws, ownId } = this;
		return withDeadline(
			new Promise((resolve) => {
				const onMessage = (data: Buffer) => {
					const states = readAwareness(new Uint8Array(data));
					if ((states?.get(ownId) as { probe?: number } | undefined)?.probe !== n) return;
					ws.off('message', onMessage);
					resolve('answered');
				};
				ws.on('message', onMessage);
				ws.once('close', (code) => resolve({ code }));
				if (ws.readyState === ws.OPEN) ws.send(awarenessFrame([{ clientId: ownId, clock: n, state: { probe: n } }]));
			}),
			'probe'
		);
	}
}

describe('fuzz', () => {
	it(`${FRAMES} random and mutated frames: no frame holds the loop ${MAX_FRAME_MS} ms, stock clients keep syncing`, async () => {
		console.log(`fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
		const map = await createMap(app.url);
		const facilitator = connectClient(app.syncUrl, map.id, map.keys.facilitator);
		const writer = connectClient(app.syncUrl, map.id, map.keys.editor);
		const reader = connectClient(app.syncUrl, map.id, map.keys.viewer);
		const stock: Client[] = [facilitator, writer, reader];
		try {
			await Promise.all(stock.map((c) => c.synced));
			const assetIds = Array.from({ length: 20 }, (_, i) => `seed${i}`);
			facilitator.doc.transact(() => {
				for (const id of assetIds) {
					const entry = new Y.Map<unknown>();
					facilitator.doc.getMap('assets').set(id, entry);
					entry.set('name', id);
				}
			});
			await waitForDoc(writer.doc, (d) => d.getMap('assets').size === assetIds.length, 'seed (writer)');
			// The editor's own asset, which it edits throughout. Made by the editor, not the
			// facilitator: the fuzz frames target the facilitator's items, and facilitator-keyed
			// ones may legitimately delete them.
			writer.doc.getMap('assets').set('calm', new Y.Map());
			await waitForDoc(reader.doc, (d) => d.getMap('assets').size === assetIds.length + 1, 'seed');
			await waitForDoc(facilitator.doc, (d) => d.getMap('assets').has('calm'), 'calm (facilitator)');
			const calmOf = (c: Client) => c.doc.getMap<Y.Map<unknown>>('assets').get('calm')!;
			const existingClient = facilitator.doc.clientID;
			const ctx: Context = {
				base: Y.encodeStateAsUpdate(facilitator.doc),
				assetIds,
				existingClient,
				bombs: [...v1Bombs(existingClient).map((bomb) => bomb.update), v2Bomb()]
			};

			// The #687 payload really does hang Yjs's V2 decoder (in a worker we can kill).
			const bomb = v2Bomb();
			expect(await v2DecodeFinishes(bomb, 1000)).toBe(false);
			expect(await v2DecodeFinishes(v2Bomb(1000), 5000)).toBe(true); // the worker itself works

			const loop = monitorEventLoopDelay({ resolution: 10 });
			loop.enable();
			const started = performance.now();

			// Well-behaved traffic throughout: the editor writes, the viewer must see every edit.
			// Paced by the fuzzer's progress (a round trip per CALM_EVERY frames handled), not by a clock.
			const CALM_EVERY = 25;
			let fuzzing = true;
			let roundTrips = 0;
			let handled = 0;
			const signal: { wake: (() => void) | null } = { wake: null };
			const progressed = () => {
				handled++;
				if (handled % CALM_EVERY === 0) signal.wake?.();
			};
			const calm = (async () => {
				while (fuzzing) {
					await new Promise<void>((resolve) => (signal.wake = resolve));
					const n = roundTrips;
					calmOf(writer).set(`c${n}`, n);
					await waitForDoc(reader.doc, () => calmOf(reader).get(`c${n}`) === n, `calm edit ${n} to round-trip`);
					roundTrips++;
				}
			})();

			// Handcrafted hostile payloads first, each on its own socket, with the expected outcome.
			let nextOwnId = 2 ** 31;
			const explicit: Array<{ name: string; update: Uint8Array; expect: number[] | 'open' }> = [
				{ name: 'the #687 V2 bomb (empty when read as V1)', update: bomb, expect: 'open' },
				// Malformed or pathological (4400), too many structs (4413), or missing dependencies (4409).
				...v1Bombs(ctx.existingClient).map((b) => ({ ...b, expect: [4400, 4409, 4413] as number[] }))
			];
			for (const item of explicit) {
				for (const kind of ['step2', 'update'] as const) {
					const prober = await Prober.open(map, 'facilitator', nextOwnId++, true);
					prober.ws.send(syncFrame(kind, item.update));
					const outcome = await prober.probe();
					if (item.expect === 'open') expect(outcome, item.name).toBe('answered');
					else expect(outcome === 'answered' ? 'answered' : item.expect.includes(outcome.code) ? 'closed' : outcome.code, item.name).toBe('closed');
					prober.ws.terminate();
				}
			}

			// Then the random run, spread over several sockets that reconnect when closed.
			const outcomes = new Map<string, number>();
			const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
			let next = 0;
			const roles = ['facilitator', 'editor', 'viewer'] as const;
			await Promise.all(
				Array.from({ length: SOCKETS }, async (_, worker) => {
					let prober: Prober | null = null;
					while (next < FRAMES) {
						const index = next++;
						prober ??= await Prober.open(map, roles[worker % roles.length], nextOwnId++, worker % 2 === 0);
						const { frame, how } = frameAt(index, ctx);
						prober.ws.send(frame);
						const outcome = await prober.probe();
						count(outcome === 'answered' ? `kept (${how})` : `closed ${outcome.code}`);
						progressed();
						if (outcome !== 'answered') prober = null;
					}
					prober?.ws.terminate();
				})
			);
			fuzzing = false;
			signal.wake?.();
			await calm;
			loop.disable();
			const elapsed = performance.now() - started;

			// The stock clients are still connected and in agreement with the server.
			for (const c of stock) expect(c.provider.wsconnected).toBe(true);
			calmOf(writer).set('final', true);
			await waitForDoc(reader.doc, () => calmOf(reader).get('final') === true, 'final edit');
			await waitForDoc(facilitator.doc, () => calmOf(facilitator).get('final') === true, 'final edit (facilitator)');
			// Every well-behaved edit is there. (Not an exact key count: fuzz frames sent with the
			// facilitator key are allowed writes, and a mutated one may land in this map too.)
			for (let n = 0; n < roundTrips; n++) expect(calmOf(reader).get(`c${n}`)).toBe(n);

			// No V2 update was ever applied: not in memory, not on disk.
			const rows = await store.loadUpdates(map.id);
			const disk = new Y.Doc();
			for (const row of rows) Y.applyUpdate(disk, row.data);
			expect(disk.getMap('v2').size).toBe(0);
			expect(facilitator.doc.getMap('v2').size).toBe(0);
			expect(disk.getMap<Y.Map<unknown>>('assets').get('calm')?.get('final')).toBe(true);

			const max = (list: Array<[number, number]>, at: 0 | 1) => Math.max(...list.map((entry) => entry[at]));
			const p99 = (list: Array<[number, number]>, at: 0 | 1) => list.map((entry) => entry[at]).sort((a, b) => a - b)[Math.floor(list.length * 0.99)];
			const loopMax = loop.max / 1e6;
			console.log(
				[
					`fuzz seed ${SEED}: ${FRAMES} frames + ${explicit.length * 2} crafted in ${Math.round(elapsed)} ms`,
					`room time per message over ${messageMs.length} messages: max of min(wall, CPU) ${Math.max(...messageMs.map(([wall, cpu]) => Math.min(wall, cpu))).toFixed(1)} ms; CPU max ${max(messageMs, 1).toFixed(1)} ms, p99 ${p99(messageMs, 1).toFixed(2)} ms; wall max ${max(messageMs, 0).toFixed(1)} ms, p99 ${p99(messageMs, 0).toFixed(2)} ms`,
					`commit (append + fsync) over ${commitMs.length}: CPU max ${max(commitMs, 1).toFixed(1)} ms; wall max ${max(commitMs, 0).toFixed(1)} ms`,
					`event-loop delay (whole test process): max ${loopMax.toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms`,
					`stock clients: ${roundTrips} edits round-tripped during the run`,
					`outcomes: ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`
				].join('\n')
			);
			// A frame that really costs 200 ms shows in both clocks. Each has its own noise: the
			// wall clock also counts time the OS gave to other processes (a busy shared machine),
			// CPU time also counts V8's GC threads working in parallel. So the bound applies to
			// the smaller of the two, per message.
			const worst = Math.max(...messageMs.map(([wall, cpu]) => Math.min(wall, cpu)));
			expect(worst).toBeLessThan(MAX_FRAME_MS);
			expect(roundTrips).toBeGreaterThanOrEqual(FRAMES / CALM_EVERY - 1);
		} finally {
			for (const c of stock) c.destroy();
		}
	});
});
