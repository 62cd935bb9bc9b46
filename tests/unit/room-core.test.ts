/**
 * The room core (server/room/core.ts) at unit speed: no sockets, no store. Frames go in
 * as bytes, and what comes out (messages, closes, writes) is what the runner would do.
 *
 * - The role × change × frame matrix, including every way found to write over someone
 *   else's work: replacing a whole entry by a set that wins the key (a fresh document
 *   with a larger client id), one that loses it, list positions, subdocuments, and a GC
 *   range over another device's next clocks.
 * - Client ids bound to devices (a reloaded page on the same device gets its offline
 *   edits in; nobody else can write under them).
 * - Updates Yjs would keep pending are refused, and never leave the document pending.
 * - Presence: own id only, stamped, relayed on the tick (latest state per client).
 * - The journal each accepted update makes.
 */
import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { FACILITATOR_SMALL_BYTES, RoomCore, type CoreOptions, type Effects, type Peer } from '../../server/room/core.ts';
import { MAX_PRESENCE_TICK_BYTES } from '../../server/room/presence-gate.ts';
import { MAX_PRESENCE_STATE_BYTES } from '../../server/room/protocol.ts';
import type { JournalRecord } from '../../server/room/journal.ts';
import type { Affiliation, Role } from '../../src/lib/doc/model.ts';
import { CLOSE } from '../../src/lib/sync/close-codes.ts';
import { forgeUpdate } from '../helpers/forged-updates.ts';
import { awarenessFrame, canonical, readAwareness, syncFrame } from '../helpers/yjs-frames.ts';

class TestPeer implements Peer {
	constructor(
		readonly role: Role,
		readonly identity: { name: string; affiliation: Affiliation; session: string | null; device: string | null }
	) {}
}

const peer = (role: Role, device: string | null, name = `${role} ${device ?? 'anon'}`, session: string | null = null) =>
	new TestPeer(role, { name, affiliation: role === 'facilitator' ? 'campus-staff' : 'community-member', session, device });

const NOW = 1_700_000_000_000;

interface Seeded {
	core: RoomCore<TestPeer>;
	facilitatorClient: number;
}

/** A map with three assets and a goal, written by the facilitator's device. */
function seeded(locked = false, options: Partial<CoreOptions> = {}): Seeded {
	const doc = new Y.Doc();
	doc.transact(() => {
		const meta = doc.getMap('meta');
		meta.set('title', 'Eastside');
		meta.set('locked', locked);
		for (const id of ['a0', 'a1', 'a2']) {
			const asset = new Y.Map<unknown>();
			doc.getMap('assets').set(id, asset);
			asset.set('name', `Asset ${id}`);
			asset.set('description', 'seeded');
			asset.set('hidden', false);
		}
		const goal = new Y.Map<unknown>();
		doc.getMap('goals').set('g0', goal);
		goal.set('title', 'Youth programs');
	});
	const core = new RoomCore<TestPeer>('testmap000', { updates: [Y.encodeStateAsUpdate(doc)], owners: [{ client: doc.clientID, device: 'd:facilitator' }] }, { maxDocBytes: 64 * 1024 * 1024, ...options });
	return { core, facilitatorClient: doc.clientID };
}

/** A copy of the core's document, as a client that just synced would hold it. */
function copyOf(core: RoomCore<TestPeer>, clientId?: number): Y.Doc {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, Y.encodeStateAsUpdate(core.doc));
	if (clientId !== undefined) doc.clientID = clientId;
	return doc;
}

function connect(core: RoomCore<TestPeer>, who: TestPeer): void {
	core.join(who);
	// Like a stock client: answer the server's sync step 1 (nothing new).
	expect(core.receive(who, syncFrame('step2', Y.encodeStateAsUpdate(new Y.Doc())), NOW).close).toEqual([]);
}

const assetOf = (doc: Y.Doc, id: string) => doc.getMap<Y.Map<unknown>>('assets').get(id)!;

type Change = (doc: Y.Doc, seed: Seeded) => Uint8Array | void;

