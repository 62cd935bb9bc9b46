/**
 * Schema 2 at unit speed, through the room core (server/room/core.ts) like
 * room-core.test.ts: who may write check-in rounds, answers and goal progress
 * (server/room/write-rules.ts, server/RULES.md), the journal for them, and the server's own
 * writes (core.serverWrite): under the room document's own client id, owned by the server's
 * pseudo-device, journaled with no name.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { SERVER_DEVICE } from '../../server/room/client-ids.ts';
import { RoomCore, ServerWriteRefused, type Effects, type Peer } from '../../server/room/core.ts';
import type { JournalRecord } from '../../server/room/journal.ts';
import { migrateDoc } from '../../src/lib/doc/migrations.ts';
import type { Affiliation, Contributor, Role } from '../../src/lib/doc/model.ts';
import { updateGoal } from '../../src/lib/doc/goal-mutations.ts';
import { answerRound, closeRound, editAnswer, openRound, withdrawAnswer, writeAnonymousAnswer } from '../../src/lib/doc/round-mutations.ts';
import { readAllProgress, readResponse } from '../../src/lib/doc/schema.ts';
import { CLOSE } from '../../src/lib/sync/close-codes.ts';
import { forgeUpdate } from '../helpers/forged-updates.ts';
import { awarenessFrame, readAwareness, syncFrame } from '../helpers/yjs-frames.ts';

class TestPeer implements Peer {
	constructor(
		readonly role: Role,
		readonly identity: { name: string; affiliation: Affiliation; session: string | null; device: string | null }
	) {}
}

const NOW = 1_700_000_000_000;
const FAC_CLIENT = 1_000;

const peer = (role: Role, device: string | null, name = `${role} ${device ?? 'anon'}`) =>
	new TestPeer(role, { name, affiliation: role === 'facilitator' ? 'campus-staff' : 'community-member', session: null, device });
const contributor = (name: string): Contributor => ({ id: `c-${name}`, name, affiliation: 'community-member' });

/**
 * A schema-2 map: goal g0 (with its first progress entry), an open named round, an open
 * anonymous round and a closed round, all by the facilitator's device.
 */
function seeded(options: { locked?: boolean } = {}): RoomCore<TestPeer> {
	const doc = new Y.Doc();
	doc.clientID = FAC_CLIENT;
	doc.transact(() => {
		const meta = doc.getMap('meta');
		meta.set('title', 'Eastside');
		meta.set('schemaVersion', 2);
		meta.set('locked', options.locked === true);
		const goal = new Y.Map<unknown>();
		doc.getMap('goals').set('g0', goal);
		goal.set('id', 'g0');
		goal.set('title', 'Youth programs');
		goal.set('status', 'proposed');
		goal.set('horizon', 'short');
		const first = new Y.Map<unknown>();
		doc.getMap('progress').set('g0', first);
		first.set('id', 'g0');
		first.set('goal', 'g0');
		first.set('to', 'proposed');
		first.set('at', NOW - 1000);
		for (const [id, anonymous, status] of [
			['rOpen', false, 'open'],
			['rAnon', true, 'open'],
			['rClosed', false, 'closed']
		] as const) {
			const round = new Y.Map<unknown>();
			doc.getMap('rounds').set(id, round);
			round.set('id', id);
			round.set('title', `Round ${id}`);
			round.set('prompts', ['What is working?', 'What should change?']);
			round.set('anonymous', anonymous);
			round.set('status', status);
			round.set('openedAt', NOW);
		}
	});
	return new RoomCore<TestPeer>('testmap000', { updates: [Y.encodeStateAsUpdate(doc)], owners: [{ client: FAC_CLIENT, device: 'd:facilitator' }] }, { maxDocBytes: 64 * 1024 * 1024 });
}

function connect(core: RoomCore<TestPeer>, who: TestPeer): void {
	core.join(who);
	expect(core.receive(who, syncFrame('step2', Y.encodeStateAsUpdate(new Y.Doc())), NOW).close).toEqual([]);
}

/** A synced copy of the room's document under `clientId`, as that person's client holds it. */
function copyOf(core: RoomCore<TestPeer>, clientId: number): Y.Doc {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, Y.encodeStateAsUpdate(core.doc));
	doc.clientID = clientId;
	return doc;
}

