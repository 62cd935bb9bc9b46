/**
 * Trust, against the real server process and its SQLite file: every way found to write
 * over someone else's work is refused and leaves the map intact on disk; the server's
 * history names who did what (and survives kill -9); a leaked facilitator link can be
 * replaced without touching the participant links.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createSqliteStore } from '../../server/persistence/sqlite.ts';
import { forgeUpdate } from '../helpers/forged-updates.ts';
import { startInProcess } from '../helpers/in-process.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import {
	connectClient,
	createMap,
	pollUntil,
	requestFullState,
	waitForClose,
	waitForDoc,
	waitForOpen,
	withDeadline,
	type Client,
	type CreatedMap
} from '../helpers/sync-clients.ts';
import { diskDoc, openRaw, syncFrame } from '../helpers/yjs-frames.ts';

let server: TestServer;
const clients: Client[] = [];

function client(map: CreatedMap, role: keyof CreatedMap['keys'], params: Record<string, string> = {}, doc?: Y.Doc): Client {
	const c = connectClient(server.syncUrl, map.id, map.keys[role], doc, { params });
	clients.push(c);
	return c;
}

beforeAll(async () => {
	server = await startTestServer();
});
afterAll(async () => {
	for (const c of clients.splice(0)) c.destroy();
	await server?.dispose();
});

const assetsOf = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('assets');

/** A map with one asset "a0" made by the facilitator, and a viewer watching. */
async function mapWithAsset(): Promise<{ map: CreatedMap; facilitator: Client; watcher: Client }> {
	const map = await createMap(server.url);
	const facilitator = client(map, 'facilitator', { device: 'facilitator-device-0001', name: 'Fran', affiliation: 'campus-staff' });
	const watcher = client(map, 'viewer');
	await Promise.all([facilitator.synced, watcher.synced]);
	facilitator.doc.transact(() => {
		const asset = new Y.Map<unknown>();
		assetsOf(facilitator.doc).set('a0', asset);
		asset.set('name', 'Community garden');
		asset.set('category', 'places');
	});
	await waitForDoc(watcher.doc, (d) => assetsOf(d).get('a0')?.get('name') === 'Community garden', 'asset a0');
	return { map, facilitator, watcher };
}

/** A raw participant socket that answered its sync step 1, as a stock client would. */
async function participantSocket(map: CreatedMap, params: Record<string, string> = {}) {
	const ws = openRaw(server.syncUrl, map.id, { key: map.keys.editor, ...params });
	await waitForOpen(ws);
	ws.send(syncFrame('step2', Y.encodeStateAsUpdate(new Y.Doc())));
	return ws;
}

/** The facilitator writes a marker after the attacker's frame: once the watcher has it, the frame was handled. */
async function barrier(facilitator: Client, watcher: Client, name: string): Promise<void> {
	facilitator.doc.getMap('markers').set(name, true);
	await waitForDoc(watcher.doc, (d) => d.getMap('markers').get(name) === true, `marker ${name}`);
}