const CHANGES = {
	'nothing (empty update)': () => Y.encodeStateAsUpdate(new Y.Doc()),
	'nothing (the server’s own state sent back)': (doc) => Y.encodeStateAsUpdate(doc),
	'asset name': (doc) => void assetOf(doc, 'a0').set('name', 'Renamed'),
	'asset field delete': (doc) => void assetOf(doc, 'a0').delete('description'),
	'soft delete (deletedAt)': (doc) => void assetOf(doc, 'a0').set('deletedAt', NOW),
	'nested value in a field': (doc) => {
		const extra = new Y.Map<unknown>();
		assetOf(doc, 'a0').set('extra', extra);
		extra.set('deep', [1, 2]);
	},
	'new asset': (doc) => {
		const entry = new Y.Map<unknown>();
		doc.getMap('assets').set('a-new', entry);
		entry.set('name', 'A new asset');
	},
	'new goal': (doc) => {
		const goal = new Y.Map<unknown>();
		doc.getMap('goals').set('g-new', goal);
		goal.set('title', 'A new goal');
	},
	'meta.title': (doc) => void doc.getMap('meta').set('title', 'Taken over'),
	'meta.locked': (doc) => void doc.getMap('meta').set('locked', true),
	'assets.<id>.hidden': (doc) => void assetOf(doc, 'a0').set('hidden', true),
	'new asset that is hidden': (doc) => {
		const entry = new Y.Map<unknown>();
		doc.getMap('assets').set('a-hidden', entry);
		entry.set('hidden', true);
	},
	'delete a whole asset': (doc) => void doc.getMap('assets').delete('a0'),
	'replace a whole asset': (doc) => void doc.getMap('assets').set('a0', new Y.Map()),
	// The hole: a fresh document (no state at all) whose client id is larger than the
	// author's. Its set is a "create" by shape, but wins the key and erases the asset.
	'replace an asset from a fresh doc with a larger client id': () => {
		const fresh = new Y.Doc();
		fresh.clientID = 2 ** 32 - 1;
		fresh.getMap('assets').set('a0', new Y.Map());
		return Y.encodeStateAsUpdate(fresh);
	},
	// Its mirror: a lower client id loses the key, so nothing visible changes, but the
	// stored map still grows with a write at someone else's entry.
	'race an asset from a fresh doc with a smaller client id': () => {
		const fresh = new Y.Doc();
		fresh.clientID = 1;
		fresh.getMap('assets').set('a0', new Y.Map());
		return Y.encodeStateAsUpdate(fresh);
	},
	'another root map': (doc) => void doc.getMap('secrets').set('x', 1),
	'a list position in the assets root': () => {
		const fresh = new Y.Doc();
		fresh.getArray('assets').insert(0, ['not keyed']);
		return Y.encodeStateAsUpdate(fresh);
	},
	'missing dependency': (doc) => {
		const stranger = new Y.Doc();
		Y.applyUpdate(stranger, Y.encodeStateAsUpdate(doc));
		stranger.getMap('assets').set('a-stranger', new Y.Map());
		Y.applyUpdate(doc, Y.encodeStateAsUpdate(stranger, Y.encodeStateVector(doc)));
		const known = Y.encodeStateVector(doc);
		assetOf(doc, 'a-stranger').set('name', 'depends on the stranger');
		return Y.encodeStateAsUpdate(doc, known);
	},
	// 13 bytes over the facilitator's next clocks: Yjs would take it as their next edits.
	'GC range over another device’s next clocks': (_doc, seed) => {
		const clock = Y.getState(seed.core.doc.store, seed.facilitatorClient);
		return forgeUpdate([{ client: seed.facilitatorClient, clock, structs: [{ kind: 'gc', length: 5 }] }]);
	},
	'subdocument in a field': (doc) => void assetOf(doc, 'a0').set('doc', new Y.Doc()),
	'one client in two groups (Yjs would park the second as pending)': () => {
		const client = 424_242;
		return forgeUpdate([
			{ client, clock: 0, structs: [{ kind: 'item', parent: { root: 'assets' }, parentSub: 'x1', content: { any: [1] } }] },
			{ client, clock: 7, structs: [{ kind: 'item', parent: { root: 'assets' }, parentSub: 'x2', content: { any: [2] } }] }
		]);
	}
} satisfies Record<string, Change>;
type ChangeName = keyof typeof CHANGES;

type Actor = 'viewer' | 'editor' | 'facilitator' | 'editor on a locked map' | 'facilitator on a locked map';
const ROLE: Record<Actor, Role> = {
	viewer: 'viewer',
	editor: 'editor',
	facilitator: 'facilitator',
	'editor on a locked map': 'editor',
	'facilitator on a locked map': 'facilitator'
};

const EDITOR_MAY: ChangeName[] = ['asset name', 'asset field delete', 'soft delete (deletedAt)', 'new asset', 'new goal'];
const NO_OPS: ChangeName[] = ['nothing (empty update)', 'nothing (the server’s own state sent back)'];
const MALFORMED: ChangeName[] = ['subdocument in a field', 'one client in two groups (Yjs would park the second as pending)'];
/**
 * Refused for every role: written under another device's id, building on what the server
 * lacks, or a Yjs type inside a field (fields hold plain values; see write-rules.ts).
 */
const NOBODY: ChangeName[] = ['missing dependency', 'GC range over another device’s next clocks', 'nested value in a field'];

function expected(actor: Actor, change: ChangeName): 'applied' | 'no-op' | number {
	if (NO_OPS.includes(change)) return 'no-op';
	if (MALFORMED.includes(change)) return CLOSE.malformed;
	if (NOBODY.includes(change)) return CLOSE.writeRefused;
	if (ROLE[actor] === 'facilitator') return 'applied';
	if (actor === 'editor' && EDITOR_MAY.includes(change)) return 'applied';
	return CLOSE.writeRefused;
}