/** Sends what `edit` does to the person's copy; returns the room's answer. */
function send(core: RoomCore<TestPeer>, who: TestPeer, doc: Y.Doc, edit: (doc: Y.Doc) => void): Effects<TestPeer> {
	const known = Y.encodeStateVector(doc);
	edit(doc);
	return core.receive(who, syncFrame('update', Y.encodeStateAsUpdate(doc, known)), NOW);
}

function outcome(effects: Effects<TestPeer>): 'applied' | number {
	if (effects.close.length > 0) return effects.close[0].code;
	expect(effects.write).not.toBeNull();
	return 'applied';
}

/** A response entry written by hand, the way a modified client could write it. */
function rawAnswer(doc: Y.Doc, id: string, round: string | undefined, by: Contributor | null): void {
	const entry = new Y.Map<unknown>();
	doc.getMap('responses').set(id, entry);
	entry.set('id', id);
	if (round !== undefined) entry.set('round', round);
	entry.set('prompt', 0);
	entry.set('text', 'Our garden works');
	if (by) entry.set('createdBy', by);
	entry.set('createdAt', NOW);
}

interface People {
	core: RoomCore<TestPeer>;
	fac: TestPeer;
	ana: TestPeer;
	bo: TestPeer;
	facDoc: Y.Doc;
	anaDoc: Y.Doc;
	boDoc: Y.Doc;
}

function people(options: { locked?: boolean } = {}): People {
	const core = seeded(options);
	const fac = peer('facilitator', 'd:facilitator', 'Fran');
	const ana = peer('editor', 'd:ana', 'Ana');
	const bo = peer('editor', 'd:bo', 'Bo');
	for (const p of [fac, ana, bo]) connect(core, p);
	return { core, fac, ana, bo, facDoc: copyOf(core, FAC_CLIENT), anaDoc: copyOf(core, 5_000), boDoc: copyOf(core, 6_000) };
}

/** Ana answers the open named round with the app's own mutation; returns the answer's id. */
function anaAnswers(p: People): string {
	let id = '';
	expect(outcome(send(p.core, p.ana, p.anaDoc, (doc) => (id = answerRound(doc, 'rOpen', { prompt: 0, text: 'The garden brings people together' }, contributor('Ana'), NOW))))).toBe('applied');
	Y.applyUpdate(p.boDoc, Y.encodeStateAsUpdate(p.core.doc));
	Y.applyUpdate(p.facDoc, Y.encodeStateAsUpdate(p.core.doc));
	return id;
}

describe('rounds: only the facilitator opens and closes them', () => {
	it('an editor opening or closing a round is refused (4409); the facilitator’s is applied', () => {
		const p = people();
		expect(outcome(send(p.core, p.ana, p.anaDoc, (doc) => void openRound(doc, { title: 'Check-in', prompts: ['What is working?'], anonymous: false }, contributor('Ana'), NOW)))).toBe(CLOSE.writeRefused);
		const bo = send(p.core, p.bo, p.boDoc, (doc) => closeRound(doc, 'rOpen', NOW));
		expect(outcome(bo)).toBe(CLOSE.writeRefused);
		expect(bo.close[0].reason).toMatch(/only the facilitator opens and closes rounds/);

		let opened = '';
		expect(outcome(send(p.core, p.fac, p.facDoc, (doc) => (opened = openRound(doc, { title: 'Check-in', prompts: ['What is working?'], anonymous: true }, contributor('Fran'), NOW))))).toBe('applied');
		expect(outcome(send(p.core, p.fac, p.facDoc, (doc) => closeRound(doc, 'rOpen', NOW)))).toBe('applied');
		expect(p.core.doc.getMap<Y.Map<unknown>>('rounds').get(opened)?.get('anonymous')).toBe(true);
		expect(p.core.doc.getMap<Y.Map<unknown>>('rounds').get('rOpen')?.get('status')).toBe('closed');
	});
});

