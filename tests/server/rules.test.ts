/**
 * Who may write what (server/RULES.md), against the real server process and its SQLite
 * file. Attackers are raw sockets sending frames built with y-protocols' wire format
 * from real Y.Docs that start from the server's state; stock y-websocket clients watch.
 * Every refused frame must leave the server's doc, the disk and the watchers unchanged
 * and cost its socket a 4409; every allowed counterpart must go through (so the checks
 * can fail).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { linkId } from '../../src/lib/doc/ids.ts';
import { readAllLinks } from '../../src/lib/doc/schema.ts';
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
import {
	awarenessFrame,
	canonical,
	clientsOf,
	closeOrAnswer,
	diskDoc,
	openRaw,
	serverDoc,
	syncFrame
} from '../helpers/yjs-frames.ts';

let server: TestServer;
const clients: Client[] = [];

function client(map: CreatedMap, role: keyof CreatedMap['keys'], params: Record<string, string> = {}): Client {
	const c = connectClient(server.syncUrl, map.id, map.keys[role], undefined, { params });
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

type Actor = 'viewer' | 'editor' | 'editor on a locked map' | 'facilitator on a locked map';
const ROLE: Record<Actor, 'viewer' | 'editor' | 'facilitator'> = {
	viewer: 'viewer',
	editor: 'editor',
	'editor on a locked map': 'editor',
	'facilitator on a locked map': 'facilitator'
};

/**
 * Each change edits a Y.Doc that holds the server's state. Returns the update to send
 * (by default: everything the doc has that the server lacks).
 */
type Change = (doc: Y.Doc, assetId: string) => Uint8Array | void;
const asset = (doc: Y.Doc, id: string) => doc.getMap<Y.Map<unknown>>('assets').get(id)!;

const CHANGES = {
	'nothing (empty update)': () => Y.encodeStateAsUpdate(new Y.Doc()),
	'nothing (the server’s own state sent back)': (doc) => Y.encodeStateAsUpdate(doc),
	'asset name': (doc, id) => void asset(doc, id).set('name', `Renamed ${id}`),
	'asset field delete': (doc, id) => void asset(doc, id).delete('description'),
	'new asset': (doc, id) => {
		const entry = new Y.Map<unknown>();
		doc.getMap('assets').set(`${id}-new`, entry);
		entry.set('name', 'A new asset');
	},
	'new goal': (doc, id) => {
		const goal = new Y.Map<unknown>();
		doc.getMap('goals').set(`goal-${id}`, goal);
		goal.set('title', 'A new goal');
	},
	'new link': (doc, id) => {
		const link = new Y.Map<unknown>();
		doc.getMap('links').set(linkId('supports', id, 'g0')!, link);
		link.set('kind', 'supports');
		link.set('from', id);
		link.set('to', 'g0');
	},
	'meta.title': (doc, id) => void doc.getMap('meta').set('title', `Taken over (${id})`),
	'meta.locked': (doc) => void doc.getMap('meta').set('locked', true),
	'assets.<id>.hidden': (doc, id) => void asset(doc, id).set('hidden', true),
	'delete a whole asset': (doc, id) => void doc.getMap('assets').delete(id),
	'replace a whole asset': (doc, id) => void doc.getMap('assets').set(id, new Y.Map()),
	'another root map': (doc) => void doc.getMap('secrets').set('x', 1),
	'missing dependency': (doc, id) => {
		// Builds on an item from a client the server has never heard of.
		const stranger = new Y.Doc();
		Y.applyUpdate(stranger, Y.encodeStateAsUpdate(doc));
		const entry = new Y.Map<unknown>();
		stranger.getMap('assets').set(`${id}-stranger`, entry);
		Y.applyUpdate(doc, Y.encodeStateAsUpdate(stranger, Y.encodeStateVector(doc)));
		const known = Y.encodeStateVector(doc);
		(doc.getMap<Y.Map<unknown>>('assets').get(`${id}-stranger`)!).set('name', 'depends on the stranger');
		return Y.encodeStateAsUpdate(doc, known);
	}
} satisfies Record<string, Change>;
type ChangeName = keyof typeof CHANGES;

const EDITOR_MAY: ChangeName[] = ['asset name', 'asset field delete', 'new asset', 'new goal', 'new link'];
const NO_OPS: ChangeName[] = ['nothing (empty update)', 'nothing (the server’s own state sent back)'];

