/**
 * One key's history is bounded (write-gate.ts MAX_KEY_ITEMS): Yjs keeps every value a key
 * ever had, and values from alternating clients never merge, so setting one key over and
 * over would make each later write to it cost the room seconds. Past the bound the gate
 * refuses more sets to that key, for every role, and the document is left untouched.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { checkUpdate, MAX_KEY_ITEMS } from '../../server/room/write-gate.ts';

const editor = { role: 'editor' as const, locked: false, mayWriteClient: () => true };
const facilitator = { ...editor, role: 'facilitator' as const };

/** A document whose links.<key> has been set `times` times by two alternating clients. */
function churned(times: number): Y.Doc {
	const a = new Y.Doc();
	const b = new Y.Doc();
	a.clientID = 1;
	b.clientID = 2;
	for (let i = 0; i < times; i++) {
		const [from, to] = i % 2 === 0 ? [a, b] : [b, a];
		const before = Y.encodeStateVector(to);
		from.getMap('links').set('supports:x:y', i);
		Y.applyUpdate(to, Y.encodeStateAsUpdate(from, before));
	}
	return a;
}

describe('the history of one key', () => {
	const doc = churned(MAX_KEY_ITEMS);

	it('refuses a set that would take a key past its bound, whoever sends it', () => {
		const sender = new Y.Doc();
		sender.clientID = 3;
		Y.applyUpdate(sender, Y.encodeStateAsUpdate(doc));
		const before = Y.encodeStateVector(sender);
		sender.getMap('links').set('supports:x:y', 'one more');
		const update = Y.encodeStateAsUpdate(sender, before);
		for (const context of [editor, facilitator]) {
			const verdict = checkUpdate(doc, update, context);
			expect(verdict.kind).toBe('malformed');
			expect(verdict.kind !== 'ok' && verdict.reason).toContain(`holds more than ${MAX_KEY_ITEMS} values`);
		}
		// Other keys still take writes.
		const other = new Y.Doc();
		other.clientID = 4;
		Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
		const sv = Y.encodeStateVector(other);
		other.getMap('links').set('supports:x:z', 1);
		expect(checkUpdate(doc, Y.encodeStateAsUpdate(other, sv), editor).kind).toBe('ok');
	});

	it('refuses one update that carries a whole churned history at once, and takes one within the bound', () => {
		const empty = new Y.Doc();
		expect(checkUpdate(empty, Y.encodeStateAsUpdate(churned(MAX_KEY_ITEMS + 2)), facilitator).kind).toBe('malformed');
		expect(checkUpdate(empty, Y.encodeStateAsUpdate(churned(200)), editor).kind).toBe('ok');
	});
});
