/**
 * The changes (write-rules.ts) one of the server's own transactions made, read from the
 * transaction after it ran. The server's writes are not judged by the gate (its own code
 * made them), so nothing replays them; the journal (journal.ts) still needs to know which
 * entries and fields they touched.
 *
 * Yjs lists, per type the transaction changed, the keys it changed (`transaction.changed`);
 * types the transaction created are not listed (their content is new with them), so a new
 * type's keys are named as creates here, the way the gate names a new entry's fields.
 */
import * as Y from 'yjs';
import type { Change, Path } from './write-rules.ts';

function pathOf(doc: Y.Doc, type: Y.AbstractType<unknown>): Path | null {
	const item = type._item;
	if (item === null) {
		for (const [name, root] of doc.share) if (root === type) return [name];
		return null;
	}
	const parent = pathOf(doc, item.parent as Y.AbstractType<unknown>);
	return parent === null ? null : [...parent, item.parentSub];
}

const valueOf = (item: Y.Item) => item.content.getContent()[item.length - 1];

/** Whether the item existed before the transaction. */
const olderThan = (transaction: Y.Transaction, item: Y.Item) => item.id.clock < (transaction.beforeState.get(item.id.client) ?? 0);

/** Whether the key held a visible value before the transaction (one that existed then and was not deleted before it). */
function hadValue(transaction: Y.Transaction, last: Y.Item | undefined): boolean {
	for (let item: Y.Item | null = last ?? null; item !== null; item = item.left) {
		if (!olderThan(transaction, item)) continue;
		// The newest older item was the value, unless it had been deleted before this transaction.
		return !item.deleted || Y.isDeleted(transaction.deleteSet, item.id);
	}
	return false;
}

export function transactionChanges(doc: Y.Doc, transaction: Y.Transaction): Change[] {
	const changes: Change[] = [];
	const created = (type: Y.AbstractType<unknown>, path: Path) => {
		for (const [key, item] of type._map) {
			if (item.deleted) continue;
			if (item.content instanceof Y.ContentType) {
				changes.push({ op: 'create', parent: path, key, typed: true });
				created(item.content.type as Y.AbstractType<unknown>, [...path, key]);
			} else changes.push({ op: 'create', parent: path, key, value: valueOf(item) });
		}
		for (let item = type._start; item !== null; item = item.right) {
			if (!item.deleted) changes.push({ op: 'insert', parent: path, key: null });
		}
	};
	for (const [type, keys] of transaction.changed) {
		const path = pathOf(doc, type as Y.AbstractType<unknown>);
		if (path === null) continue;
		for (const key of keys) {
			if (key === null) {
				// A list position: something was inserted or removed (the server writes none today).
				changes.push({ op: 'insert', parent: path, key: null });
				continue;
			}
			const last = type._map.get(key);
			const had = hadValue(transaction, last);
			if (last !== undefined && !last.deleted && !olderThan(transaction, last)) {
				const op = had ? 'replace' : 'create';
				if (last.content instanceof Y.ContentType) {
					changes.push({ op, parent: path, key, typed: true });
					created(last.content.type as Y.AbstractType<unknown>, [...path, key]);
				} else changes.push({ op, parent: path, key, value: valueOf(last) });
			} else if (had && (last === undefined || last.deleted)) changes.push({ op: 'delete', parent: path, key });
			else changes.push({ op: 'store', parent: path, key });
		}
	}
	return changes;
}
