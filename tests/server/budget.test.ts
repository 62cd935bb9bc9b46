/**
 * The per-connection message budget (server/limits.ts, sync-server.ts): a socket that
 * floods is throttled, then closed with 4429, while others in the same room carry on.
 * In-process, because the budget is an option (a small one keeps the test short), with
 * a real SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createSqliteStore } from '../../server/persistence/sqlite.ts';
import type { DocStore } from '../../server/persistence/doc-store.ts';
import { startInProcess, type InProcessServer } from '../helpers/in-process.ts';
import { connectClient, createMap, requestFullState, waitForClose, waitForDoc, waitForOpen, type Client } from '../helpers/sync-clients.ts';
import { openRaw, syncFrame } from '../helpers/yjs-frames.ts';

let app: InProcessServer;
let store: DocStore;
let dataDir: string;
const clients: Client[] = [];

beforeAll(async () => {
	dataDir = mkdtempSync(join(tmpdir(), 'atlas-budget-'));
	store = createSqliteStore(dataDir);
	// 20 messages/s with a burst of 20, closed after 300 ms over budget.
	app = await startInProcess({}, { store, messageBudget: { rate: 20, burst: 20, graceMs: 300 } });
});
afterAll(async () => {
	for (const c of clients.splice(0)) c.destroy();
	await app?.close();
	await store?.close();
	rmSync(dataDir, { recursive: true, force: true });
});

describe('message budget', () => {
	it('closes a flooding socket with 4429; another client in the room is unaffected', async () => {
		const map = await createMap(app.url);
		const calm = connectClient(app.syncUrl, map.id, map.keys.editor);
		const watcher = connectClient(app.syncUrl, map.id, map.keys.viewer);
		clients.push(calm, watcher);
		await Promise.all([calm.synced, watcher.synced]);
		let calmClosed = false;
		calm.provider.on('connection-close', () => (calmClosed = true));

		const flooder = openRaw(app.syncUrl, map.id, { key: map.keys.editor });
		await waitForOpen(flooder);
		const doc = new Y.Doc();
		Y.applyUpdate(doc, await requestFullState(flooder));
		const updates: Uint8Array[] = [];
		doc.on('update', (update: Uint8Array) => updates.push(update));
		const FLOOD = 600;
		for (let i = 0; i < FLOOD; i++) doc.getMap('assets').set(`flood${i}`, i);
		const closed = waitForClose(flooder);
		for (const update of updates) flooder.send(syncFrame('update', update));

		// The calm client keeps editing through the flood, one round trip at a time.
		let rounds = 0;
		let outcome: { code: number; reason: string } | null = null;
		let failure: unknown = null;
		closed.then(
			(result) => (outcome = result),
			(error: unknown) => (failure = error)
		);
		while (outcome === null || rounds < 5) {
			if (failure) throw failure;
			calm.doc.getMap('assets').set(`calm${rounds}`, rounds);
			await waitForDoc(watcher.doc, (d) => d.getMap('assets').get(`calm${rounds}`) === rounds, `calm edit ${rounds}`);
			rounds++;
		}
		expect(outcome).toEqual({ code: 4429, reason: 'too many messages' });
		expect(calmClosed).toBe(false);
		expect(calm.provider.wsconnected).toBe(true);

		// What was let through before the close is a prefix of the flood, applied in order.
		const server = new Y.Doc();
		const check = openRaw(app.syncUrl, map.id, { key: map.keys.viewer });
		await waitForOpen(check);
		Y.applyUpdate(server, await requestFullState(check));
		check.close();
		const accepted = [...server.getMap('assets').keys()].filter((key) => key.startsWith('flood')).length;
		expect(accepted).toBeGreaterThanOrEqual(20);
		expect(accepted).toBeLessThan(FLOOD);
		for (let i = 0; i < accepted; i++) expect(server.getMap('assets').get(`flood${i}`)).toBe(i);
		expect(app.logs.join('\n')).toContain('stayed over its message budget');
	});
});