describe('answers (responses)', () => {
	it('an editor answers an open named round (applied, and journaled with their name)', () => {
		const p = people();
		const known = Y.encodeStateVector(p.anaDoc);
		const id = answerRound(p.anaDoc, 'rOpen', { prompt: 1, text: 'More evening hours', goal: 'g0' }, contributor('Ana'), NOW);
		const effects = p.core.receive(p.ana, syncFrame('update', Y.encodeStateAsUpdate(p.anaDoc, known)), NOW);
		expect(outcome(effects)).toBe('applied');
		expect(readResponse(p.core.doc, id)).toMatchObject({ round: 'rOpen', prompt: 1, text: 'More evening hours', goal: 'g0' });
		expect(effects.write!.journal).toMatchObject([{ role: 'editor', name: 'Ana', affiliation: 'community-member', collection: 'responses', entry: id, kind: 'create', fields: { round: 'rOpen', text: 'More evening hours' } }]);
	});

	it('an answer to a closed round is refused (4409), whoever’s client writes it', () => {
		const p = people();
		const effects = send(p.core, p.ana, p.anaDoc, (doc) => rawAnswer(doc, 'late', 'rClosed', contributor('Ana')));
		expect(outcome(effects)).toBe(CLOSE.writeRefused);
		expect(effects.close[0].reason).toMatch(/this round is closed/);
		expect(p.core.doc.getMap('responses').has('late')).toBe(false);
	});

	it('an answer written straight into an anonymous round is refused: those go through the server', () => {
		const p = people();
		// Even without a contributor field: the client id alone ties it to the person.
		for (const by of [contributor('Ana'), null]) {
			const q = people();
			const effects = send(q.core, q.ana, q.anaDoc, (doc) => rawAnswer(doc, 'direct', 'rAnon', by));
			expect(outcome(effects)).toBe(CLOSE.writeRefused);
			expect(effects.close[0].reason).toMatch(/anonymous round/);
		}
		// The app's own mutation refuses it before anything is sent.
		expect(() => answerRound(p.anaDoc, 'rAnon', { prompt: 0, text: 'x' }, contributor('Ana'), NOW)).toThrow(/sent to the server/);
	});

	it('an answer naming no round, or one that does not exist, is refused', () => {
		for (const round of [undefined, 'rMissing']) {
			const p = people();
			expect(outcome(send(p.core, p.ana, p.anaDoc, (doc) => rawAnswer(doc, 'stray', round, contributor('Ana'))))).toBe(CLOSE.writeRefused);
		}
	});

	it('an editor edits and withdraws their own answer, also from a reloaded page on the same device', () => {
		const p = people();
		const id = anaAnswers(p);
		expect(outcome(send(p.core, p.ana, p.anaDoc, (doc) => void editAnswer(doc, id, { text: 'The garden, and the library', goal: 'g0' }, NOW)))).toBe('applied');
		expect(readResponse(p.core.doc, id)?.text).toBe('The garden, and the library');
		// A reload: same device token, a new client id.
		const anaAgain = peer('editor', 'd:ana', 'Ana');
		connect(p.core, anaAgain);
		const reloaded = copyOf(p.core, 5_001);
		expect(outcome(send(p.core, anaAgain, reloaded, (doc) => withdrawAnswer(doc, id, NOW)))).toBe('applied');
		expect(readResponse(p.core.doc, id)?.deletedAt).toBe(NOW);
	});

	it('an editor editing someone else’s answer is refused (4409); the facilitator may (moderation)', () => {
		const p = people();
		const id = anaAnswers(p);
		const bo = send(p.core, p.bo, p.boDoc, (doc) => void editAnswer(doc, id, { text: 'Bo rewrote this' }, NOW));
		expect(outcome(bo)).toBe(CLOSE.writeRefused);
		expect(bo.close[0].reason).toMatch(/only your own answers/);
		const bo2 = peer('editor', 'd:bo', 'Bo');
		connect(p.core, bo2);
		expect(outcome(send(p.core, bo2, copyOf(p.core, 6_001), (doc) => withdrawAnswer(doc, id, NOW)))).toBe(CLOSE.writeRefused);
		expect(readResponse(p.core.doc, id)?.text).toBe('The garden brings people together');

		expect(outcome(send(p.core, p.fac, p.facDoc, (doc) => withdrawAnswer(doc, id, NOW)))).toBe('applied');
		expect(outcome(send(p.core, p.fac, p.facDoc, (doc) => void doc.getMap<Y.Map<unknown>>('responses').get(id)!.set('text', 'Moderated')))).toBe('applied');
	});

	it('an own answer is read-only once its round closes, and never moves to another round', () => {
		const p = people();
		const id = anaAnswers(p);
		const moved = send(p.core, p.ana, p.anaDoc, (doc) => void doc.getMap<Y.Map<unknown>>('responses').get(id)!.set('round', 'rAnon'));
		expect(outcome(moved)).toBe(CLOSE.writeRefused);
		expect(moved.close[0].reason).toMatch(/stays in its round/);

		expect(outcome(send(p.core, p.fac, p.facDoc, (doc) => closeRound(doc, 'rOpen', NOW)))).toBe('applied');
		const ana2 = peer('editor', 'd:ana', 'Ana');
		connect(p.core, ana2);
		// editAnswer itself refuses a closed round; the same change forged by hand is refused by the server.
		expect(() => editAnswer(copyOf(p.core, 5_002), id, { text: 'Too late' }, NOW)).toThrow(/closed/);
		const forged = send(p.core, ana2, copyOf(p.core, 5_003), (doc) => void doc.getMap<Y.Map<unknown>>('responses').get(id)!.set('text', 'Too late'));
		expect(outcome(forged)).toBe(CLOSE.writeRefused);
		expect(forged.close[0].reason).toMatch(/this round is closed/);
	});

	it('answers are never replaced or deleted whole by an editor (soft delete is deletedAt), not even their own', () => {
		const p = people();
		const id = anaAnswers(p);
		expect(outcome(send(p.core, p.ana, p.anaDoc, (doc) => void doc.getMap('responses').delete(id)))).toBe(CLOSE.writeRefused);
		const ana2 = peer('editor', 'd:ana', 'Ana');
		connect(p.core, ana2);
		expect(outcome(send(p.core, ana2, copyOf(p.core, 5_004), (doc) => rawAnswer(doc, id, 'rOpen', contributor('Ana'))))).toBe(CLOSE.writeRefused);
		expect(readResponse(p.core.doc, id)?.text).toBe('The garden brings people together');
	});

	it('an answer made over a socket without a device token is its own only while that socket is connected', () => {
		const p = people();
		const script = peer('editor', null, 'Script');
		connect(p.core, script);
		const doc = copyOf(p.core, 9_000);
		let id = '';
		expect(outcome(send(p.core, script, doc, (d) => (id = answerRound(d, 'rOpen', { prompt: 0, text: 'From a script' }, contributor('Script'), NOW))))).toBe('applied');
		expect(outcome(send(p.core, script, doc, (d) => void editAnswer(d, id, { text: 'Edited from the script' }, NOW)))).toBe('applied');
		p.core.leave(script);
		const later = peer('editor', null, 'Someone');
		connect(p.core, later);
		expect(outcome(send(p.core, later, copyOf(p.core, 9_001), (d) => void editAnswer(d, id, { text: 'Taken over' }, NOW)))).toBe(CLOSE.writeRefused);
	});

	it('on a locked map an editor cannot answer', () => {
		const p = people({ locked: true });
		expect(outcome(send(p.core, p.ana, p.anaDoc, (doc) => void answerRound(doc, 'rOpen', { prompt: 0, text: 'x' }, contributor('Ana'), NOW)))).toBe(CLOSE.writeRefused);
	});
});