function docChanges(effects: Effects<TestPeer>, to: TestPeer): boolean {
	// A sync update (message 0, step 2) sent to the watcher means the doc changed.
	return effects.send.some((m) => (m.to === undefined ? m.except !== to : m.to === to) && m.data[0] === 0 && m.data[1] === 2);
}

describe('role × change × frame matrix (room core)', () => {
	const actors = Object.keys(ROLE) as Actor[];
	const changes = Object.keys(CHANGES) as ChangeName[];
	it(`${actors.length * changes.length * 2} cases: refused frames change nothing and close; allowed ones are stored and sent to the others`, () => {
		const tally = new Map<string, number>();
		for (const actor of actors) {
			for (const change of changes) {
				for (const frame of ['step2', 'update'] as const) {
					const label = `${actor} / ${change} / ${frame}`;
					const seed = seeded(actor.endsWith('locked map'));
					const { core } = seed;
					const attacker = peer(ROLE[actor], 'd:attacker');
					const watcher = peer('viewer', 'd:watcher');
					connect(core, attacker);
					connect(core, watcher);
					const doc = copyOf(core, 77_000);
					const known = Y.encodeStateVector(doc);
					const update = CHANGES[change](doc, seed) ?? Y.encodeStateAsUpdate(doc, known);
					const before = canonical(copyOf(core));
					const stateBefore = Y.encodeStateVector(core.doc);

					const effects = core.receive(attacker, syncFrame(frame, update), NOW);
					const outcome = expected(actor, change);
					tally.set(String(outcome), (tally.get(String(outcome)) ?? 0) + 1);
					if (outcome === 'applied') {
						expect(effects.close, label).toEqual([]);
						expect(effects.write, label).not.toBeNull();
						expect(docChanges(effects, watcher), label).toBe(true);
						expect(docChanges(effects, attacker), label).toBe(false);
					} else {
						if (outcome === 'no-op') expect(effects.close, label).toEqual([]);
						else expect(effects.close.map((c) => [c.peer, c.code]), label).toEqual([[attacker, outcome]]);
						expect(effects.write, label).toBeNull();
						expect(docChanges(effects, watcher), label).toBe(false);
						expect(canonical(copyOf(core)), label).toBe(before);
						expect(Y.encodeStateVector(core.doc), label).toEqual(stateBefore);
					}
					expect(core.doc.store.pendingStructs, label).toBeNull();
					expect(core.doc.store.pendingDs, label).toBeNull();
				}
			}
		}
		console.log(`matrix outcomes: ${JSON.stringify(Object.fromEntries(tally))}`);
	});

	it('the fresh-doc replacement really would have erased the asset (why the gate refuses it)', () => {
		const seed = seeded();
		const naive = copyOf(seed.core);
		Y.applyUpdate(naive, CHANGES['replace an asset from a fresh doc with a larger client id']());
		expect(naive.getMap<Y.Map<unknown>>('assets').get('a0')!.toJSON()).toEqual({});
		expect(assetOf(seed.core.doc, 'a0').get('name')).toBe('Asset a0');
	});
});

