/**
 * The pieces of several instances that need no processes: a room's place in its map's log
 * (cluster/room-link.ts) against the memory store, the bus's message format, presence from
 * other instances (room/presence-gate.ts), and other instances' updates applied by the room
 * core as already-judged state.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { BUS_TAG_BYTES, busKey, decodeMapMessage, encodeMapMessage, MAX_INLINE_UPDATE_BYTES, openBusMessage, sealBusMessage } from '../../server/cluster/bus.ts';
import { RoomLink } from '../../server/cluster/room-link.ts';
import { createMemoryStore } from '../../server/persistence/memory.ts';
import { RoomCore, type Peer } from '../../server/room/core.ts';
import { PresenceGate } from '../../server/room/presence-gate.ts';
import { encodePresence, encodeSyncStep2, parseMessage } from '../../server/room/protocol.ts';

/** A writer's successive updates: each renames, the first creates. */
function writes(count: number, clientId = 7): Uint8Array[] {
	const doc = new Y.Doc();
	doc.clientID = clientId;
	const updates: Uint8Array[] = [];
	doc.on('update', (u: Uint8Array) => updates.push(u));
	const asset = new Y.Map<unknown>();
	doc.getMap('assets').set('a1', asset);
	for (let i = 1; i < count; i++) asset.set('name', `n${i}`);
	return updates;
}

describe('RoomLink: other instances\' updates in seq order', () => {
	it('applies in order, holds early ones, counts its own commits, and fills a hole from the store', async () => {
		const store = createMemoryStore();
		const updates = writes(6);
		const seqs: number[] = [];
		for (const update of updates) seqs.push(await store.appendUpdate('mapaaaaaaa', update));
		let woken = 0;
		const link = new RoomLink(store, 'mapaaaaaaa', () => woken++);
		link.loaded(seqs[0]);
		// seq 3 arrives before 2: held.
		expect(link.remote({ seq: seqs[2], update: updates[2], owners: [] })).toEqual([]);
		expect(link.waiting).toBe(1);
		// 2 arrives: both, in order.
		expect(link.remote({ seq: seqs[1], update: updates[1], owners: [] }).map((r) => r.seq)).toEqual([seqs[1], seqs[2]]);
		// This room's own commit (4) is already in its document: nothing to apply, but it counts.
		expect(link.own(seqs[3])).toEqual([]);
		expect(link.applied).toBe(seqs[3]);
		// A duplicate changes nothing.
		expect(link.remote({ seq: seqs[2], update: updates[2], owners: [] })).toEqual([]);
		// 6 without 5: held; the store fills the hole when asked.
		expect(link.remote({ seq: seqs[5], update: updates[5], owners: [] })).toEqual([]);
		link.want();
		expect(woken).toBe(1);
		const caught = await link.catchUp(false);
		expect(caught.fromStore).toBe(true);
		expect(caught.ready.map((r) => r.seq)).toEqual([seqs[4], seqs[5]]);
		expect(link.applied).toBe(seqs[5]);
		expect(link.waiting).toBe(0);
		// With nothing new, a joining client's barrier only asks for the head.
		expect(await link.catchUp(true)).toEqual({ ready: [], fromStore: false });
		link.dispose();
	});

	it('a notice of an update too large to travel, or a head past it, sends the room to the store', async () => {
		const store = createMemoryStore();
		const updates = writes(3);
		for (const update of updates) await store.appendUpdate('mapbbbbbbb', update);
		let woken = 0;
		const link = new RoomLink(store, 'mapbbbbbbb', () => woken++);
		link.loaded(1);
		expect(link.remote({ seq: 3, update: null, owners: [] })).toEqual([]);
		expect(woken).toBe(1);
		expect((await link.catchUp(false)).ready.map((r) => r.seq)).toEqual([2, 3]);
		link.head(3);
		expect(woken).toBe(1);
		await store.appendUpdate('mapbbbbbbb', writes(1, 9)[0]);
		link.head(4);
		expect(woken).toBe(2);
		expect((await link.catchUp(false)).ready.map((r) => r.seq)).toEqual([4]);
		// A seq the store has never had (a confused peer) is dropped after one read, not
		// chased every 100 ms.
		link.remote({ seq: 99, update: updates[0], owners: [] });
		expect(link.waiting).toBe(1);
		link.want();
		expect((await link.catchUp(false)).ready).toEqual([]);
		expect(link.waiting).toBe(0);
		expect(link.applied).toBe(4);
		link.dispose();
	});

	it('after another instance compacted past it, catching up brings back what the merged rows hold', async () => {
		const store = createMemoryStore();
		const doc = new Y.Doc();
		const updates: Uint8Array[] = [];
		doc.on('update', (u: Uint8Array) => updates.push(u));
		for (let i = 0; i < 8; i++) doc.getMap('assets').set(`k${i}`, i);
		for (let i = 0; i < 4; i++) doc.getMap('assets').set('k7', `again ${i}`);
		for (const update of updates) await store.appendUpdate('mapccccccc', update);
		const room = new Y.Doc();
		for (const update of updates.slice(0, 9)) Y.applyUpdate(room, update);
		const link = new RoomLink(store, 'mapccccccc', () => {});
		link.loaded(9);
		await store.compactStored('mapccccccc', 11);
		link.want();
		for (const { update } of (await link.catchUp(false)).ready) Y.applyUpdate(room, update);
		expect(room.getMap('assets').toJSON()).toEqual(doc.getMap('assets').toJSON());
		expect(link.applied).toBe(12);
		link.dispose();
	});
});