describe('goal progress', () => {
	it('an editor adds progress (a status change files an entry); editing or deleting an existing entry is refused', () => {
		const p = people();
		const effects = send(p.core, p.ana, p.anaDoc, (doc) => void updateGoal(doc, 'g0', { status: 'active' }, contributor('Ana'), NOW, undefined, 'Kickoff held'));
		expect(outcome(effects)).toBe('applied');
		const timeline = readAllProgress(p.core.doc).filter((entry) => entry.goal === 'g0');
		expect(timeline.map((entry) => [entry.from, entry.to])).toEqual([
			[null, 'proposed'],
			['proposed', 'active']
		]);
		expect(effects.write!.journal.map((r) => [r.collection, r.kind])).toEqual(expect.arrayContaining([['progress', 'create'], ['goals', 'update']]));

		const added = timeline[1].id;
		const ana2 = peer('editor', 'd:ana', 'Ana');
		connect(p.core, ana2);
		// Not even one's own entry, not even its note.
		const edit = send(p.core, ana2, copyOf(p.core, 5_010), (doc) => void doc.getMap<Y.Map<unknown>>('progress').get(added)!.set('note', 'rewritten'));
		expect(outcome(edit)).toBe(CLOSE.writeRefused);
		expect(edit.close[0].reason).toMatch(/never changed/);
		for (const [client, change] of [
			[5_011, (doc: Y.Doc) => void doc.getMap<Y.Map<unknown>>('progress').get('g0')!.set('to', 'achieved')],
			[5_012, (doc: Y.Doc) => void doc.getMap('progress').delete('g0')],
			[5_013, (doc: Y.Doc) => void doc.getMap('progress').set('g0', new Y.Map())]
		] as const) {
			const again = peer('editor', 'd:ana', 'Ana');
			connect(p.core, again);
			expect(outcome(send(p.core, again, copyOf(p.core, client), change))).toBe(CLOSE.writeRefused);
		}
		// The facilitator may correct the record.
		expect(outcome(send(p.core, p.fac, copyOf(p.core, FAC_CLIENT), (doc) => void doc.getMap<Y.Map<unknown>>('progress').get(added)!.set('note', 'Kickoff held on the 3rd')))).toBe('applied');
	});

	it('goals.<id>.nextSteps is an ordinary field', () => {
		const p = people();
		expect(outcome(send(p.core, p.ana, p.anaDoc, (doc) => void updateGoal(doc, 'g0', { nextSteps: 'Ask the library about Tuesdays' }, contributor('Ana'), NOW)))).toBe('applied');
	});
});