describe('writing over someone else’s work', () => {
	it('an editor cannot erase an asset with a set from a fresh document (larger client id)', async () => {
		const { map, facilitator, watcher } = await mapWithAsset();
		const rows = diskDoc(server.sqliteFile, map.id).rows;
		const ws = await participantSocket(map);
		const fresh = new Y.Doc();
		fresh.clientID = 2 ** 32 - 1;
		assetsOf(fresh).set('a0', new Y.Map());
		ws.send(syncFrame('update', Y.encodeStateAsUpdate(fresh)));
		expect(await waitForClose(ws)).toEqual({ code: 4409, reason: 'write refused: replacing a whole entry is facilitator-only' });
		await barrier(facilitator, watcher, 'fresh');
		const disk = diskDoc(server.sqliteFile, map.id);
		expect(disk.rows).toBe(rows + 1);
		expect(assetsOf(disk.doc).get('a0')?.toJSON()).toEqual({ name: 'Community garden', category: 'places' });
		expect(assetsOf(watcher.doc).get('a0')?.get('name')).toBe('Community garden');
	});

	it('a GC range over another device’s next clocks is refused; that device’s offline rename and new asset still land', async () => {
		const { map, facilitator, watcher } = await mapWithAsset();
		const phone = client(map, 'editor', { device: 'phone-device-token-01', name: 'Dee', affiliation: 'community-member' });
		await phone.synced;
		assetsOf(phone.doc).get('a0')!.set('description', 'Open on Saturdays');
		await waitForDoc(watcher.doc, (d) => assetsOf(d).get('a0')?.get('description') === 'Open on Saturdays', 'phone edit');

		// The phone drops off the network and keeps working.
		phone.provider.disconnect();
		assetsOf(phone.doc).get('a0')!.set('name', 'Community garden (north)');
		const added = new Y.Map<unknown>();
		assetsOf(phone.doc).set('a1', added);
		added.set('name', 'Tool library');

		// Meanwhile someone with the participant link covers the phone's next clocks.
		const ws = await participantSocket(map, { device: 'attacker-device-0001' });
		const serverState = Y.decodeStateVector(Y.encodeStateVector(watcher.doc)).get(phone.doc.clientID)!;
		ws.send(syncFrame('update', forgeUpdate([{ client: phone.doc.clientID, clock: serverState, structs: [{ kind: 'gc', length: 40 }] }])));
		expect(await waitForClose(ws)).toEqual({ code: 4409, reason: expect.stringMatching(/belongs to another device/) });

		phone.provider.connect();
		await waitForDoc(watcher.doc, (d) => assetsOf(d).get('a0')?.get('name') === 'Community garden (north)' && assetsOf(d).get('a1')?.get('name') === 'Tool library', 'the phone’s offline edits');
		await barrier(facilitator, watcher, 'gc');
		const disk = diskDoc(server.sqliteFile, map.id).doc;
		expect(assetsOf(disk).get('a0')?.get('name')).toBe('Community garden (north)');
		expect(assetsOf(disk).get('a1')?.get('name')).toBe('Tool library');
		// And the phone kept them too (the server's reply did not take them away).
		expect(assetsOf(phone.doc).get('a1')?.get('name')).toBe('Tool library');
	});

	it('an update Yjs would park as pending is refused every time; the stored map does not grow and the facilitator still writes', async () => {
		const { map, facilitator, watcher } = await mapWithAsset();
		const rows = diskDoc(server.sqliteFile, map.id).rows;
		for (let i = 0; i < 5; i++) {
			const ws = await participantSocket(map);
			const client = 900_000 + i;
			ws.send(
				syncFrame(
					'update',
					forgeUpdate([
						{ client, clock: 0, structs: [{ kind: 'item', parent: { root: 'assets' }, parentSub: `p${i}`, content: { any: ['x'.repeat(1000)] } }] },
						{ client, clock: 10, structs: [{ kind: 'item', parent: { root: 'assets' }, parentSub: `q${i}`, content: { any: ['y'.repeat(1000)] } }] }
					])
				)
			);
			expect((await waitForClose(ws)).code).toBe(4400);
		}
		facilitator.doc.getMap('meta').set('title', 'Still writable');
		await waitForDoc(watcher.doc, (d) => d.getMap('meta').get('title') === 'Still writable', 'facilitator write');
		const disk = diskDoc(server.sqliteFile, map.id);
		expect(disk.rows).toBe(rows + 1);
		expect(disk.doc.store.pendingStructs).toBeNull();
		expect([...assetsOf(disk.doc).keys()]).toEqual(['a0']);
	});

	it('a subdocument inside an entry is refused', async () => {
		const { map, facilitator, watcher } = await mapWithAsset();
		const ws = await participantSocket(map);
		const doc = new Y.Doc();
		Y.applyUpdate(doc, await requestFullState(ws));
		const known = Y.encodeStateVector(doc);
		assetsOf(doc).get('a0')!.set('attachment', new Y.Doc());
		ws.send(syncFrame('update', Y.encodeStateAsUpdate(doc, known)));
		expect((await waitForClose(ws)).code).toBe(4400);
		await barrier(facilitator, watcher, 'subdoc');
		expect(assetsOf(diskDoc(server.sqliteFile, map.id).doc).get('a0')?.has('attachment')).toBe(false);
	});
});

interface HistoryEntry {
	at: number;
	role: string;
	name: string;
	affiliation: string | null;
	entry: string;
	kind: string;
	fields: Record<string, unknown>;
}

async function history(map: CreatedMap, key: string, query = ''): Promise<{ status: number; body: { entries: HistoryEntry[]; next: string | null } }> {
	const response = await fetch(`${server.url}/api/maps/${map.id}/history${query}`, { headers: { Authorization: `Bearer ${key}` } });
	return { status: response.status, body: (await response.json()) as { entries: HistoryEntry[]; next: string | null } };
}