describe('cluster bus messages', () => {
	it('round-trip, and a large update travels as a notice', () => {
		const owners = [{ client: 42, device: 'd:abc' }];
		const small = encodeMapMessage({ kind: 'update', from: 'i1', message: { seq: 9, update: new Uint8Array([1, 2, 3]), owners } });
		expect(decodeMapMessage(small)).toEqual({ kind: 'update', from: 'i1', message: { seq: 9, update: new Uint8Array([1, 2, 3]), owners } });
		const big = encodeMapMessage({ kind: 'update', from: 'i1', message: { seq: 10, update: new Uint8Array(MAX_INLINE_UPDATE_BYTES + 1), owners: [] } });
		expect(big.byteLength).toBeLessThan(100);
		expect(decodeMapMessage(big)).toEqual({ kind: 'update', from: 'i1', message: { seq: 10, update: null, owners: [] } });
		expect(decodeMapMessage(encodeMapMessage({ kind: 'presence', from: 'i2', frame: new Uint8Array([1, 0]) }))).toEqual({ kind: 'presence', from: 'i2', frame: new Uint8Array([1, 0]) });
		expect(decodeMapMessage(encodeMapMessage({ kind: 'owners', from: 'i3', owners }))).toEqual({ kind: 'owners', from: 'i3', owners });
		expect(decodeMapMessage(new Uint8Array([9, 9, 9]))).toBeNull();
	});

	it('are sealed with a key derived from the server secret and bound to their channel', () => {
		const secret = new Uint8Array(32).fill(5);
		const key = busKey(secret);
		// Derived, never the secret itself; the same for every instance with that secret.
		expect(Buffer.compare(key, Buffer.from(secret))).not.toBe(0);
		expect(busKey(new Uint8Array(32).fill(5)).equals(key)).toBe(true);
		const payload = encodeMapMessage({ kind: 'update', from: 'i1', message: { seq: 3, update: new Uint8Array([1, 2]), owners: [] } });
		const sealed = sealBusMessage(key, 'atlas:map:aaaaaaaaaa', payload);
		expect(sealed.byteLength).toBe(payload.byteLength + BUS_TAG_BYTES);
		expect(Buffer.from(openBusMessage(key, 'atlas:map:aaaaaaaaaa', sealed)!).equals(Buffer.from(payload))).toBe(true);
		// Replayed on another map's channel, or another deployment's, or the revoke channel.
		for (const channel of ['atlas:map:bbbbbbbbbb', 'other:map:aaaaaaaaaa', 'atlas:revoke']) expect(openBusMessage(key, channel, sealed)).toBeNull();
		// Another secret; a flipped bit anywhere; unsigned; too short to hold a tag.
		expect(openBusMessage(busKey(new Uint8Array(32).fill(6)), 'atlas:map:aaaaaaaaaa', sealed)).toBeNull();
		for (let i = 0; i < sealed.byteLength; i++) {
			const tampered = Buffer.from(sealed);
			tampered[i] ^= 1;
			expect(openBusMessage(key, 'atlas:map:aaaaaaaaaa', tampered)).toBeNull();
		}
		expect(openBusMessage(key, 'atlas:map:aaaaaaaaaa', payload)).toBeNull();
		expect(openBusMessage(key, 'atlas:map:aaaaaaaaaa', new Uint8Array(BUS_TAG_BYTES - 1))).toBeNull();
		// The channel's name is length-prefixed: moving bytes between name and payload fails.
		const shifted = sealBusMessage(key, 'atlas:map:aaaaaaaaa', Buffer.concat([Buffer.from('a'), payload]));
		expect(openBusMessage(key, 'atlas:map:aaaaaaaaaa', Buffer.concat([shifted.subarray(0, BUS_TAG_BYTES), payload]))).toBeNull();
	});
});

