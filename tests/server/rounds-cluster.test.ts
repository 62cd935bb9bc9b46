/**
 * Server writes with several instances (REDIS_URL): an anonymous answer posted to an
 * instance where nobody has the map open is loaded there, committed to PostgreSQL with its
 * journal entry and the server's client-id binding, and reaches a client on another
 * instance as committed state; the binding travels with it, so no client on that instance
 * can write under the server's id either; and a round closed on one instance is closed for
 * the next answer posted to another (it reads what was committed before it writes).
 *
 * Skipped with one loud line where PostgreSQL or Redis does not answer (a failure under CI=true).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { closeRound, openRound } from '../../src/lib/doc/round-mutations.ts';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { testPostgres } from '../helpers/postgres.ts';
import { testRedis } from '../helpers/redis.ts';
import { connectClient, createMap, waitForDoc, withDeadline, type Client } from '../helpers/sync-clients.ts';
import { forgeUpdate } from '../helpers/forged-updates.ts';
import { syncFrame } from '../helpers/yjs-frames.ts';

const postgres = await testPostgres();
const redis = postgres ? await testRedis() : null;

let cluster: Cluster | undefined;
const clients: Client[] = [];

beforeAll(async () => {
	if (!postgres || !redis) return;
	cluster = await startCluster(2, { postgres, redisUrl: redis });
});
afterAll(async () => {
	for (const c of clients.splice(0)) c.destroy();
	await cluster?.dispose();
});

describe.skipIf(!postgres || !redis)('anonymous answers across instances', () => {
	it('posted to instance B, seen on instance A; the server’s id is the server’s on A too', async () => {
		const [a, b] = cluster!.instances;
		const map = await createMap(a.url);
		const facilitator = connectClient(a.syncUrl, map.id, map.keys.facilitator, undefined, { params: { device: 'fran-device-token-0001' } });
		clients.push(facilitator);
		await facilitator.synced;
		const round = openRound(facilitator.doc, { title: 'Check-in', prompts: ['What is working?'], anonymous: true }, { id: 'fran', name: 'Fran', affiliation: 'campus-staff' });

		// Instance B has nobody on the map; its room loads for the write and catches up from the store.
		let response: Response | null = null;
		for (let attempt = 0; attempt < 50; attempt++) {
			response = await fetch(`${b.url}/api/maps/${map.id}/rounds/${round}/responses`, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${map.keys.editor}` },
				body: JSON.stringify({ prompt: 0, text: 'Answered through B' })
			});
			// The round may not be committed yet when the first request comes (the facilitator's write is on its way).
			if (response.status !== 404) break;
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
		expect(response!.status).toBe(201);
		const { id } = (await response!.json()) as { id: string };
		await waitForDoc(facilitator.doc, (d) => d.getMap('responses').has(id), 'the answer on A');
		const entry = facilitator.doc.getMap<Y.Map<unknown>>('responses').get(id)!;
		expect(entry.has('createdBy')).toBe(false);
		const serverClient = entry._item!.id.client;
		expect(serverClient).not.toBe(facilitator.doc.clientID);

		// A client on A cannot write under B's server id: the binding came with the update.
		const mallory = connectClient(a.syncUrl, map.id, map.keys.editor, undefined, { params: { device: 'mallory-device-token1' } });
		clients.push(mallory);
		await mallory.synced;
		const closed = new Promise<{ code: number }>((resolve) => mallory.provider.on('closed', resolve));
		const ws = (mallory.provider as unknown as { ws: WebSocket | null }).ws!;
		const gc = forgeUpdate([{ client: serverClient, clock: Y.getState(mallory.doc.store, serverClient), structs: [{ kind: 'gc', length: 1 }] }]);
		ws.send(syncFrame('update', gc));
		expect((await withDeadline(closed, 'mallory refused')).code).toBe(4409);

		// The round closed on A (committed: another client on A has it) is closed for B's next
		// answer at once: B reads what was committed before it writes, not waiting for Redis.
		const watcher = connectClient(a.syncUrl, map.id, map.keys.viewer);
		clients.push(watcher);
		await watcher.synced;
		closeRound(facilitator.doc, round);
		await waitForDoc(watcher.doc, (d) => d.getMap<Y.Map<unknown>>('rounds').get(round)?.get('status') === 'closed', 'closed on A');
		const late = await fetch(`${b.url}/api/maps/${map.id}/rounds/${round}/responses`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${map.keys.editor}` },
			body: JSON.stringify({ prompt: 0, text: 'Too late, through B' })
		});
		expect(late.status).toBe(409);
	});
});