describe('the history the server keeps', () => {
	it('names who created, changed, deleted and restored an asset, for every role, and survives kill -9', async () => {
		const { map, facilitator, watcher } = await mapWithAsset();
		const editor = client(map, 'editor', { device: 'ana-device-token-0001', name: 'Ana', affiliation: 'community-organization' });
		await editor.synced;
		const a0 = assetsOf(editor.doc).get('a0')!;
		a0.set('name', 'Garden & orchard');
		a0.set('updatedAt', 1);
		await waitForDoc(watcher.doc, (d) => assetsOf(d).get('a0')?.get('name') === 'Garden & orchard', 'rename');
		a0.set('deletedAt', 1_700_000_000_000);
		await waitForDoc(watcher.doc, (d) => assetsOf(d).get('a0')?.has('deletedAt') === true, 'soft delete');
		assetsOf(facilitator.doc).get('a0')!.delete('deletedAt');
		await waitForDoc(watcher.doc, (d) => assetsOf(d).get('a0')?.has('deletedAt') === false, 'restore');
		// A viewer's attempt is refused and leaves no trace in the history.
		const viewer = client(map, 'viewer', { name: 'Vic' });
		await viewer.synced;
		const closed = new Promise<{ code: number }>((resolve) => viewer.provider.on('closed', resolve));
		assetsOf(viewer.doc).get('a0')!.set('name', 'Viewer rename');
		expect((await withDeadline(closed, 'viewer refused')).code).toBe(4409);

		const expected = [
			{ role: 'facilitator', name: 'Fran', affiliation: 'campus-staff', entry: 'a0', kind: 'restore', fields: { deletedAt: null } },
			{ role: 'editor', name: 'Ana', affiliation: 'community-organization', entry: 'a0', kind: 'delete', fields: { deletedAt: 1_700_000_000_000 } },
			{ role: 'editor', name: 'Ana', affiliation: 'community-organization', entry: 'a0', kind: 'update', fields: { name: 'Garden & orchard' } },
			{ role: 'facilitator', name: 'Fran', affiliation: 'campus-staff', entry: 'a0', kind: 'create', fields: { name: 'Community garden', category: 'places' } }
		];
		for (const role of ['facilitator', 'editor', 'viewer'] as const) {
			const { status, body } = await history(map, map.keys[role], '?entry=a0');
			expect(status, role).toBe(200);
			expect(body.entries.map(({ at: _at, ...rest }) => rest), role).toMatchObject(expected);
			expect(body.next).toBeNull();
		}
		expect((await history(map, 'not-a-key')).status).toBe(401);
		expect((await history(map, map.keys.viewer, '?kind=explode')).status).toBe(400);

		// Nothing of it is lost to kill -9 (written in the update's own transaction).
		await server.restart();
		const after = await history(map, map.keys.viewer, '?entry=a0');
		expect(after.body.entries.map(({ at: _at, ...rest }) => rest)).toMatchObject(expected);
	});

	it('compaction of the update log keeps every journal entry', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'atlas-journal-'));
		const store = createSqliteStore(dir);
		const app = await startInProcess({}, { store, compactThreshold: 3, unloadGraceMs: 0 });
		try {
			const map = await createMap(app.url);
			const writer = connectClient(app.syncUrl, map.id, map.keys.editor, undefined, { params: { name: 'Writer', device: 'writer-device-token-01' } });
			const reader = connectClient(app.syncUrl, map.id, map.keys.viewer);
			clients.push(writer, reader);
			await Promise.all([writer.synced, reader.synced]);
			const asset = new Y.Map<unknown>();
			assetsOf(writer.doc).set('a0', asset);
			for (let i = 0; i < 12; i++) {
				asset.set('name', `Name ${i}`);
				await waitForDoc(reader.doc, (d) => assetsOf(d).get('a0')?.get('name') === `Name ${i}`, `rename ${i}`);
			}
			// Compaction runs beside the room; it catches up once the edits stop.
			await pollUntil(async () => (await store.countUpdates(map.id)) <= 4, 'compaction to catch up');
			const entries = await store.readJournal(map.id, { entry: 'a0', limit: 100 });
			expect(entries.map((e) => e.fields.name)).toEqual([...Array.from({ length: 12 }, (_, i) => `Name ${11 - i}`), undefined]);
			expect(entries.at(-1)?.kind).toBe('create');
			expect(entries.every((e) => e.name === 'Writer' && e.role === 'editor')).toBe(true);
		} finally {
			await app.close();
			await store.close();
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('pages newest first with a stable cursor, even while new entries arrive', async () => {
		const { map, facilitator, watcher } = await mapWithAsset();
		for (let i = 1; i <= 5; i++) {
			assetsOf(facilitator.doc).get('a0')!.set('name', `Name ${i}`);
			await waitForDoc(watcher.doc, (d) => assetsOf(d).get('a0')?.get('name') === `Name ${i}`, `rename ${i}`);
		}
		const first = await history(map, map.keys.editor, '?limit=2');
		expect(first.body.entries.map((e) => e.fields.name)).toEqual(['Name 5', 'Name 4']);
		assetsOf(facilitator.doc).get('a0')!.set('name', 'Name 6');
		await waitForDoc(watcher.doc, (d) => assetsOf(d).get('a0')?.get('name') === 'Name 6', 'rename 6');
		const second = await history(map, map.keys.editor, `?limit=2&before=${first.body.next}`);
		expect(second.body.entries.map((e) => e.fields.name)).toEqual(['Name 3', 'Name 2']);
		const third = await history(map, map.keys.editor, `?limit=2&before=${second.body.next}`);
		expect(third.body.entries.map((e) => e.kind)).toEqual(['update', 'create']);
		expect(third.body.next).toBeNull();
	});

	it('a page of large records stops early (at about 256 KiB) and the cursor goes on from there', async () => {
		const { map, facilitator, watcher } = await mapWithAsset();
		// Lists are kept whole in the journal up to 64 KiB (long strings are cut at 4,000 characters).
		for (let i = 1; i <= 12; i++) {
			assetsOf(facilitator.doc).get('a0')!.set('notes', [String(i), ...Array.from({ length: 4 }, () => 'x'.repeat(15_000))]);
			await waitForDoc(watcher.doc, (d) => (assetsOf(d).get('a0')?.get('notes') as string[] | undefined)?.[0] === String(i), `notes ${i}`);
		}
		const pages: number[] = [];
		const notes: string[] = [];
		let cursor = '';
		for (let guard = 0; guard < 20; guard++) {
			const page = await history(map, map.keys.editor, `?limit=200${cursor}`);
			pages.push(page.body.entries.length);
			for (const entry of page.body.entries) if (Array.isArray(entry.fields.notes)) notes.push(String(entry.fields.notes[0]));
			expect(JSON.stringify(page.body).length).toBeLessThan(256 * 1024 + 64 * 1024);
			if (page.body.next === null) break;
			cursor = `&before=${page.body.next}`;
		}
		// Every record, newest first, none twice, over several pages.
		expect(notes).toEqual(Array.from({ length: 12 }, (_, i) => String(12 - i)));
		expect(pages.length).toBeGreaterThanOrEqual(3);
		expect(pages.reduce((a, b) => a + b)).toBe(13);
	});
});