describe('client ids belong to the device that first wrote under them', () => {
	it('another device cannot write under them; the owner’s later edits (after a reload, too) still land', () => {
		const { core } = seeded();
		const ana = peer('editor', 'd:ana', 'Ana');
		const mallory = peer('editor', 'd:mallory', 'Mallory');
		const watcher = peer('viewer', 'd:watcher');
		for (const p of [ana, mallory, watcher]) connect(core, p);

		const anaDoc = copyOf(core, 5_000);
		let known = Y.encodeStateVector(anaDoc);
		assetOf(anaDoc, 'a1').set('name', 'Ana’s first edit');
		expect(core.receive(ana, syncFrame('update', Y.encodeStateAsUpdate(anaDoc, known)), NOW).close).toEqual([]);

		// Mallory covers Ana's next clocks with a GC range; Yjs would then drop Ana's next edits.
		const gc = forgeUpdate([{ client: 5_000, clock: Y.getState(anaDoc.store, 5_000), structs: [{ kind: 'gc', length: 3 }] }]);
		const refused = core.receive(mallory, syncFrame('update', gc), NOW);
		expect(refused.close.map((c) => c.code)).toEqual([CLOSE.writeRefused]);
		expect(refused.close[0].reason).toMatch(/belongs to another device/);
		// So does a stock-looking edit under Ana's id.
		const forged = copyOf(core, 5_000);
		assetOf(forged, 'a2').set('name', 'Mallory as Ana');
		const mallory2 = peer('editor', 'd:mallory', 'Mallory');
		connect(core, mallory2);
		expect(core.receive(mallory2, syncFrame('update', Y.encodeStateAsUpdate(forged, Y.encodeStateVector(core.doc))), NOW).close.map((c) => c.code)).toEqual([CLOSE.writeRefused]);

		// Ana goes offline, renames and adds an asset, reloads (a new connection, same device).
		core.leave(ana);
		known = Y.encodeStateVector(core.doc);
		assetOf(anaDoc, 'a1').set('name', 'Renamed offline');
		const added = new Y.Map<unknown>();
		anaDoc.getMap('assets').set('a-offline', added);
		added.set('name', 'Added offline');
		const anaAgain = peer('editor', 'd:ana', 'Ana');
		core.join(anaAgain);
		expect(core.receive(anaAgain, syncFrame('step2', Y.encodeStateAsUpdate(anaDoc, known)), NOW).close).toEqual([]);
		expect(assetOf(core.doc, 'a1').get('name')).toBe('Renamed offline');
		expect(assetOf(core.doc, 'a-offline').get('name')).toBe('Added offline');
		expect(assetOf(core.doc, 'a2').get('name')).toBe('Asset a2');
	});

	it('stores the bindings with the update, so they hold after a restart', () => {
		const { core } = seeded();
		const ana = peer('editor', 'd:ana');
		connect(core, ana);
		const anaDoc = copyOf(core, 6_000);
		const known = Y.encodeStateVector(anaDoc);
		assetOf(anaDoc, 'a1').set('name', 'x');
		const effects = core.receive(ana, syncFrame('update', Y.encodeStateAsUpdate(anaDoc, known)), NOW);
		expect(effects.write?.owners).toEqual([{ client: 6_000, device: 'd:ana' }]);

		const restarted = new RoomCore<TestPeer>('testmap000', { updates: [Y.encodeStateAsUpdate(core.doc)], owners: effects.write!.owners }, { maxDocBytes: 1e9 });
		const mallory = peer('editor', 'd:mallory');
		connect(restarted, mallory);
		const gc = forgeUpdate([{ client: 6_000, clock: Y.getState(restarted.doc.store, 6_000), structs: [{ kind: 'gc', length: 1 }] }]);
		expect(restarted.receive(mallory, syncFrame('update', gc), NOW).close.map((c) => c.code)).toEqual([CLOSE.writeRefused]);
	});

	it('a connection without a device token holds its ids only while connected', () => {
		const { core } = seeded();
		const script = peer('editor', null);
		const other = peer('editor', null);
		connect(core, script);
		connect(core, other);
		const doc = copyOf(core, 7_000);
		let known = Y.encodeStateVector(doc);
		assetOf(doc, 'a1').set('name', 'by the script');
		expect(core.receive(script, syncFrame('update', Y.encodeStateAsUpdate(doc, known)), NOW).write?.owners).toEqual([]);
		known = Y.encodeStateVector(doc);
		assetOf(doc, 'a1').set('name', 'by someone else under its id');
		const update = Y.encodeStateAsUpdate(doc, known);
		expect(core.receive(other, syncFrame('update', update), NOW).close.map((c) => c.code)).toEqual([CLOSE.writeRefused]);
		core.leave(script);
		const reconnected = peer('editor', null);
		connect(core, reconnected);
		expect(core.receive(reconnected, syncFrame('update', update), NOW).close).toEqual([]);
	});
});

