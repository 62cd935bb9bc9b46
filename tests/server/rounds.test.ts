/**
 * Check-in rounds against the real server process and its SQLite file, with stock
 * y-websocket clients (issue 13):
 * - an anonymous answer, sent by a phone to POST /api/maps/<id>/rounds/<roundId>/responses,
 *   is written by the server under its own client id: read back through stock clients and
 *   the history API it has no contributor, and its struct's client id is the server's
 *   (owned by the server's pseudo-device in the stored bindings), not the phone's;
 * - answers to a closed round are refused: 409 for the POST, 4409 for a named answer
 *   written over the socket;
 * - the POST's refusals (viewer, wrong key, locked map, missing round, named round, bad
 *   bodies) change nothing, and its rate limit answers 429 with Retry-After;
 * - kill -9 right after a 201 loses nothing;
 * - a schema-1 document in the store migrates once when its room loads.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createSqliteStore } from '../../server/persistence/sqlite.ts';
import { addGoal } from '../../src/lib/doc/goal-mutations.ts';
import { LIMITS, type Contributor } from '../../src/lib/doc/model.ts';
import { answerRound, closeRound, openRound } from '../../src/lib/doc/round-mutations.ts';
import { readAllProgress } from '../../src/lib/doc/schema.ts';
import { faultyStore } from '../helpers/faulty-store.ts';
import { startInProcess } from '../helpers/in-process.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, createMap, pollUntil, waitForDoc, withDeadline, type Client, type CreatedMap } from '../helpers/sync-clients.ts';
import { diskDoc } from '../helpers/yjs-frames.ts';

let server: TestServer;
const clients: Client[] = [];

beforeAll(async () => {
	server = await startTestServer();
});
afterAll(async () => {
	for (const c of clients.splice(0)) c.destroy();
	await server?.dispose();
});

const FRAN: Contributor = { id: 'fran-0001', name: 'Fran', affiliation: 'campus-staff' };
const PAT: Contributor = { id: 'pat-0001', name: 'Pat', affiliation: 'student' };

function client(map: CreatedMap, role: keyof CreatedMap['keys'], params: Record<string, string> = {}): Client {
	const c = connectClient(server.syncUrl, map.id, map.keys[role], undefined, { params });
	clients.push(c);
	return c;
}

const responsesOf = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('responses');

interface Workshop {
	map: CreatedMap;
	facilitator: Client;
	phone: Client;
	goal: string;
	anonymous: string;
	named: string;
}

/** A map with a goal, an anonymous round and a named round opened by the facilitator, and a phone (participant link) that sees them. */
async function workshop(): Promise<Workshop> {
	const map = await createMap(server.url);
	const facilitator = client(map, 'facilitator', { device: 'fran-device-token-0001', name: 'Fran', affiliation: 'campus-staff' });
	const phone = client(map, 'editor', { device: 'pat-phone-token-00001', name: 'Pat', affiliation: 'student' });
	await Promise.all([facilitator.synced, phone.synced]);
	const goal = addGoal(facilitator.doc, { title: 'Safe routes to school', description: '', horizon: 'short', status: 'active' }, FRAN);
	const anonymous = openRound(facilitator.doc, { title: 'Check-in', prompts: ['What is working?', 'What should change?'], anonymous: true }, FRAN);
	const named = openRound(facilitator.doc, { title: 'Named check-in', prompts: ['What is working?'], anonymous: false }, FRAN);
	await waitForDoc(phone.doc, (d) => d.getMap('rounds').has(anonymous) && d.getMap('rounds').has(named) && d.getMap('goals').has(goal), 'rounds on the phone');
	return { map, facilitator, phone, goal, anonymous, named };
}