describe('the server’s own writes', () => {
	it('go under the room document’s client id, owned by the server’s pseudo-device, to everyone, journaled with no name', () => {
		const p = people();
		const watcher = peer('viewer', 'd:watcher');
		connect(p.core, watcher);
		const { effects, outcome: result } = p.core.serverWrite({ apply: (doc) => writeAnonymousAnswer(doc, 'rAnon', { prompt: 0, text: 'Quietly: more shade' }, NOW), role: 'anonymous', capped: true }, NOW);
		expect(result.ok).toBe(true);
		const id = (result as { value: string }).value;
		const serverClient = p.core.serverClientId!;
		expect(serverClient).toBe(p.core.doc.clientID);
		expect(effects.write!.owners).toEqual([{ client: serverClient, device: SERVER_DEVICE }]);
		// Sent to everyone (nobody sent it), never only to some.
		expect(effects.send.filter((m) => m.update !== undefined).map((m) => [m.to, m.except])).toEqual([[undefined, undefined]]);
		const entry = p.core.doc.getMap<Y.Map<unknown>>('responses').get(id)!;
		expect(entry._item!.id.client).toBe(serverClient);
		expect(entry.has('createdBy')).toBe(false);
		expect(effects.write!.journal).toEqual([
			{ at: NOW, role: 'anonymous', name: '', affiliation: null, collection: 'responses', entry: id, kind: 'create', fields: { id, round: 'rAnon', prompt: 0, text: 'Quietly: more shade', createdAt: NOW, updatedAt: NOW } }
		] satisfies JournalRecord[]);

		// Nobody may write under that id, or show under it in presence; nor edit the answer.
		const squat = p.core.receive(p.ana, syncFrame('update', forgeUpdate([{ client: serverClient, clock: Y.getState(p.core.doc.store, serverClient), structs: [{ kind: 'gc', length: 1 }] }])), NOW);
		expect(squat.close.map((c) => c.code)).toEqual([CLOSE.writeRefused]);
		p.core.receive(p.bo, awarenessFrame([{ clientId: serverClient, clock: 1, state: { user: { name: 'Server?' } } }]), NOW);
		const tick = p.core.flushPresence().send.map((m) => readAwareness(m.data));
		expect(tick.some((states) => states?.has(serverClient))).toBe(false);
		const bo2 = peer('editor', 'd:bo', 'Bo');
		connect(p.core, bo2);
		expect(outcome(send(p.core, bo2, copyOf(p.core, 6_100), (doc) => void doc.getMap<Y.Map<unknown>>('responses').get(id)!.set('text', 'Edited')))).toBe(CLOSE.writeRefused);
	});

	it('a write that throws before changing anything stores and sends nothing; one the map has no room for is not run', () => {
		const p = people();
		const { effects, outcome: result } = p.core.serverWrite({ apply: (doc) => writeAnonymousAnswer(doc, 'rClosed', { prompt: 0, text: 'late' }, NOW), role: 'anonymous', capped: true }, NOW);
		expect(result.ok).toBe(false);
		expect(effects.write).toBeNull();
		expect(effects.send).toEqual([]);
		expect(p.core.serverClientId).toBeNull();

		const full = new RoomCore<TestPeer>('testmap000', { updates: [Y.encodeStateAsUpdate(p.core.doc)], owners: [] }, { maxDocBytes: 1024 });
		let ran = false;
		const refused = full.serverWrite({ apply: () => (ran = true), role: 'anonymous', capped: true }, NOW);
		expect(ran).toBe(false);
		expect(refused.outcome.ok === false && refused.outcome.error instanceof ServerWriteRefused).toBe(true);
	});

	it('a reloaded room never writes under a client id already in the document (and Yjs changes a colliding id on load)', () => {
		const p = people();
		const first = p.core.serverWrite({ apply: (doc) => writeAnonymousAnswer(doc, 'rAnon', { prompt: 0, text: 'one' }, NOW), role: 'anonymous', capped: true }, NOW);
		const firstClient = p.core.serverClientId!;
		const stored = [Y.encodeStateAsUpdate(p.core.doc)];

		// The reloaded room's document happens to have the old id (forced here): its write goes under another.
		const reloaded = new RoomCore<TestPeer>('testmap000', { updates: stored, owners: first.effects.write!.owners }, { maxDocBytes: 1e9 });
		reloaded.doc.clientID = firstClient;
		const again = reloaded.serverWrite({ apply: (doc) => writeAnonymousAnswer(doc, 'rAnon', { prompt: 0, text: 'two' }, NOW), role: 'anonymous', capped: true }, NOW);
		expect(again.outcome.ok).toBe(true);
		expect(reloaded.serverClientId).not.toBe(firstClient);
		expect(again.effects.write!.owners).toEqual([{ client: reloaded.serverClientId, device: SERVER_DEVICE }]);
		// An id some device already holds (shown in presence) is not used either.
		const other = new RoomCore<TestPeer>('testmap000', { updates: stored, owners: [{ client: 424_242, device: 'd:someone' }] }, { maxDocBytes: 1e9 });
		other.doc.clientID = 424_242;
		other.serverWrite({ apply: (doc) => writeAnonymousAnswer(doc, 'rAnon', { prompt: 0, text: 'three' }, NOW), role: 'anonymous', capped: true }, NOW);
		expect(other.serverClientId).not.toBe(424_242);

		// Yjs itself: a document whose id turns up in content applied from elsewhere takes a new one.
		const plain = new Y.Doc();
		plain.clientID = firstClient;
		Y.applyUpdate(plain, stored[0], 'load');
		expect(plain.clientID).not.toBe(firstClient);
	});

	it('a migration runs as a server write: schema 1 → 2 once, journaled as the server’s', () => {
		const doc = new Y.Doc();
		doc.transact(() => {
			doc.getMap('meta').set('title', 'Old map');
			doc.getMap('meta').set('schemaVersion', 1);
			const goal = new Y.Map<unknown>();
			doc.getMap('goals').set('g1', goal);
			goal.set('title', 'Safe routes to school');
			goal.set('status', 'active');
			goal.set('updatedAt', NOW - 1000);
		});
		const core = new RoomCore<TestPeer>('testmap000', { updates: [Y.encodeStateAsUpdate(doc)], owners: [] }, { maxDocBytes: 1e9 });
		const first = core.serverWrite({ apply: (d) => migrateDoc(d, NOW), role: 'server', capped: false }, NOW);
		expect(first.outcome).toEqual({ ok: true, value: true });
		expect(core.doc.getMap('meta').get('schemaVersion')).toBe(2);
		expect(first.effects.write!.journal.map(({ role, name, affiliation, collection, entry, kind }) => ({ role, name, affiliation, collection, entry, kind }))).toEqual(
			expect.arrayContaining([
				{ role: 'server', name: '', affiliation: null, collection: 'progress', entry: 'g1', kind: 'create' },
				{ role: 'server', name: '', affiliation: null, collection: 'meta', entry: 'meta', kind: 'update' }
			])
		);
		const second = core.serverWrite({ apply: (d) => migrateDoc(d, NOW), role: 'server', capped: false }, NOW);
		expect(second.outcome).toEqual({ ok: true, value: false });
		expect(second.effects.write).toBeNull();
	});
});