function expectation(actor: Actor, change: ChangeName): 'applied' | 'refused' | 'no-op' {
	if (NO_OPS.includes(change)) return 'no-op';
	if (change === 'missing dependency') return 'refused';
	if (actor === 'facilitator on a locked map') return 'applied';
	if (actor === 'editor' && EDITOR_MAY.includes(change)) return 'applied';
	return 'refused';
}

interface Room {
	map: CreatedMap;
	facilitator: Client;
	watcher: Client;
	nextAsset: number;
}

async function seededRoom(locked: boolean, assets: number): Promise<Room> {
	const map = await createMap(server.url);
	const facilitator = client(map, 'facilitator');
	const watcher = client(map, 'viewer');
	await Promise.all([facilitator.synced, watcher.synced]);
	facilitator.doc.transact(() => {
		for (let i = 0; i < assets; i++) {
			const entry = new Y.Map<unknown>();
			facilitator.doc.getMap('assets').set(`a${i}`, entry);
			entry.set('name', `Asset ${i}`);
			entry.set('description', 'seeded');
			entry.set('hidden', false);
		}
		if (locked) facilitator.doc.getMap('meta').set('locked', true);
	});
	await waitForDoc(watcher.doc, (d) => d.getMap('assets').size === assets && d.getMap('meta').get('locked') === locked, 'seed');
	return { map, facilitator, watcher, nextAsset: 0 };
}

/**
 * The room handles one queue in order: once the watcher sees a marker the facilitator
 * wrote after the attacker's frame was handled, anything that frame caused would have
 * reached the watcher first.
 */
async function barrier(room: Pick<Room, 'facilitator' | 'watcher'>, name: string): Promise<void> {
	room.facilitator.doc.getMap('markers').set(name, true);
	await waitForDoc(room.watcher.doc, (d) => d.getMap('markers').get(name) === true, `marker ${name}`);
}

const cases: Array<{ actor: Actor; change: ChangeName; frame: 'step2' | 'update' }> = [];
for (const actor of Object.keys(ROLE) as Actor[]) {
	for (const change of Object.keys(CHANGES) as ChangeName[]) {
		for (const frame of ['step2', 'update'] as const) cases.push({ actor, change, frame });
	}
}

describe('role × change × frame matrix (raw sockets)', () => {
	it(`${cases.length} cases: refused frames change nothing anywhere and get 4409; allowed ones go through`, async () => {
		const perMap = cases.length / 2;
		const open = await seededRoom(false, perMap);
		const locked = await seededRoom(true, perMap);
		const tally = { applied: 0, refused: 0, 'no-op': 0 };

		for (const [index, { actor, change, frame }] of cases.entries()) {
			const label = `${actor} / ${change} / ${frame}`;
			const room = actor === 'viewer' || actor === 'editor' ? open : locked;
			const assetId = `a${room.nextAsset++}`;
			const ws = openRaw(server.syncUrl, room.map.id, { key: room.map.keys[ROLE[actor]] });
			await waitForOpen(ws);
			// Like a stock client: answer the server's sync step 1 first (nothing new to send).
			ws.send(syncFrame('step2', Y.encodeStateAsUpdate(new Y.Doc())));
			const attacker = new Y.Doc();
			Y.applyUpdate(attacker, await requestFullState(ws));
			const before = canonical(attacker, ['markers']);
			const rowsBefore = diskDoc(server.sqliteFile, room.map.id).rows;
			const known = Y.encodeStateVector(attacker);
			const update = CHANGES[change](attacker, assetId) ?? Y.encodeStateAsUpdate(attacker, known);

			ws.send(syncFrame(frame, update));
			// Sends a sync step 1 after it: answered only if the socket survived the frame.
			const outcome = await closeOrAnswer(ws);
			await barrier(room, `m${index}`);
			const after = await serverDoc(server.syncUrl, room.map.id, room.map.keys.facilitator);
			const disk = diskDoc(server.sqliteFile, room.map.id);
			const watcherState = canonical(room.watcher.doc, ['markers']);

			const expected = expectation(actor, change);
			tally[expected]++;
			if (expected === 'applied') {
				expect(outcome, label).toBe('open');
				// Content changed, or (setting meta.locked to the value it has) new items exist.
				expect(canonical(after, ['markers']) !== before || clientsOf(after).has(attacker.clientID), label).toBe(true);
				expect(watcherState, label).toBe(canonical(after, ['markers']));
				expect(disk.rows, label).toBe(rowsBefore + 2);
			} else {
				if (expected === 'refused') {
					expect(outcome, label).toEqual({ code: 4409, reason: expect.stringMatching(/^write refused: /) });
				} else {
					expect(outcome, label).toBe('open');
				}
				// Server, watcher and disk: exactly as before, plus the marker.
				expect(canonical(after, ['markers']), label).toBe(before);
				expect(clientsOf(after).has(attacker.clientID), label).toBe(false);
				expect(watcherState, label).toBe(before);
				expect(clientsOf(room.watcher.doc).has(attacker.clientID), label).toBe(false);
				expect(disk.rows, label).toBe(rowsBefore + 1);
				expect(clientsOf(disk.doc).has(attacker.clientID), label).toBe(false);
			}
			expect(canonical(disk.doc), label).toBe(canonical(after));
			expect(canonical(room.watcher.doc), label).toBe(canonical(after));
			ws.terminate();
		}
		// 14 changes × 2 frames × 4 actors: the facilitator's 11 real changes and the editor's 5
		// allowed ones apply, the two no-ops pass for everyone, the rest is refused.
		expect(cases.length).toBe(14 * 2 * 4);
		expect(tally).toEqual({ applied: (11 + 5) * 2, 'no-op': 2 * 2 * 4, refused: 112 - 32 - 16 });
	});
});