async function post(map: CreatedMap, round: string, key: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
	const response = await fetch(`${server.url}/api/maps/${map.id}/rounds/${round}/responses`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}`, ...headers },
		body: typeof body === 'string' ? body : JSON.stringify(body)
	});
	return { status: response.status, json: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

interface HistoryEntry {
	at: number;
	role: string;
	name: string;
	affiliation: string | null;
	collection: string;
	entry: string;
	kind: string;
	fields: Record<string, unknown>;
}

async function history(map: CreatedMap, key: string, query = ''): Promise<HistoryEntry[]> {
	const response = await fetch(`${server.url}/api/maps/${map.id}/history${query}`, { headers: { Authorization: `Bearer ${key}` } });
	expect(response.status).toBe(200);
	return ((await response.json()) as { entries: HistoryEntry[] }).entries;
}

/** The device the stored bindings give a client id (read beside the running server). */
function storedOwner(mapId: string, client: number): string | null {
	const db = new Database(server.sqliteFile, { readonly: true, fileMustExist: true });
	try {
		const row = db.prepare('SELECT device FROM client_owners WHERE map_id = ? AND client = ?').get(mapId, client) as { device: string } | undefined;
		return row?.device ?? null;
	} finally {
		db.close();
	}
}

describe('anonymous answers', () => {
	it('are written by the server under its own client id: no contributor in the document, no name in the history', async () => {
		const { map, facilitator, phone, goal, anonymous } = await workshop();
		const reply = await post(map, anonymous, map.keys.editor, { prompt: 1, text: 'More shade at the bus stop', goal });
		expect(reply.status).toBe(201);
		const id = reply.json.id as string;
		expect(typeof id).toBe('string');

		// A fresh stock client (the shared screen) and the phone both read it back.
		const screen = client(map, 'viewer');
		await screen.synced;
		// A map made by this version starts at schema 2 (initMap): nothing to migrate.
		expect(screen.doc.getMap('meta').get('schemaVersion')).toBe(2);
		for (const reader of [screen, phone, facilitator]) {
			await waitForDoc(reader.doc, (d) => responsesOf(d).has(id), 'the answer');
			const entry = responsesOf(reader.doc).get(id)!;
			expect(entry.toJSON()).toMatchObject({ id, round: anonymous, prompt: 1, text: 'More shade at the bus stop', goal });
			expect(entry.has('createdBy')).toBe(false);
			// Its struct is the server's: not the phone's client id, nor anyone else's who is connected.
			const author = entry._item!.id.client;
			expect(author).not.toBe(phone.doc.clientID);
			expect(author).not.toBe(facilitator.doc.clientID);
			expect(author).not.toBe(screen.doc.clientID);
		}
		expect(phone.doc.clientID).not.toBe(responsesOf(phone.doc).get(id)!._item!.id.client);
		const author = responsesOf(screen.doc).get(id)!._item!.id.client;
		// Bound to the server's pseudo-device in the stored bindings: no client can write or show under it.
		expect(storedOwner(map.id, author)).toBe('server');
		expect(storedOwner(map.id, phone.doc.clientID)).not.toBe('server');

		// The history: one record, role 'anonymous', no name, no affiliation, no contributor field.
		for (const key of [map.keys.facilitator, map.keys.editor, map.keys.viewer]) {
			const records = await history(map, key, `?entry=${id}`);
			expect(records.map(({ at: _at, ...rest }) => rest)).toEqual([
				{ role: 'anonymous', name: '', affiliation: null, collection: 'responses', entry: id, kind: 'create', fields: expect.objectContaining({ round: anonymous, prompt: 1, text: 'More shade at the bus stop', goal }) }
			]);
			expect(records[0].fields).not.toHaveProperty('createdBy');
		}
		// Nothing anywhere in the map's history names the phone's person (they wrote nothing named).
		const all = await history(map, map.keys.facilitator, '?limit=200');
		expect(all.some((record) => record.name === 'Pat' || JSON.stringify(record.fields).includes('Pat'))).toBe(false);
		// The new collections are journaled for named writes too: the facilitator's rounds and the goal's first progress entry.
		expect(all.filter((record) => record.role === 'facilitator').map((record) => record.collection)).toEqual(expect.arrayContaining(['rounds', 'goals', 'progress']));
	});

	it('a named answer written by the phone is journaled with its name (the contrast)', async () => {
		const { map, phone, named } = await workshop();
		const id = answerRound(phone.doc, named, { prompt: 0, text: 'The walking school bus works' }, PAT);
		const watcher = client(map, 'viewer');
		await watcher.synced;
		await waitForDoc(watcher.doc, (d) => responsesOf(d).has(id), 'named answer');
		expect(responsesOf(watcher.doc).get(id)!._item!.id.client).toBe(phone.doc.clientID);
		await pollUntil(async () => (await history(map, map.keys.viewer, `?entry=${id}`)).length === 1, 'named answer journaled');
		expect((await history(map, map.keys.viewer, `?entry=${id}`))[0]).toMatchObject({ role: 'editor', name: 'Pat', affiliation: 'student', collection: 'responses', kind: 'create' });
	});
});

describe('closed rounds', () => {
	it('refuse answers: 409 for the POST, 4409 for a named answer written over the socket', async () => {
		const { map, facilitator, phone, anonymous, named } = await workshop();
		closeRound(facilitator.doc, anonymous);
		closeRound(facilitator.doc, named);
		const roundsOf = (d: Y.Doc) => d.getMap<Y.Map<unknown>>('rounds');
		await waitForDoc(phone.doc, (d) => roundsOf(d).get(anonymous)?.get('status') === 'closed' && roundsOf(d).get(named)?.get('status') === 'closed', 'rounds closed');

		const reply = await post(map, anonymous, map.keys.editor, { prompt: 0, text: 'Too late' });
		expect(reply.status).toBe(409);
		expect(reply.json).toEqual({ error: 'this round is closed' });

		// A client that writes a named answer into the closed round anyway (the app would not).
		const closed = new Promise<{ code: number; reason: string }>((resolve) => phone.provider.on('closed', resolve));
		phone.doc.transact(() => {
			const entry = new Y.Map<unknown>();
			responsesOf(phone.doc).set('late-answer', entry);
			entry.set('round', named);
			entry.set('prompt', 0);
			entry.set('text', 'Too late');
			entry.set('createdBy', PAT);
		});
		const event = await withDeadline(closed, 'the phone closed');
		expect(event.code).toBe(4409);
		expect(event.reason).toMatch(/this round is closed/);

		const screen = client(map, 'viewer');
		await screen.synced;
		expect(responsesOf(screen.doc).size).toBe(0);
	});
});

describe('POST …/rounds/<roundId>/responses refusals', () => {
	it('viewer 403, wrong key 401, missing round 404, named round 409, locked 423, bad bodies 400/413/415: nothing changes', async () => {
		const { map, facilitator, goal, anonymous, named } = await workshop();
		const ok = { prompt: 0, text: 'An answer' };
		expect((await post(map, anonymous, map.keys.viewer, ok)).status).toBe(403);
		expect((await post(map, anonymous, 'not-a-key', ok)).status).toBe(401);
		expect((await post(map, 'no-such-round', map.keys.editor, ok)).status).toBe(404);
		const namedReply = await post(map, named, map.keys.editor, ok);
		expect(namedReply.status).toBe(409);
		expect(namedReply.json.error).toMatch(/not anonymous/);

		const bad: Array<[unknown, number, RegExp]> = [
			['{not json', 400, /not valid JSON/],
			[[1, 2], 400, /JSON object/],
			[{ prompt: 7, text: 'x' }, 400, /no such prompt/],
			[{ prompt: 'first', text: 'x' }, 400, /prompt/],
			[{ prompt: 0, text: '   ' }, 400, /text is required/],
			[{ prompt: 0, text: 'x'.repeat(LIMITS.answer + 1) }, 400, /longer than/],
			[{ prompt: 0, text: 'x', goal: 'not-a-goal' }, 400, /no such goal/],
			[{ prompt: 0, text: 'x', goal: 42 }, 400, /goal/],
			[{ prompt: 0, text: 'x'.repeat(9 * 1024) }, 413, /larger than/]
		];
		for (const [body, status, message] of bad) {
			const reply = await post(map, anonymous, map.keys.editor, body);
			expect(reply.status, JSON.stringify(body).slice(0, 60)).toBe(status);
			expect(reply.json.error).toMatch(message);
		}
		const plain = await fetch(`${server.url}/api/maps/${map.id}/rounds/${anonymous}/responses`, { method: 'POST', headers: { Authorization: `Bearer ${map.keys.editor}`, 'Content-Type': 'text/plain' }, body: 'hi' });
		expect(plain.status).toBe(415);

		// Locked: editors get 423; the facilitator still may (as over the socket).
		facilitator.doc.getMap('meta').set('locked', true);
		const screen = client(map, 'viewer');
		await screen.synced;
		await waitForDoc(screen.doc, (d) => d.getMap('meta').get('locked') === true, 'locked');
		const locked = await post(map, anonymous, map.keys.editor, ok);
		expect(locked.status).toBe(423);
		expect(locked.json.error).toBe('this map is locked');
		expect(responsesOf(screen.doc).size).toBe(0);
		const byFacilitator = await post(map, anonymous, map.keys.facilitator, { prompt: 0, text: 'From the facilitator’s phone', goal });
		expect(byFacilitator.status).toBe(201);
		await waitForDoc(screen.doc, (d) => responsesOf(d).size === 1, 'the one answer');
		expect((await history(map, map.keys.viewer)).filter((r) => r.collection === 'responses')).toHaveLength(1);
	});

	it('rate limit: 20 answers a minute per address per map, then 429 with Retry-After', async () => {
		const { map, anonymous } = await workshop();
		// Refused requests write nothing and cost nothing: garbage from one phone does not use up
		// the answers of everyone behind the same router.
		for (let i = 0; i < 25; i++) expect((await post(map, anonymous, map.keys.editor, { prompt: 99, text: 'no such prompt' })).status).toBe(400);
		for (let i = 0; i < 20; i++) expect((await post(map, anonymous, map.keys.editor, { prompt: 0, text: `Answer ${i}` })).status).toBe(201);
		const limited = await post(map, anonymous, map.keys.editor, { prompt: 0, text: 'One too many' });
		expect(limited.status).toBe(429);
		expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
		const screen = client(map, 'viewer');
		await screen.synced;
		await waitForDoc(screen.doc, (d) => responsesOf(d).size === 20, 'twenty answers');
		expect([...responsesOf(screen.doc).values()].some((entry) => entry.get('text') === 'One too many')).toBe(false);
	});
});

describe('durability', () => {
	it('kill -9 right after a 201 loses nothing: the answer and its history are on disk', async () => {
		const { map, anonymous } = await workshop();
		const reply = await post(map, anonymous, map.keys.editor, { prompt: 0, text: 'Said just before the power cut' });
		expect(reply.status).toBe(201);
		const id = reply.json.id as string;
		await server.kill('SIGKILL');
		const { doc } = diskDoc(server.sqliteFile, map.id);
		expect(responsesOf(doc).get(id)?.get('text')).toBe('Said just before the power cut');
		await server.restart();
		const reader = connectClient(server.syncUrl, map.id, map.keys.viewer);
		clients.push(reader);
		await reader.synced;
		await waitForDoc(reader.doc, (d) => responsesOf(d).has(id), 'answer after restart');
		expect((await history(map, map.keys.viewer, `?entry=${id}`)).map((r) => [r.role, r.name, r.kind])).toEqual([['anonymous', '', 'create']]);
	});
});

describe('persist before answering', () => {
	it('the 201 (and everyone’s copy) waits for the commit; a failed commit answers 503 and nothing is kept', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'atlas-answer-commit-'));
		const sqlite = createSqliteStore(dir);
		const store = faultyStore(sqlite);
		const app = await startInProcess({}, { store });
		const local: Client[] = [];
		try {
			const map = await createMap(app.url);
			const facilitator = connectClient(app.syncUrl, map.id, map.keys.facilitator);
			const watcher = connectClient(app.syncUrl, map.id, map.keys.viewer);
			local.push(facilitator, watcher);
			await Promise.all([facilitator.synced, watcher.synced]);
			const round = openRound(facilitator.doc, { title: 'Check-in', prompts: ['What is working?'], anonymous: true }, FRAN);
			await waitForDoc(watcher.doc, (d) => d.getMap('rounds').has(round), 'the round');
			const send = () =>
				fetch(`${app.url}/api/maps/${map.id}/rounds/${round}/responses`, {
					method: 'POST',
					headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${map.keys.editor}` },
					body: JSON.stringify({ prompt: 0, text: 'Held at the door' })
				});

			const held = store.holdAppends();
			let answered = false;
			const pending = send().then((response) => {
				answered = true;
				return response;
			});
			await withDeadline(held.reached, 'the append');
			// Applied in the room, not yet stored: nobody has it, and the phone has no answer yet.
			expect(answered).toBe(false);
			expect(responsesOf(watcher.doc).size).toBe(0);
			held.release();
			const response = await pending;
			expect(response.status).toBe(201);
			const { id } = (await response.json()) as { id: string };
			await waitForDoc(watcher.doc, (d) => responsesOf(d).has(id), 'the answer after its commit');

			store.failAppends(true);
			const failed = await send();
			expect(failed.status).toBe(503);
			store.failAppends(false);
			const stored = new Y.Doc();
			for (const row of await sqlite.loadUpdates(map.id)) Y.applyUpdate(stored, row.data);
			expect([...responsesOf(stored).keys()]).toEqual([id]);
		} finally {
			for (const c of local) c.destroy();
			await app.close();
			await sqlite.close();
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe('a map nobody has open', () => {
	it('is loaded for an anonymous answer and unloads again after the grace period', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'atlas-answer-load-'));
		const store = createSqliteStore(dir);
		const app = await startInProcess({}, { store, unloadGraceMs: 0 });
		const local: Client[] = [];
		try {
			const map = await createMap(app.url);
			const facilitator = connectClient(app.syncUrl, map.id, map.keys.facilitator);
			local.push(facilitator);
			await facilitator.synced;
			const round = openRound(facilitator.doc, { title: 'After the walk', prompts: ['What did you notice?'], anonymous: true }, FRAN);
			const watcher = connectClient(app.syncUrl, map.id, map.keys.viewer);
			local.push(watcher);
			await waitForDoc(watcher.doc, (d) => d.getMap('rounds').has(round), 'the round stored');
			for (const c of local.splice(0)) c.destroy();
			await pollUntil(() => !app.atlas.rooms.has(map.id), 'the room to unload');

			const response = await fetch(`${app.url}/api/maps/${map.id}/rounds/${round}/responses`, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${map.keys.editor}` },
				body: JSON.stringify({ prompt: 0, text: 'The old oak by the school' })
			});
			expect(response.status).toBe(201);
			const { id } = (await response.json()) as { id: string };
			// Stored before the 201 (read from the store, not the room).
			const stored = new Y.Doc();
			for (const row of await store.loadUpdates(map.id)) Y.applyUpdate(stored, row.data);
			expect(responsesOf(stored).get(id)?.get('text')).toBe('The old oak by the school');
			await pollUntil(() => !app.atlas.rooms.has(map.id), 'the room to unload again');
		} finally {
			for (const c of local) c.destroy();
			await app.close();
			await store.close();
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe('migration on load', () => {
	it('a schema-1 document in the store migrates once: a stock client sees schemaVersion 2 and each goal’s first progress entry', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'atlas-migration-'));
		const store = createSqliteStore(dir);
		const app = await startInProcess({}, { store, unloadGraceMs: 0 });
		const local: Client[] = [];
		try {
			const map = await createMap(app.url);
			// The document as the earlier version made it, by hand: meta at schema 1, goals without progress.
			const old = new Y.Doc();
			old.transact(() => {
				const meta = old.getMap('meta');
				meta.set('title', 'Eastside strengths');
				meta.set('schemaVersion', 1);
				meta.set('locked', false);
				meta.set('createdAt', 1_600_000_000_000);
				for (const [id, title, status] of [
					['goalOne', 'Youth programs', 'active'],
					['goalTwo', 'A community kitchen', 'proposed']
				]) {
					const goal = new Y.Map<unknown>();
					old.getMap('goals').set(id, goal);
					for (const [key, value] of Object.entries({ id, title, description: '', horizon: 'short', status, createdAt: 1_600_000_000_000, updatedAt: 1_600_000_100_000, updatedBy: { id: 'old-1', name: 'Old', affiliation: 'faculty' } })) goal.set(key, value);
				}
			});
			const rows = await store.loadUpdates(map.id);
			await store.compact(map.id, rows.at(-1)!.seq, Y.encodeStateAsUpdate(old));
			expect(app.atlas.rooms.has(map.id)).toBe(false);

			const reader = connectClient(app.syncUrl, map.id, map.keys.viewer);
			local.push(reader);
			await reader.synced;
			await waitForDoc(reader.doc, (d) => d.getMap('meta').get('schemaVersion') === 2 && d.getMap('progress').size === 2, 'the migration');
			const timeline = readAllProgress(reader.doc);
			expect(timeline.map(({ id, goal, from, to }) => ({ id, goal, from, to }))).toEqual(
				expect.arrayContaining([
					{ id: 'goalOne', goal: 'goalOne', from: null, to: 'active' },
					{ id: 'goalTwo', goal: 'goalTwo', from: null, to: 'proposed' }
				])
			);
			// Written by the server, stored with its journal entries (role 'server', no name).
			const migrationClient = reader.doc.getMap<Y.Map<unknown>>('progress').get('goalOne')!._item!.id.client;
			expect(migrationClient).not.toBe(reader.doc.clientID);
			expect((await store.loadOwners(map.id)).find((owner) => owner.client === migrationClient)?.device).toBe('server');
			const journal = async () => (await store.readJournal(map.id, { limit: 100 })).filter((record) => record.role === 'server');
			const first = await journal();
			expect(first.map(({ name, affiliation, collection, entry, kind }) => ({ name, affiliation, collection, entry, kind }))).toEqual(
				expect.arrayContaining([
					{ name: '', affiliation: null, collection: 'progress', entry: 'goalOne', kind: 'create' },
					{ name: '', affiliation: null, collection: 'progress', entry: 'goalTwo', kind: 'create' },
					{ name: '', affiliation: null, collection: 'meta', entry: 'meta', kind: 'update' }
				])
			);
			expect(first).toHaveLength(3);

			// The room unloads (nobody left); a second load finds schema 2 and writes nothing.
			reader.destroy();
			await pollUntil(() => !app.atlas.rooms.has(map.id), 'the room to unload');
			const again = connectClient(app.syncUrl, map.id, map.keys.facilitator);
			const watcher = connectClient(app.syncUrl, map.id, map.keys.viewer);
			local.push(again, watcher);
			await Promise.all([again.synced, watcher.synced]);
			// A write after the load, seen by another client: it was handled after the room had
			// loaded and looked at the version (a migration would have been queued before it).
			again.doc.getMap('meta').set('title', 'Eastside strengths, again');
			await waitForDoc(watcher.doc, (d) => d.getMap('meta').get('title') === 'Eastside strengths, again', 'a write after the second load');
			expect(watcher.doc.getMap('meta').get('schemaVersion')).toBe(2);
			expect(watcher.doc.getMap('progress').size).toBe(2);
			expect(await journal()).toHaveLength(3);
			// One server client id ever (a second migration would write under a new one).
			expect((await store.loadOwners(map.id)).filter((owner) => owner.device === 'server')).toHaveLength(1);
		} finally {
			for (const c of local) c.destroy();
			await app.close();
			await store.close();
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