describe('replacing the facilitator link', () => {
	it('closes the old facilitator link at once; participant links, the join address and the new link keep working', async () => {
		const { map, facilitator } = await mapWithAsset();
		const links = async (key: string) => fetch(`${server.url}/api/maps/${map.id}/links`, { headers: { Authorization: `Bearer ${key}` } });
		const before = (await (await links(map.keys.facilitator)).json()) as { links: Record<string, string>; join: { url: string } };
		const participant = client(map, 'editor');
		await participant.synced;
		const facilitatorClosed = new Promise<{ code: number }>((resolve) => facilitator.provider.on('closed', resolve));

		const replace = async (key: string) =>
			fetch(`${server.url}/api/maps/${map.id}/rotate`, {
				method: 'POST',
				headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', Origin: server.url },
				body: JSON.stringify({ role: 'facilitator' })
			});
		const response = await replace(map.keys.facilitator);
		expect(response.status).toBe(200);
		const after = (await response.json()) as { links: Record<string, string>; join: { url: string } };
		const newKey = new URL(after.links.facilitator).hash.replace('#key=', '');
		expect(newKey).not.toBe(map.keys.facilitator);
		expect(newKey.length).toBeGreaterThanOrEqual(22);
		expect(after.links.editor).toBe(before.links.editor);
		expect(after.links.viewer).toBe(before.links.viewer);
		expect(after.join.url).toBe(before.join.url);

		expect((await withDeadline(facilitatorClosed, 'old facilitator socket closed')).code).toBe(4401);
		expect((await links(map.keys.facilitator)).status).toBe(401);
		const old = openRaw(server.syncUrl, map.id, { key: map.keys.facilitator });
		expect((await waitForClose(old)).code).toBe(4401);
		// The participant was not touched.
		expect(participant.provider.wsconnected).toBe(true);
		const join = await fetch(after.join.url, { redirect: 'manual' });
		expect(join.status).toBe(302);

		// The new facilitator link works for the API and the map, and can be replaced again.
		const again = (await (await links(newKey)).json()) as { links: Record<string, string> };
		expect(again.links.editor).toBe(before.links.editor);
		const fresh = connectClient(server.syncUrl, map.id, newKey);
		clients.push(fresh);
		await fresh.synced;
		fresh.doc.getMap('meta').set('title', 'Renamed by the new facilitator link');
		await waitForDoc(participant.doc, (d) => d.getMap('meta').get('title') === 'Renamed by the new facilitator link', 'new facilitator writes');
		const second = await replace(newKey);
		expect(second.status).toBe(200);
		expect(((await second.json()) as { links: Record<string, string> }).links.editor).toBe(before.links.editor);
		const replaced = openRaw(server.syncUrl, map.id, { key: newKey });
		expect((await waitForClose(replaced)).code).toBe(4401);
	});
});