describe('missing dependencies around a reconnect', () => {
	it('an edit that races ahead of the sync step 2 carrying what it builds on is dropped quietly, not refused', async () => {
		const room = await seededRoom(false, 1);
		const ws = openRaw(server.syncUrl, room.map.id, { key: room.map.keys.editor });
		await waitForOpen(ws);
		const client = new Y.Doc();
		Y.applyUpdate(client, await requestFullState(ws));
		const serverState = Y.encodeStateVector(client);
		// Offline edits the server has not seen, then one more made while reconnecting.
		asset(client, 'a0').set('offline', 1);
		const beforeLast = Y.encodeStateVector(client);
		asset(client, 'a0').set('while reconnecting', 2);
		const last = Y.encodeStateAsUpdate(client, beforeLast);

		// What a stock client does: the fresh edit goes out at once, as an update...
		ws.send(syncFrame('update', last));
		expect(await closeOrAnswer(ws)).toBe('open');
		await barrier(room, 'race-1');
		expect(asset(room.watcher.doc, 'a0').has('while reconnecting')).toBe(false);
		// ...and its sync step 2 follows with everything the server lacked.
		ws.send(syncFrame('step2', Y.encodeStateAsUpdate(client, serverState)));
		await waitForDoc(room.watcher.doc, (d) => asset(d, 'a0').get('while reconnecting') === 2 && asset(d, 'a0').get('offline') === 1, 'both edits');

		// Once the step 2 is in, a gap can no longer be a race: 4409.
		asset(client, 'a0').set('skipped', 3);
		const skippedState = Y.encodeStateVector(client);
		asset(client, 'a0').set('after a gap', 4);
		ws.send(syncFrame('update', Y.encodeStateAsUpdate(client, skippedState)));
		expect(await closeOrAnswer(ws)).toEqual({ code: 4409, reason: expect.stringMatching(/^write refused: missing dependency/) });
		await barrier(room, 'race-2');
		expect(asset(room.watcher.doc, 'a0').has('after a gap')).toBe(false);
		expect(asset(diskDoc(server.sqliteFile, room.map.id).doc, 'a0').get('while reconnecting')).toBe(2);
	});
});