describe('presence on the tick', () => {
	it('relays each person’s latest state once per tick, stamped by the server, and removals when they leave', () => {
		const { core } = seeded();
		const rosa = peer('editor', 'd:rosa', 'Rosa');
		const watcher = peer('viewer', 'd:watcher', 'Watcher');
		connect(core, rosa);
		connect(core, watcher);
		for (let clock = 1; clock <= 100; clock++) {
			const effects = core.receive(rosa, awarenessFrame([{ clientId: 11, clock, state: { user: { name: 'Facilitator', role: 'facilitator' }, cursor: clock } }]), NOW);
			expect(effects.send).toEqual([]);
		}
		// Someone else's id in the same connection's frames: skipped.
		core.receive(rosa, awarenessFrame([{ clientId: 12, clock: 1, state: { user: { name: 'Ghost' } } }]), NOW);
		const tick = core.flushPresence();
		expect(tick.send).toHaveLength(1);
		const states = readAwareness(tick.send[0].data)!;
		expect([...states.keys()]).toEqual([11]);
		expect(states.get(11)).toEqual({ user: { name: 'Rosa', role: 'editor', affiliation: 'community-member' }, cursor: 100 });
		expect(core.flushPresence().send).toEqual([]);

		core.leave(rosa);
		const removal = readAwareness(core.flushPresence().send[0].data)!;
		expect(removal.get(11)).toBeNull();
	});

	it('keeps “present” (the view shown on the big screen) only from a facilitator, and only in its cleaned shape', () => {
		const { core } = seeded();
		const fatima = peer('facilitator', 'd:fatima', 'Fatima');
		const rosa = peer('editor', 'd:rosa', 'Rosa');
		connect(core, fatima);
		connect(core, rosa);
		const view = { center: [-122.41, 37.77], zoom: 15.5, bearing: 10, pitch: 0 };
		core.receive(fatima, awarenessFrame([{ clientId: 31, clock: 1, state: { user: {}, present: { ...view, extra: 'x'.repeat(100) } } }]), NOW);
		// An editor cannot steer the big screen...
		core.receive(rosa, awarenessFrame([{ clientId: 32, clock: 1, state: { user: {}, present: view } }]), NOW);
		let states = readAwareness(core.flushPresence().send[0].data)!;
		expect(states.get(31)).toEqual({ user: { name: 'Fatima', role: 'facilitator', affiliation: 'campus-staff' }, present: view });
		expect(states.get(32)).toEqual({ user: { name: 'Rosa', role: 'editor', affiliation: 'community-member' } });

		// ...and a malformed view from a facilitator is dropped, not relayed.
		for (const present of [
			{ center: [200, 0], zoom: 3 },
			{ center: [0, 0], zoom: Number.MAX_VALUE },
			{ center: [0, 0, 0], zoom: 3 },
			{ center: ['0', 0], zoom: 3 },
			{ center: [0, 0], zoom: 3, pitch: 120 },
			'center',
			null
		]) {
			core.receive(fatima, awarenessFrame([{ clientId: 31, clock: 2, state: { user: {}, present } }]), NOW);
			states = readAwareness(core.flushPresence().send[0].data)!;
			expect(states.get(31)).toEqual({ user: { name: 'Fatima', role: 'facilitator', affiliation: 'campus-staff' } });
		}
		// Bearing and pitch default to 0.
		core.receive(fatima, awarenessFrame([{ clientId: 31, clock: 3, state: { present: { center: [1, 2], zoom: 4 } } }]), NOW);
		states = readAwareness(core.flushPresence().send[0].data)!;
		expect((states.get(31) as Record<string, unknown>).present).toEqual({ center: [1, 2], zoom: 4, bearing: 0, pitch: 0 });
	});

	it('a tab’s new socket takes its id over with the same session token, and nobody else can', () => {
		const { core } = seeded();
		const tab = peer('editor', 'd:tab', 'Tab', 'session-aaaaaaaaaaaaaaaa');
		connect(core, tab);
		core.receive(tab, awarenessFrame([{ clientId: 21, clock: 5, state: { n: 1 } }]), NOW);
		core.flushPresence();
		const impostor = peer('editor', 'd:other', 'Impostor', 'session-bbbbbbbbbbbbbbbb');
		connect(core, impostor);
		core.receive(impostor, awarenessFrame([{ clientId: 21, clock: 50, state: { n: 2 } }]), NOW);
		expect(core.flushPresence().send).toEqual([]);

		const again = peer('editor', 'd:tab', 'Tab renamed', 'session-aaaaaaaaaaaaaaaa');
		connect(core, again);
		core.receive(again, awarenessFrame([{ clientId: 21, clock: 1, state: { n: 3 } }]), NOW);
		// The old socket's close must not remove what the new one now holds.
		core.leave(tab);
		const states = readAwareness(core.flushPresence().send[0].data)!;
		expect(states.get(21)).toMatchObject({ n: 3, user: { name: 'Tab renamed' } });
	});

	it('relays at most a tick’s worth of bytes, the rest on the next ticks, oldest change first', () => {
		const { core } = seeded();
		const people = Array.from({ length: 200 }, (_, i) => peer('viewer', `d:p${i}`, `P${i}`));
		for (const p of people) connect(core, p);
		for (const [i, p] of people.entries()) core.receive(p, awarenessFrame([{ clientId: 1_000 + i, clock: 1, state: { pad: 'x'.repeat(900) } }]), NOW);
		const seen: number[] = [];
		let ticks = 0;
		for (let data = core.flushPresence().send[0]?.data; data; data = core.flushPresence().send[0]?.data) {
			ticks++;
			expect(data.byteLength).toBeLessThanOrEqual(MAX_PRESENCE_TICK_BYTES);
			seen.push(...readAwareness(data)!.keys());
		}
		expect(ticks).toBeGreaterThan(1);
		expect(seen).toEqual(people.map((_, i) => 1_000 + i));
	});

	it('refuses a presence state over 1 KiB', () => {
		const { core } = seeded();
		const p = peer('viewer', 'd:big');
		connect(core, p);
		const frame = awarenessFrame([{ clientId: 77, clock: 1, state: { pad: 'x'.repeat(MAX_PRESENCE_STATE_BYTES) } }]);
		expect(core.receive(p, frame, NOW).close.map((c) => c.code)).toEqual([CLOSE.tooLarge]);
	});

	it('refuses frames over the bounds before decoding them', () => {
		const { core } = seeded();
		const p = peer('viewer', 'd:p');
		connect(core, p);
		// A state vector naming far more clients than the map has.
		const vector = encoding.createEncoder();
		encoding.writeVarUint(vector, 5_000);
		for (let i = 0; i < 5_000; i++) (encoding.writeVarUint(vector, i + 1), encoding.writeVarUint(vector, 1));
		expect(core.receive(p, syncFrame('step1', encoding.toUint8Array(vector)), NOW).close.map((c) => c.code)).toEqual([CLOSE.tooLarge]);

		const q = peer('viewer', 'd:q');
		connect(core, q);
		expect(core.receive(q, awarenessFrame(Array.from({ length: 5_000 }, (_, i) => ({ clientId: i, clock: 1, state: {} }))), NOW).close.map((c) => c.code)).toEqual([CLOSE.tooLarge]);
	});
});

