/**
 * Voices and anonymous answers (issue 13).
 *
 * 1. The voices of a map whose journal holds 50,000 create records (the most the dashboard
 *    reads), in a real SQLite store: the first (cold) count, the answer a second later when
 *    nothing changed, and after a busy minute added 64 records; and the longest the event
 *    loop waited meanwhile (the cold read gives it back between pages).
 * 2. Anonymous answers against the real server: 20 phones' answers (the per-address limit a
 *    minute), from the POST until its 201, and until a stock client on the shared screen has it.
 *
 *   node --import tsx bench/voices.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { createSqliteStore } from '../server/persistence/sqlite.ts';
import { VoicesCache, FRESH_MS, MAX_VOICE_ENTRIES } from '../server/voices.ts';
import type { JournalRecord } from '../server/room/journal.ts';
import { AFFILIATIONS, CATEGORIES } from '../src/lib/doc/model.ts';
import { openRound } from '../src/lib/doc/round-mutations.ts';
import { startTestServer } from '../tests/helpers/test-server.ts';
import { connectClient, createMap, waitForDoc } from '../tests/helpers/sync-clients.ts';
import { summarize } from './stats.ts';

const COLLECTIONS = ['assets', 'assets', 'assets', 'goals', 'links', 'responses'] as const;

function record(i: number, at: number): JournalRecord {
	const collection = COLLECTIONS[i % COLLECTIONS.length];
	return {
		at,
		role: 'editor',
		name: `Person ${i % 40}`,
		affiliation: AFFILIATIONS[i % AFFILIATIONS.length],
		collection,
		entry: `entry${String(i).padStart(10, '0')}`,
		kind: 'create',
		fields: collection === 'assets' ? { category: CATEGORIES[i % CATEGORIES.length], name: `Asset ${i}` } : {}
	};
}

/** Appends `count` create records, 200 to an update row, spread over 30 days. */
async function fill(store: ReturnType<typeof createSqliteStore>, mapId: string, from: number, count: number, start: number): Promise<void> {
	const doc = new Y.Doc();
	for (let i = from; i < from + count; i += 200) {
		const journal: JournalRecord[] = [];
		for (let j = i; j < Math.min(from + count, i + 200); j++) journal.push(record(j, start + j * 50_000));
		doc.getMap('meta').set('n', i);
		await store.appendUpdate(mapId, Y.encodeStateAsUpdate(doc), { journal });
	}
}

/** Runs `work` while sampling how late a 1 ms timer fires: the event loop's longest wait. */
async function withLoopLag<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; lagMs: number }> {
	let lag = 0;
	let expected = performance.now() + 1;
	const timer = setInterval(() => {
		const now = performance.now();
		lag = Math.max(lag, now - expected);
		expected = now + 1;
	}, 1);
	const start = performance.now();
	const result = await work();
	const ms = performance.now() - start;
	clearInterval(timer);
	return { result, ms, lagMs: lag };
}

async function voicesBench(): Promise<void> {
	const dir = mkdtempSync(join(tmpdir(), 'atlas-bench-voices-'));
	const store = createSqliteStore(dir);
	try {
		const mapId = 'voicesmap0';
		const start = Date.UTC(2026, 9, 1);
		await fill(store, mapId, 0, MAX_VOICE_ENTRIES, start);
		let clock = Date.now();
		const cache = new VoicesCache(store, () => clock);
		const none = async () => [];

		const cold = await withLoopLag(() => cache.voices(mapId, none));
		clock += FRESH_MS / 2;
		const fresh = await withLoopLag(() => cache.voices(mapId, none));
		clock += FRESH_MS;
		const unchanged = await withLoopLag(() => cache.voices(mapId, none));
		await fill(store, mapId, MAX_VOICE_ENTRIES, 64, start);
		clock += FRESH_MS;
		const grown = await withLoopLag(() => cache.voices(mapId, none));

		console.log(
			`voices: ${cold.result.total} contributions over ${cold.result.days.length} days (SQLite journal): ` +
				`cold ${cold.ms.toFixed(0)} ms (event loop waited at most ${cold.lagMs.toFixed(0)} ms), ` +
				`within a second ${fresh.ms.toFixed(2)} ms, unchanged later ${unchanged.ms.toFixed(2)} ms, ` +
				`64 new records ${grown.ms.toFixed(1)} ms (→ ${grown.result.total}, truncated ${grown.result.truncated})`
		);
	} finally {
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	}
}

async function anonymousAnswerBench(answers = 20): Promise<void> {
	const server = await startTestServer();
	try {
		const map = await createMap(server.url);
		const facilitator = connectClient(server.syncUrl, map.id, map.keys.facilitator, undefined, { params: { name: 'Fran', affiliation: 'campus-staff' } });
		const screen = connectClient(server.syncUrl, map.id, map.keys.viewer);
		await Promise.all([facilitator.synced, screen.synced]);
		const round = openRound(facilitator.doc, { title: 'Check-in', prompts: ['What is working?'], anonymous: true }, { id: 'franXXXXXXXXXXXX', name: 'Fran', affiliation: 'campus-staff' });
		await waitForDoc(screen.doc, (d) => d.getMap('rounds').has(round), 'the round on the screen');
		const created: number[] = [];
		const seen: number[] = [];
		for (let i = 0; i < answers; i++) {
			const begin = performance.now();
			const response = await fetch(`${server.url}/api/maps/${map.id}/rounds/${round}/responses`, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${map.keys.editor}` },
				body: JSON.stringify({ prompt: 0, text: `The library's evening hours, answer ${i}` })
			});
			if (response.status !== 201) throw new Error(`answer ${i}: ${response.status} ${await response.text()}`);
			const { id } = (await response.json()) as { id: string };
			created.push(performance.now() - begin);
			await waitForDoc(screen.doc, (d) => d.getMap('responses').has(id), `answer ${i} on the screen`);
			seen.push(performance.now() - begin);
		}
		console.log(`anonymous answers: POST → 201 ${summarize(created)}`);
		console.log(`anonymous answers: POST → on the shared screen's stock client ${summarize(seen)}`);
		facilitator.destroy();
		screen.destroy();
	} finally {
		await server.dispose();
	}
}

export async function runVoicesBench(): Promise<void> {
	await voicesBench();
	await anonymousAnswerBench();
}

if (import.meta.url === `file://${process.argv[1]}`) {
	await runVoicesBench();
	process.exit(0);
}