describe('presence (awareness) from raw sockets', () => {
	it('only its own client id; role, name and affiliation come from the key and query', async () => {
		const open = await seededRoom(false, 0);
		const locked = await seededRoom(true, 0);
		const real = { tag: 'the real facilitator', user: { name: '', role: 'facilitator', affiliation: 'other' } };
		for (const room of [open, locked]) {
			room.facilitator.provider.awareness.setLocalStateField('tag', real.tag);
			await pollUntil(() => (room.watcher.provider.awareness.getStates().get(room.facilitator.doc.clientID) as { tag?: string } | undefined)?.tag === real.tag, 'facilitator presence');
		}

		const actors: Array<[Actor, Room]> = [
			['viewer', open],
			['editor', open],
			['editor on a locked map', locked],
			['facilitator on a locked map', locked]
		];
		for (const [index, [actor, room]] of actors.entries()) {
			const ws = openRaw(server.syncUrl, room.map.id, { key: room.map.keys[ROLE[actor]], name: ` Rosa\u202e `, affiliation: 'student' });
			await waitForOpen(ws);
			const own = 100_000 + index;
			const facilitatorId = room.facilitator.doc.clientID;
			// Someone else's id (held by the facilitator's connection): ignored.
			ws.send(awarenessFrame([{ clientId: facilitatorId, clock: 10_000, state: { user: { name: 'Spoofed', role: 'facilitator' } } }]));
			// Its own id, claiming to be the facilitator with another name.
			ws.send(
				awarenessFrame([
					{
						clientId: own,
						clock: 1,
						state: { user: { name: 'Facilitator Fran', role: 'facilitator', affiliation: 'faculty', color: '#c00' }, cursor: [1, 2] }
					}
				])
			);
			// A third id once it has one: ignored as well.
			ws.send(awarenessFrame([{ clientId: own + 50, clock: 1, state: { user: { name: 'Ghost' } } }]));
			ws.send(awarenessFrame([{ clientId: own, clock: 2, state: { user: { name: 'Fran' }, marker: index } }]));

			const states = room.watcher.provider.awareness.getStates();
			await pollUntil(() => (states.get(own) as { marker?: number } | undefined)?.marker === index, `${actor}: own presence`);
			expect(states.get(own), actor).toEqual({
				user: { name: 'Rosa', role: ROLE[actor], affiliation: 'student' },
				marker: index
			});
			expect(states.get(facilitatorId), actor).toEqual(real);
			expect(states.has(own + 50), actor).toBe(false);
			// Presence is not a write: the socket stays.
			expect(await closeOrAnswer(ws), actor).toBe('open');
			ws.close();
			await pollUntil(() => !room.watcher.provider.awareness.getStates().has(own), `${actor}: presence removed on close`);
		}
	});

	it('the first state carries the claimed fields only as stamped', async () => {
		const room = await seededRoom(false, 0);
		const ws = openRaw(server.syncUrl, room.map.id, { key: room.map.keys.editor, name: 'Rosa', affiliation: 'no-such-thing' });
		await waitForOpen(ws);
		ws.send(awarenessFrame([{ clientId: 4242, clock: 1, state: { user: { name: 'Facilitator Fran', role: 'facilitator', color: '#c00' }, cursor: [1, 2] } }]));
		const states = room.watcher.provider.awareness.getStates();
		await pollUntil(() => states.has(4242), 'stamped presence');
		expect(states.get(4242)).toEqual({ user: { name: 'Rosa', role: 'editor', affiliation: 'other', color: '#c00' }, cursor: [1, 2] });
		ws.close();
	});

	it('closes a socket that sends a presence state over 4 KiB (4413); peers never see it', async () => {
		const room = await seededRoom(false, 0);
		const ws = openRaw(server.syncUrl, room.map.id, { key: room.map.keys.editor, name: 'Big' });
		await waitForOpen(ws);
		const id = 777_777;
		const states = room.watcher.provider.awareness.getStates();
		ws.send(awarenessFrame([{ clientId: id, clock: 1, state: { step: 1 } }]));
		await pollUntil(() => (states.get(id) as { step?: number } | undefined)?.step === 1, 'small presence');
		ws.send(awarenessFrame([{ clientId: id, clock: 2, state: { step: 2, blob: 'x'.repeat(5 * 1024) } }]));
		expect((await waitForClose(ws)).code).toBe(4413);
		await pollUntil(() => !states.has(id), 'presence removed after the close');
		expect(JSON.stringify([...room.watcher.provider.awareness.getStates().values()])).not.toContain('xxxx');
	});
});

describe('lock and unlock with stock clients', () => {
	it('while locked, an editor’s write is refused (4409) and reaches nobody; unlocked, editors write again', async () => {
		const map = await createMap(server.url);
		const facilitator = client(map, 'facilitator');
		const editor = client(map, 'editor');
		const watcher = client(map, 'viewer');
		await Promise.all([facilitator.synced, editor.synced, watcher.synced]);

		facilitator.doc.getMap('meta').set('locked', true);
		await waitForDoc(editor.doc, (d) => d.getMap('meta').get('locked') === true, 'editor to see the lock');
		const rowsLocked = diskDoc(server.sqliteFile, map.id).rows;

		const closed = new Promise<{ code: number; reason: string }>((resolve) => editor.provider.on('closed', resolve));
		editor.doc.getMap('assets').set('while-locked', 'from the editor');
		expect(await withDeadline(closed, 'editor to be closed')).toEqual({ code: 4409, reason: 'write refused: map is locked' });
		expect(editor.provider.shouldConnect).toBe(false);

		// The facilitator still writes; handled after the refused frame, so it is a barrier too.
		facilitator.doc.getMap('assets').set('facilitator-while-locked', 1);
		await waitForDoc(watcher.doc, (d) => d.getMap('assets').has('facilitator-while-locked'), 'facilitator write while locked');
		expect(watcher.doc.getMap('assets').has('while-locked')).toBe(false);
		const disk = diskDoc(server.sqliteFile, map.id);
		expect(disk.rows).toBe(rowsLocked + 1);
		expect(disk.doc.getMap('assets').has('while-locked')).toBe(false);
		expect(disk.doc.getMap('assets').get('facilitator-while-locked')).toBe(1);

		facilitator.doc.getMap('meta').set('locked', false);
		await waitForDoc(watcher.doc, (d) => d.getMap('meta').get('locked') === false, 'unlock');
		// The refused client's copy has diverged; a fresh one (what the app does after 4409) writes again.
		const fresh = client(map, 'editor');
		await fresh.synced;
		expect(fresh.doc.getMap('assets').has('while-locked')).toBe(false);
		fresh.doc.getMap('assets').set('after-unlock', 'from the editor');
		await waitForDoc(watcher.doc, (d) => d.getMap('assets').get('after-unlock') === 'from the editor', 'editor write after unlock');
		expect(diskDoc(server.sqliteFile, map.id).doc.getMap('assets').get('after-unlock')).toBe('from the editor');
	});
});