describe('fields hold plain values', () => {
	it('an empty Yjs type as a field value is refused for every role, in an entry and in meta', () => {
		const cases: Array<[Role, (doc: Y.Doc) => void]> = [
			['editor', (doc) => assetOf(doc, 'a1').set('notes', new Y.Array())],
			['facilitator', (doc) => assetOf(doc, 'a1').set('notes', new Y.Text())],
			['facilitator', (doc) => doc.getMap('meta').set('description', new Y.Map())]
		];
		for (const [index, [role, edit]] of cases.entries()) {
			const { core } = seeded();
			const who = peer(role, `d:typed${index}`, 'Typed');
			connect(core, who);
			const doc = copyOf(core, 900 + index);
			const known = Y.encodeStateVector(doc);
			edit(doc);
			const effects = core.receive(who, syncFrame('update', Y.encodeStateAsUpdate(doc, known)), NOW);
			expect(effects.close.map((c) => c.code)).toEqual([CLOSE.writeRefused]);
			expect(effects.write).toBeNull();
		}
	});
});

describe('caps', () => {
	const rename = (core: RoomCore<TestPeer>, who: TestPeer, clientId: number, name: string) => {
		const doc = copyOf(core, clientId);
		const known = Y.encodeStateVector(doc);
		assetOf(doc, 'a1').set('name', name);
		return core.receive(who, syncFrame('update', Y.encodeStateAsUpdate(doc, known)), NOW);
	};

	it('a full map still takes the facilitator’s small edits (hiding what filled it), up to a reserve', () => {
		const { core } = seeded(false, { maxDocBytes: 1 });
		const ana = peer('editor', 'd:ana', 'Ana');
		const fac = peer('facilitator', 'd:fac', 'Fran');
		connect(core, ana);
		connect(core, fac);
		expect(rename(core, ana, 501, 'more').close.map((c) => c.code)).toEqual([CLOSE.tooLarge]);
		expect(rename(core, fac, 502, 'tended').close).toEqual([]);
		expect(core.doc.getMap<Y.Map<unknown>>('assets').get('a1')!.get('name')).toBe('tended');
		// A large facilitator update is not tending.
		expect(rename(core, fac, 503, 'x'.repeat(FACILITATOR_SMALL_BYTES)).close.map((c) => c.code)).toEqual([CLOSE.tooLarge]);
	});

	it('with the heap near its limit, writes are refused (4429) but the facilitator can still tend the map', () => {
		const { core } = seeded(false, { memoryTight: () => true });
		const ana = peer('editor', 'd:ana', 'Ana');
		const fac = peer('facilitator', 'd:fac', 'Fran');
		connect(core, ana);
		connect(core, fac);
		expect(rename(core, ana, 601, 'more').close.map((c) => c.code)).toEqual([CLOSE.rateLimited]);
		expect(rename(core, fac, 602, 'hidden for now').close).toEqual([]);
		let refused = false;
		// The reserve runs out: 1 MiB of 16 KiB edits at most.
		for (let i = 0; i < 80 && !refused; i++) refused = rename(core, fac, 700 + i, 'y'.repeat(15_000) + i).close.length > 0;
		expect(refused).toBe(true);
	});
});