const peer = (name: string): Peer => ({ role: 'editor', identity: { name, affiliation: 'student', session: null, device: null } });

function entries(frame: Uint8Array) {
	const message = parseMessage(frame, { stateVectorEntries: 0 });
	if (message.kind !== 'awareness') throw new Error('not presence');
	return message.entries;
}

describe('presence from other instances', () => {
	it('is shown here, never told back, yields to a connection here, and expires', () => {
		const gate = new PresenceGate<Peer>(true);
		const ana = peer('Ana');
		gate.join(ana);
		gate.receive(ana, entries(encodePresence([{ clientId: 1, clock: 0, state: { cursor: 1 } }])));
		// Ana's change is for everyone here and for the other instances.
		expect(gate.takeChangesHere()).not.toBeNull();
		expect(gate.takeChangesHere()).toBeNull();
		gate.flush();
		// Ben, on another instance; and someone there claiming Ana's id, ignored.
		gate.receiveRemote(
			entries(
				encodePresence([
					{ clientId: 2, clock: 3, state: { user: { name: 'Ben', role: 'editor' } } },
					{ clientId: 1, clock: 9, state: { user: { name: 'not Ana' } } }
				])
			),
			1000
		);
		expect(gate.hasRemote).toBe(true);
		const relayed = entries(gate.flush()!);
		expect(relayed.map((e) => e.clientId)).toEqual([2]);
		expect(gate.takeChangesHere()).toBeNull();
		// Everyone here sees Ben in the snapshot a newcomer gets.
		expect(entries(gate.snapshot()!).map((e) => e.clientId).sort()).toEqual([1, 2]);
		// An older clock does not undo a newer state.
		gate.receiveRemote(entries(encodePresence([{ clientId: 2, clock: 1, state: null }])), 1500);
		expect(gate.flush()).toBeNull();
		// Not heard of since before 2000: gone.
		gate.expireRemote(2000);
		const removal = entries(gate.flush()!);
		expect(removal.map((e) => [e.clientId, new TextDecoder().decode(e.json)])).toEqual([[2, 'null']]);
		expect(gate.hasRemote).toBe(false);
		// Shutting down: removals for everyone connected here.
		expect(entries(gate.removalsHere()!).map((e) => [e.clientId, new TextDecoder().decode(e.json)])).toEqual([[1, 'null']]);
	});

	it('one process alone keeps nothing for other instances', () => {
		const gate = new PresenceGate<Peer>();
		const ana = peer('Ana');
		gate.join(ana);
		gate.receive(ana, entries(encodePresence([{ clientId: 1, clock: 0, state: {} }])));
		expect(gate.takeChangesHere()).toBeNull();
	});
});

describe('room core: other instances\' updates', () => {
	it('are applied without judging, reach every member once, and a member then builds on them', () => {
		const core = new RoomCore<Peer>('mapddddddd', { updates: [], owners: [] }, { maxDocBytes: 1 << 20, relayPresence: true });
		const viewer = peer('Vi');
		const member: Peer = { ...viewer, role: 'viewer' };
		core.join(member);
		const updates = writes(4);
		// A viewer could never write these; another instance's editor did, and it was judged there.
		const effects = core.applyRemote(updates, [{ client: 7, device: 'd:elsewhere' }]);
		expect(effects.send).toHaveLength(1);
		expect(effects.send[0].to).toBeUndefined();
		expect(core.doc.getMap<Y.Map<unknown>>('assets').get('a1')?.get('name')).toBe('n3');
		// Applying them again changes nothing and sends nothing.
		expect(core.applyRemote(updates, []).send).toEqual([]);
		// The device binding came with them: another device may not write under client 7 here.
		const editor = peer('Ed');
		core.join(editor);
		const forged = new Y.Doc();
		Y.applyUpdate(forged, Y.encodeStateAsUpdate(core.doc));
		forged.clientID = 7;
		forged.getMap<Y.Map<unknown>>('assets').get('a1')!.set('name', 'hijacked');
		const result = core.receive(editor, encodeSyncStep2(Y.encodeStateAsUpdate(forged, Y.encodeStateVector(core.doc))), 0);
		expect(result.close.map((c) => c.code)).toEqual([4409]);
	});
});