// ---------------------------------------------------------------------------------------
// Goals and links with stock y-websocket clients: what the app (or a script) really sends.

const goalsOf = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('goals');
const linksOf = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('links');

/** A map with asset "a0", asset "a1" and goal "g0" made by the facilitator, and a viewer watching. */
async function mapWithAssetsAndGoal(): Promise<{ map: CreatedMap; facilitator: Client; watcher: Client }> {
	const map = await createMap(server.url);
	const facilitator = client(map, 'facilitator');
	const watcher = client(map, 'viewer');
	await Promise.all([facilitator.synced, watcher.synced]);
	facilitator.doc.transact(() => {
		for (const id of ['a0', 'a1']) {
			const entry = new Y.Map<unknown>();
			facilitator.doc.getMap('assets').set(id, entry);
			entry.set('name', `Asset ${id}`);
		}
		const goal = new Y.Map<unknown>();
		goalsOf(facilitator.doc).set('g0', goal);
		goal.set('title', 'Youth programs');
	});
	await waitForDoc(watcher.doc, (d) => goalsOf(d).has('g0') && d.getMap('assets').size === 2, 'seed');
	return { map, facilitator, watcher };
}

/** A stock client of `role` that has the seeded map. */
async function joined(map: CreatedMap, role: keyof CreatedMap['keys'], params: Record<string, string> = {}): Promise<Client> {
	const c = client(map, role, params);
	await c.synced;
	await waitForDoc(c.doc, (d) => goalsOf(d).has('g0'), `${role} to have the seed`);
	return c;
}

/** Every close the server made on this client's sockets (a local disconnect is not one). */
function serverCloses(c: Client): Array<{ code: number; reason: string }> {
	const closes: Array<{ code: number; reason: string }> = [];
	c.provider.on('connection-close', (event) => {
		if (event) closes.push({ code: event.code, reason: event.reason });
	});
	return closes;
}

function refusal(c: Client): Promise<{ code: number; reason: string }> {
	return withDeadline(new Promise((resolve) => c.provider.on('closed', resolve)), 'the write to be refused');
}

/**
 * Wraps waits so they fail as soon as the server closes one of `watched` for good (a
 * refused write), with its code and reason, instead of at the wait's deadline.
 */
function unlessRefused(...watched: Client[]): <T>(wait: Promise<T>) => Promise<T> {
	const refused = new Promise<never>((_, reject) => {
		for (const c of watched) c.provider.on('closed', (event) => reject(new Error(`the server closed a client: ${event.code} ${event.reason}`)));
	});
	refused.catch(() => {});
	return (wait) => Promise.race([wait, refused]);
}

/** What the app does to make a link: a new entry at the link's derived id, in one transaction. */
function makeLink(doc: Y.Doc, kind: 'supports' | 'connects', from: string, to: string, note: string): string {
	const id = linkId(kind, from, to)!;
	doc.transact(() => {
		const link = new Y.Map<unknown>();
		linksOf(doc).set(id, link);
		link.set('kind', kind);
		link.set('from', from);
		link.set('to', to);
		link.set('note', note);
		link.set('createdBy', { id: `who-${note}`, name: note, affiliation: 'community-member' });
		link.set('createdAt', Date.now());
	});
	return id;
}