describe('journal', () => {
	it('records who created, changed, deleted, restored, hid and showed each entry', () => {
		const { core } = seeded();
		const fac = peer('facilitator', 'd:fac', 'Fran');
		const ana = peer('editor', 'd:ana', 'Ana');
		const viewer = peer('viewer', 'd:v', 'Vic');
		for (const p of [fac, ana, viewer]) connect(core, p);
		const docs = new Map<TestPeer, Y.Doc>([
			[fac, copyOf(core, 101)],
			[ana, copyOf(core, 102)],
			[viewer, copyOf(core, 103)]
		]);
		const journal: JournalRecord[] = [];
		const act = (who: TestPeer, edit: (doc: Y.Doc) => void) => {
			const doc = docs.get(who)!;
			Y.applyUpdate(doc, Y.encodeStateAsUpdate(core.doc));
			const known = Y.encodeStateVector(doc);
			edit(doc);
			const effects = core.receive(who, syncFrame('update', Y.encodeStateAsUpdate(doc, known)), NOW);
			journal.push(...(effects.write?.journal ?? []));
			return effects;
		};
		act(ana, (doc) => {
			const asset = new Y.Map<unknown>();
			doc.getMap('assets').set('market', asset);
			asset.set('name', 'Farmers market');
			asset.set('category', 'economy');
		});
		act(ana, (doc) => {
			assetOf(doc, 'market').set('description', 'Saturdays');
			assetOf(doc, 'market').set('updatedAt', NOW);
		});
		act(ana, (doc) => assetOf(doc, 'market').set('deletedAt', NOW));
		act(fac, (doc) => assetOf(doc, 'market').delete('deletedAt'));
		act(fac, (doc) => assetOf(doc, 'market').set('hidden', true));
		act(fac, (doc) => assetOf(doc, 'market').set('hidden', false));
		act(fac, (doc) => doc.getMap('meta').set('locked', true));
		expect(act(viewer, (doc) => assetOf(doc, 'market').set('name', 'x')).close).toHaveLength(1);

		const who = (record: JournalRecord) => [record.name, record.role, record.collection, record.entry, record.kind, record.fields];
		expect(journal.map(who)).toEqual([
			['Ana', 'editor', 'assets', 'market', 'create', { name: 'Farmers market', category: 'economy' }],
			['Ana', 'editor', 'assets', 'market', 'update', { description: 'Saturdays' }],
			['Ana', 'editor', 'assets', 'market', 'delete', { deletedAt: NOW }],
			['Fran', 'facilitator', 'assets', 'market', 'restore', { deletedAt: null }],
			['Fran', 'facilitator', 'assets', 'market', 'hide', { hidden: true }],
			['Fran', 'facilitator', 'assets', 'market', 'show', { hidden: false }],
			['Fran', 'facilitator', 'meta', 'meta', 'update', { locked: true }]
		]);
		expect(journal.every((record) => record.at === NOW)).toBe(true);
	});

	it('caps long values and never records changes nobody can see', () => {
		const { core } = seeded();
		const fac = peer('facilitator', 'd:fac');
		connect(core, fac);
		const doc = copyOf(core, 201);
		const known = Y.encodeStateVector(doc);
		assetOf(doc, 'a0').set('description', 'y'.repeat(10_000));
		assetOf(doc, 'a0').set('geometry', { type: 'Polygon', coordinates: [Array.from({ length: 20_000 }, (_, i) => [i, i])] });
		const [record] = core.receive(fac, syncFrame('update', Y.encodeStateAsUpdate(doc, known)), NOW).write!.journal;
		expect((record.fields.description as string).length).toBe(4001);
		expect(record.fields.geometry).toEqual({ truncated: true });

		const fresh = new Y.Doc();
		fresh.clientID = 1;
		fresh.getMap('assets').set('a0', new Y.Map());
		const lost = core.receive(fac, syncFrame('update', Y.encodeStateAsUpdate(fresh)), NOW);
		expect(lost.write).not.toBeNull();
		expect(lost.write!.journal).toEqual([]);
	});
});