/** Resolves on the provider's next completed sync (after a reconnect). */
function nextSync(c: Client): Promise<void> {
	return withDeadline(
		new Promise<void>((resolve) => {
			const onSync = (state: boolean) => {
				if (!state) return;
				c.provider.off('sync', onSync);
				resolve();
			};
			c.provider.on('sync', onSync);
		}),
		'sync after reconnecting'
	);
}

describe('goals with stock clients', () => {
	it('an editor creates a goal, edits it, deletes and restores it by deletedAt; deleting the key or replacing the entry is refused (4409) and reaches nobody', async () => {
		const { map, facilitator, watcher } = await mapWithAssetsAndGoal();
		const editor = await joined(map, 'editor');
		const closes = serverCloses(editor);
		const goal = () => goalsOf(watcher.doc).get('g1');

		editor.doc.transact(() => {
			const entry = new Y.Map<unknown>();
			goalsOf(editor.doc).set('g1', entry);
			entry.set('id', 'g1');
			entry.set('title', 'Safe routes to school');
			entry.set('horizon', 'short');
			entry.set('status', 'proposed');
			entry.set('createdAt', Date.now());
		});
		await waitForDoc(watcher.doc, () => goal()?.get('title') === 'Safe routes to school', 'the new goal');

		editor.doc.transact(() => {
			goalsOf(editor.doc).get('g1')!.set('title', 'Safe routes to every school');
			goalsOf(editor.doc).get('g1')!.set('status', 'active');
		});
		await waitForDoc(watcher.doc, () => goal()?.get('status') === 'active' && goal()?.get('title') === 'Safe routes to every school', 'the goal edited');

		goalsOf(editor.doc).get('g1')!.set('deletedAt', 1234);
		await waitForDoc(watcher.doc, () => goal()?.get('deletedAt') === 1234, 'the goal deleted (soft)');
		goalsOf(editor.doc).get('g1')!.delete('deletedAt');
		await waitForDoc(watcher.doc, () => goal() !== undefined && !goal()!.has('deletedAt'), 'the goal restored');
		expect(closes).toEqual([]);
		const before = canonical(watcher.doc);
		const rows = diskDoc(server.sqliteFile, map.id).rows;

		// Deleting the key.
		const deleted = refusal(editor);
		goalsOf(editor.doc).delete('g1');
		expect(await deleted).toEqual({ code: 4409, reason: 'write refused: deleting a whole entry is facilitator-only' });
		await barrier({ facilitator, watcher }, 'after-delete');

		// Replacing the entry (a fresh client: the refused one has to reload).
		const replacer = await joined(map, 'editor');
		await waitForDoc(replacer.doc, (d) => goalsOf(d).get('g1')?.get('status') === 'active', 'the replacer to have g1');
		const replaced = refusal(replacer);
		replacer.doc.transact(() => {
			const entry = new Y.Map<unknown>();
			goalsOf(replacer.doc).set('g1', entry);
			entry.set('title', 'Taken over');
		});
		expect(await replaced).toEqual({ code: 4409, reason: 'write refused: replacing a whole entry is facilitator-only' });
		await barrier({ facilitator, watcher }, 'after-replace');

		expect(canonical(watcher.doc, ['markers'])).toBe(before);
		const disk = diskDoc(server.sqliteFile, map.id);
		expect(disk.rows).toBe(rows + 2);
		expect(canonical(disk.doc)).toBe(canonical(watcher.doc));
		expect(goalsOf(disk.doc).get('g1')?.get('title')).toBe('Safe routes to every school');
	});

	it('a viewer can create neither goals nor links (4409); nothing reaches another client or the disk', async () => {
		const { map, facilitator, watcher } = await mapWithAssetsAndGoal();
		const before = canonical(watcher.doc);
		const rows = diskDoc(server.sqliteFile, map.id).rows;

		const goalViewer = await joined(map, 'viewer');
		const goalRefused = refusal(goalViewer);
		goalViewer.doc.transact(() => {
			const entry = new Y.Map<unknown>();
			goalsOf(goalViewer.doc).set('g-viewer', entry);
			entry.set('title', 'From a viewer');
		});
		expect(await goalRefused).toEqual({ code: 4409, reason: 'write refused: viewers are read-only' });

		const linkViewer = await joined(map, 'viewer');
		const linkRefused = refusal(linkViewer);
		makeLink(linkViewer.doc, 'supports', 'a0', 'g0', 'from a viewer');
		expect(await linkRefused).toEqual({ code: 4409, reason: 'write refused: viewers are read-only' });

		await barrier({ facilitator, watcher }, 'after-viewers');
		expect(canonical(watcher.doc, ['markers'])).toBe(before);
		const disk = diskDoc(server.sqliteFile, map.id);
		expect(disk.rows).toBe(rows + 1);
		expect(goalsOf(disk.doc).has('g-viewer')).toBe(false);
		expect(linksOf(disk.doc).size).toBe(0);
	});
});

describe('links with stock clients', () => {
	it('an editor making the same supports link twice (two transactions) ends with one link and stays connected; another client sees one link', async () => {
		const { map, watcher } = await mapWithAssetsAndGoal();
		const editor = await joined(map, 'editor');
		const closes = serverCloses(editor);
		const open = unlessRefused(editor);

		const id = makeLink(editor.doc, 'supports', 'a0', 'g0', 'first');
		expect(makeLink(editor.doc, 'supports', 'a0', 'g0', 'second')).toBe(id);
		await open(waitForDoc(watcher.doc, (d) => linksOf(d).get(id)?.get('note') === 'second', 'the link'));
		// Still connected: an edit made after both goes through on the same socket.
		linksOf(editor.doc).get(id)!.set('note', 'third');
		await open(waitForDoc(watcher.doc, (d) => linksOf(d).get(id)?.get('note') === 'third', 'an edit after the second set'));

		expect(closes).toEqual([]);
		expect(editor.provider.wsconnected).toBe(true);
		expect([...linksOf(watcher.doc).keys()]).toEqual([id]);
		expect(readAllLinks(watcher.doc)).toEqual([expect.objectContaining({ id, kind: 'supports', from: 'a0', to: 'g0', note: 'third' })]);
		const disk = diskDoc(server.sqliteFile, map.id).doc;
		expect([...linksOf(disk).keys()]).toEqual([id]);
		expect(canonical(disk)).toBe(canonical(watcher.doc));
	});

	// Which of two concurrent sets wins a key is Yjs's order (the larger client id), so each
	// case picks who reconnects first: the second to arrive then wins the key (the server
	// sees a replace) or loses it (a store nobody sees).
	for (const second of ['wins', 'loses'] as const) {
		it(`two editors offline from each other make the same link with different notes and converge to one; the one arriving second ${second} the key; neither gets 4409`, async () => {
			const { map, watcher } = await mapWithAssetsAndGoal();
			// Device tokens, as the app sends: each reconnect writes under the same client id.
			const ana = await joined(map, 'editor', { device: `ana-device-${second}-0001` });
			const ben = await joined(map, 'editor', { device: `ben-device-${second}-0001` });
			const closes = [ana, ben].map(serverCloses);
			const open = unlessRefused(ana, ben);

			ana.provider.disconnect();
			ben.provider.disconnect();
			const id = makeLink(ana.doc, 'connects', 'a1', 'a0', 'Ana: shared volunteers');
			expect(makeLink(ben.doc, 'connects', 'a0', 'a1', 'Ben: same board')).toBe(id);

			const larger = ana.doc.clientID > ben.doc.clientID ? ana : ben;
			const smaller = larger === ana ? ben : ana;
			const [first, last] = second === 'wins' ? [smaller, larger] : [larger, smaller];
			const noteOf = (c: Client) => (c === ana ? 'Ana: shared volunteers' : 'Ben: same board');

			const firstSynced = nextSync(first);
			first.provider.connect();
			await open(firstSynced);
			await open(waitForDoc(watcher.doc, (d) => linksOf(d).get(id)?.get('note') === noteOf(first), 'the first link'));
			const lastSynced = nextSync(last);
			last.provider.connect();
			await open(lastSynced);

			const winner = noteOf(larger);
			for (const [name, c] of [['watcher', watcher], ['ana', ana], ['ben', ben]] as const) {
				await open(waitForDoc(c.doc, (d) => linksOf(d).get(id)?.get('note') === winner, `${name} to converge`));
			}
			expect(closes).toEqual([[], []]);
			expect(ana.provider.wsconnected && ben.provider.wsconnected).toBe(true);
			for (const c of [watcher, ana, ben]) {
				expect([...linksOf(c.doc).keys()]).toEqual([id]);
				expect(readAllLinks(c.doc)).toEqual([expect.objectContaining({ id, kind: 'connects', note: winner })]);
			}
			// Both still write: the loser edits the link that won.
			linksOf(smaller.doc).get(id)!.set('note', 'agreed');
			await open(waitForDoc(watcher.doc, (d) => linksOf(d).get(id)?.get('note') === 'agreed', 'an edit after converging'));
			expect(closes).toEqual([[], []]);
			const disk = diskDoc(server.sqliteFile, map.id).doc;
			expect([...linksOf(disk).keys()]).toEqual([id]);
			expect(canonical(disk)).toBe(canonical(watcher.doc));
		});
	}

	it('an editor unlinks (deletedAt) and relinks (clears it), but may not delete the link key (4409)', async () => {
		const { map, facilitator, watcher } = await mapWithAssetsAndGoal();
		const editor = await joined(map, 'editor');
		const closes = serverCloses(editor);
		const id = makeLink(editor.doc, 'supports', 'a1', 'g0', 'tutoring');
		await waitForDoc(watcher.doc, (d) => linksOf(d).has(id), 'the link');

		linksOf(editor.doc).get(id)!.set('deletedAt', 5678);
		await waitForDoc(watcher.doc, (d) => linksOf(d).get(id)?.get('deletedAt') === 5678, 'unlinked');
		expect(readAllLinks(watcher.doc)).toEqual([expect.objectContaining({ id, deletedAt: 5678 })]);
		linksOf(editor.doc).get(id)!.delete('deletedAt');
		await waitForDoc(watcher.doc, (d) => linksOf(d).get(id) !== undefined && !linksOf(d).get(id)!.has('deletedAt'), 'relinked');
		expect(readAllLinks(watcher.doc)).toEqual([expect.objectContaining({ id, deletedAt: null })]);
		expect(closes).toEqual([]);
		const before = canonical(watcher.doc);
		const rows = diskDoc(server.sqliteFile, map.id).rows;

		const refused = refusal(editor);
		linksOf(editor.doc).delete(id);
		expect(await refused).toEqual({ code: 4409, reason: 'write refused: deleting a whole entry is facilitator-only' });
		await barrier({ facilitator, watcher }, 'after-delete');
		expect(canonical(watcher.doc, ['markers'])).toBe(before);
		const disk = diskDoc(server.sqliteFile, map.id);
		expect(disk.rows).toBe(rows + 1);
		expect(linksOf(disk.doc).get(id)?.get('note')).toBe('tutoring');
	});

	it('on a locked map an editor can neither make nor replace a link (4409); the facilitator can', async () => {
		const { map, facilitator, watcher } = await mapWithAssetsAndGoal();
		const existing = makeLink(facilitator.doc, 'supports', 'a0', 'g0', 'before the lock');
		facilitator.doc.getMap('meta').set('locked', true);
		await waitForDoc(watcher.doc, (d) => d.getMap('meta').get('locked') === true && linksOf(d).has(existing), 'the lock');
		const before = canonical(watcher.doc);
		const rows = diskDoc(server.sqliteFile, map.id).rows;

		const maker = await joined(map, 'editor');
		await waitForDoc(maker.doc, (d) => d.getMap('meta').get('locked') === true, 'the editor to see the lock');
		const makeRefused = refusal(maker);
		makeLink(maker.doc, 'connects', 'a0', 'a1', 'while locked');
		expect(await makeRefused).toEqual({ code: 4409, reason: 'write refused: map is locked' });

		const replacer = await joined(map, 'editor');
		await waitForDoc(replacer.doc, (d) => linksOf(d).has(existing) && d.getMap('meta').get('locked') === true, 'the replacer to have the link');
		const replaceRefused = refusal(replacer);
		makeLink(replacer.doc, 'supports', 'a0', 'g0', 'made again while locked');
		expect(await replaceRefused).toEqual({ code: 4409, reason: 'write refused: map is locked' });

		await barrier({ facilitator, watcher }, 'after-editors');
		expect(canonical(watcher.doc, ['markers'])).toBe(before);
		expect(diskDoc(server.sqliteFile, map.id).rows).toBe(rows + 1);

		// The facilitator makes a link, makes an existing one again, and unlinks one, all while locked.
		const made = makeLink(facilitator.doc, 'connects', 'a0', 'a1', 'by the facilitator');
		makeLink(facilitator.doc, 'supports', 'a0', 'g0', 'made again by the facilitator');
		linksOf(facilitator.doc).get(made)!.set('deletedAt', 42);
		await waitForDoc(
			watcher.doc,
			(d) => linksOf(d).get(existing)?.get('note') === 'made again by the facilitator' && linksOf(d).get(made)?.get('deletedAt') === 42,
			'the facilitator’s links'
		);
		expect(readAllLinks(watcher.doc).map((link) => link.id).sort()).toEqual([made, existing].sort());
		const disk = diskDoc(server.sqliteFile, map.id).doc;
		expect(canonical(disk)).toBe(canonical(watcher.doc));
	});
});