describe('what a hostile participant tried (and what now happens)', () => {
	it('a huge deleted item in a field’s history neither blocks later writes nor costs a step per clock', () => {
		const { core } = seeded();
		const mallory = peer('editor', 'd:mallory');
		const fac = peer('facilitator', 'd:fac');
		connect(core, mallory);
		connect(core, fac);
		// 19 bytes: a deleted item of two million clocks at the start of a0.name's history.
		const poison = forgeUpdate([
			{ client: 31_337, clock: 0, structs: [{ kind: 'item', parent: { id: idOf(core, 'a0') }, parentSub: 'name', content: { deleted: 2_000_000 } }] }
		]);
		expect(core.receive(mallory, syncFrame('update', poison), NOW).close).toEqual([]);
		expect(assetOf(core.doc, 'a0').get('name')).toBe('Asset a0');
		// The facilitator renames it, and hides it (every save also writes updatedAt).
		const doc = copyOf(core, 4_242);
		const known = Y.encodeStateVector(doc);
		assetOf(doc, 'a0').set('name', 'Renamed by the facilitator');
		assetOf(doc, 'a0').set('hidden', true);
		const effects = core.receive(fac, syncFrame('update', Y.encodeStateAsUpdate(doc, known)), NOW);
		expect(effects.close).toEqual([]);
		expect(assetOf(core.doc, 'a0').get('name')).toBe('Renamed by the facilitator');
		expect(assetOf(core.doc, 'a0').get('hidden')).toBe(true);
	});

	it('a presence id belongs to its device: nobody can write under it, or show under it, while its owner is away', () => {
		const { core } = seeded();
		const victim = peer('editor', 'd:victim', 'Victim', 'victim-session-aaaaaaaa');
		const mallory = peer('editor', 'd:mallory', 'Mallory', 'mallory-session-bbbbbbbb');
		connect(core, victim);
		connect(core, mallory);
		// The victim shows up (y-websocket's presence id is its doc's client id), then walks away
		// before writing anything.
		const victimDoc = copyOf(core, 55_555);
		const claimed = core.receive(victim, awarenessFrame([{ clientId: 55_555, clock: 1, state: { user: {} } }]), NOW);
		expect(claimed.write?.owners).toEqual([{ client: 55_555, device: 'd:victim' }]);
		core.leave(victim);

		// Mallory, who saw 55555 in presence, squats it with a one-clock GC range...
		const squat = core.receive(mallory, syncFrame('update', forgeUpdate([{ client: 55_555, clock: 0, structs: [{ kind: 'gc', length: 1 }] }])), NOW);
		expect(squat.close.map((c) => c.code)).toEqual([CLOSE.writeRefused]);
		// ...and cannot take over its presence either.
		const other = peer('viewer', 'd:mallory-viewer', 'Vic');
		connect(core, other);
		core.receive(other, awarenessFrame([{ clientId: 55_555, clock: 9, state: { user: {}, cursor: 1 } }]), NOW);
		const tick = core.flushPresence().send.map((m) => readAwareness(m.data));
		expect(tick.some((states) => states?.get(55_555) && (states.get(55_555) as { cursor?: number }).cursor === 1)).toBe(false);

		// The victim's offline asset lands when it comes back (a new socket, same device).
		const known = Y.encodeStateVector(victimDoc);
		const added = new Y.Map<unknown>();
		victimDoc.getMap('assets').set('made-offline', added);
		added.set('name', 'Made offline');
		const back = peer('editor', 'd:victim', 'Victim', 'victim-session-cccccccc');
		core.join(back);
		expect(core.receive(back, syncFrame('step2', Y.encodeStateAsUpdate(victimDoc, known)), NOW).close).toEqual([]);
		expect(assetOf(core.doc, 'made-offline').get('name')).toBe('Made offline');
	});

	it('an update under more than 64 new client ids is refused (4413): each one would stay in every state vector', () => {
		const { core } = seeded();
		const p = peer('editor', 'd:p');
		connect(core, p);
		const groups = Array.from({ length: 65 }, (_, i) => ({ client: 700_000 + i, clock: 0, structs: [{ kind: 'gc' as const, length: 1 }] }));
		expect(core.receive(p, syncFrame('update', forgeUpdate(groups)), NOW).close.map((c) => c.code)).toEqual([CLOSE.tooLarge]);
		const q = peer('editor', 'd:q');
		connect(core, q);
		expect(core.receive(q, syncFrame('update', forgeUpdate(groups.slice(0, 64))), NOW).close).toEqual([]);
	});

	it('a viewer’s frames are refused without a replay, whatever they hold', () => {
		const { core } = seeded();
		const viewer = peer('viewer', 'd:v');
		connect(core, viewer);
		const groups = Array.from({ length: 200 }, (_, i) => ({ client: 800_000 + i, clock: 0, structs: [{ kind: 'gc' as const, length: 1 }] }));
		const effects = core.receive(viewer, syncFrame('update', forgeUpdate(groups)), NOW);
		expect(effects.close.map((c) => [c.code, c.reason])).toEqual([[CLOSE.writeRefused, 'write refused: viewers are read-only']]);
	});

	it('frames dropped before the first sync step 2 stop being free after a megabyte (4409)', () => {
		const { core } = seeded();
		const p = peer('editor', 'd:p');
		core.join(p); // never answers with a sync step 2
		const orphan = (i: number) => forgeUpdate([{ client: 900_000 + i, clock: 5, structs: [{ kind: 'item', parent: { root: 'assets' }, parentSub: `x${i}`, content: { any: ['y'.repeat(300_000)] } }] }]);
		for (let i = 0; i < 3; i++) expect(core.receive(p, syncFrame('update', orphan(i)), NOW).close).toEqual([]);
		expect(core.receive(p, syncFrame('update', orphan(3)), NOW).close.map((c) => c.code)).toEqual([CLOSE.writeRefused]);
	});

	it('an entry id that holds the journal’s old separator is recorded under its own id', () => {
		const { core } = seeded();
		const p = peer('editor', 'd:p', 'Mallory');
		connect(core, p);
		const doc = copyOf(core, 1_234);
		const known = Y.encodeStateVector(doc);
		const entry = new Y.Map<unknown>();
		doc.getMap('assets').set('a0\u0000x', entry);
		entry.set('name', 'look-alike');
		const [record] = core.receive(p, syncFrame('update', Y.encodeStateAsUpdate(doc, known)), NOW).write!.journal;
		expect(record.entry).toBe('a0\u0000x');
		expect(record.kind).toBe('create');
	});
});

/** The id of the Y.Map item holding an entry, for forged parents. */
function idOf(core: RoomCore<TestPeer>, assetId: string): [number, number] {
	const item = assetOf(core.doc, assetId)._item!;
	return [item.id.client, item.id.clock];
}
