/**
 * What applying an update really does to a document, found the slow and obvious way:
 * apply it to a copy and compare. The differential test holds the write gate's replay
 * (server/room/write-gate.ts) against this.
 *
 * Changes are named like the gate names them (server/room/write-rules.ts): a key that
 * gets a value, a new value or loses it; a list that gains or loses live items; and new
 * content nobody sees ("store"), located where Yjs put it.
 */
import * as Y from 'yjs';
import type { Change, ChangeOp, Path } from '../../server/room/write-rules.ts';

export type Truth =
	| { kind: 'applied'; writes: boolean; changes: Change[]; clients: number[] }
	/** Yjs kept part of it pending (missing dependencies). */
	| { kind: 'pending' }
	/** Yjs threw. */
	| { kind: 'crash'; error: string };

interface TypeSnapshot {
	/** key -> id of the value's last clock, and the value's own snapshot if it is a type (else the value). */
	map: Map<string, { id: string; child: TypeSnapshot | null; value?: unknown }>;
	/** live list clocks -> snapshot of the type there, if any. */
	list: Map<string, TypeSnapshot | null>;
}

const unitId = (client: number, clock: number) => `${client}:${clock}`;

function snapshotType(type: Y.AbstractType<unknown>): TypeSnapshot {
	const map: TypeSnapshot['map'] = new Map();
	for (const [key, item] of type._map) {
		if (item.deleted) continue;
		const child = item.content instanceof Y.ContentType ? snapshotType(item.content.type as Y.AbstractType<unknown>) : null;
		const id = unitId(item.id.client, item.id.clock + item.length - 1);
		// The value as Y.Map.get reads it; the rules read a new answer's round from it.
		map.set(key, child ? { id, child } : { id, child, value: item.content.getContent()[item.length - 1] });
	}
	const list: TypeSnapshot['list'] = new Map();
	for (let item = type._start; item !== null; item = item.right) {
		if (item.deleted) continue;
		const child = item.content instanceof Y.ContentType ? snapshotType(item.content.type as Y.AbstractType<unknown>) : null;
		const units = item.content.isCountable() ? item.length : 1;
		for (let i = 0; i < units; i++) list.set(unitId(item.id.client, item.id.clock + i), child);
	}
	return { map, list };
}

function snapshotDoc(doc: Y.Doc): Map<string, TypeSnapshot> {
	const roots = new Map<string, TypeSnapshot>();
	for (const [name, type] of doc.share) roots.set(name, snapshotType(type as Y.AbstractType<unknown>));
	return roots;
}

function diffType(before: TypeSnapshot | null, after: TypeSnapshot, path: Path, add: (op: ChangeOp, parent: Path, key: string | null, typed?: boolean, value?: { value: unknown }) => void) {
	const keys = new Set([...(before?.map.keys() ?? []), ...after.map.keys()]);
	for (const key of keys) {
		const was = before?.map.get(key);
		const now = after.map.get(key);
		if (now && (!was || was.id !== now.id)) {
			// A Yjs type as the new value is named as such (write-rules.ts: fields hold plain values).
			add(was ? 'replace' : 'create', path, key, now.child !== null, now.child ? undefined : { value: now.value });
			if (now.child) diffType(null, now.child, [...path, key], add);
		} else if (was && !now) {
			add('delete', path, key);
		} else if (was && now && now.child) {
			diffType(was.child, now.child, [...path, key], add);
		}
	}
	for (const [unit, child] of after.list) {
		if (!before?.list.has(unit)) {
			add('insert', path, null);
			if (child) diffType(null, child, [...path, null], add);
		} else if (child) {
			diffType(before.list.get(unit) ?? null, child, [...path, null], add);
		}
	}
	for (const unit of before?.list.keys() ?? []) if (!after.list.has(unit)) add('remove', path, null);
}

function pathOf(doc: Y.Doc, type: Y.AbstractType<unknown>): Path {
	if (type._item === null) {
		for (const [name, root] of doc.share) if (root === type) return [name];
		throw new Error('type without a root');
	}
	return [...pathOf(doc, type._item.parent as Y.AbstractType<unknown>), type._item.parentSub];
}

function visible(item: Y.Item): boolean {
	for (let current: Y.Item | null = item; current !== null; ) {
		if (current.deleted) return false;
		const parent = current.parent as Y.AbstractType<unknown>;
		if (current.parentSub !== null && parent._map.get(current.parentSub) !== current) return false;
		current = parent._item;
	}
	return true;
}

export function effectOfApplying(doc: Y.Doc, update: Uint8Array): Truth {
	// gc off, so content deleted by this update stays where it was put (the gate names its
	// place); what the server had already collected arrives collected all the same.
	const copy = new Y.Doc({ gc: false });
	Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
	const stateBefore = Y.decodeStateVector(Y.encodeStateVector(copy));
	const before = snapshotDoc(copy);
	let deletes = false;
	copy.on('afterTransaction', (transaction: Y.Transaction) => {
		if (transaction.deleteSet.clients.size > 0) deletes = true;
	});
	try {
		Y.applyUpdate(copy, update);
	} catch (error) {
		return { kind: 'crash', error: error instanceof Error ? error.message : String(error) };
	}
	if (copy.store.pendingStructs || copy.store.pendingDs) return { kind: 'pending' };

	const changes = new Map<string, Change>();
	const add = (op: ChangeOp, parent: Path | null, key: string | null, typed = false, value?: { value: unknown }) => {
		const id = JSON.stringify([op, parent, key]);
		if (!changes.has(id)) changes.set(id, typed ? { op, parent, key, typed } : value ? { op, parent, key, value: value.value } : { op, parent, key });
	};
	const after = snapshotDoc(copy);
	for (const [name, snapshot] of after) diffType(before.get(name) ?? null, snapshot, [name], add);

	const stateAfter = Y.decodeStateVector(Y.encodeStateVector(copy));
	const clients: number[] = [];
	for (const [client, end] of stateAfter) {
		const start = stateBefore.get(client) ?? 0;
		if (end <= start) continue;
		clients.push(client);
		const structs = copy.store.clients.get(client)!;
		// New content may have merged into an older struct: walk clocks, not structs.
		for (let clock = start; clock < end; ) {
			const struct = structs[Y.findIndexSS(structs, clock)];
			if (struct instanceof Y.GC) add('store', null, null);
			else if (struct instanceof Y.Item && !visible(struct)) {
				add('store', pathOf(copy, struct.parent as Y.AbstractType<unknown>), struct.parentSub);
			}
			clock = struct.id.clock + struct.length;
		}
	}
	return { kind: 'applied', writes: clients.length > 0 || deletes, changes: [...changes.values()], clients };
}

export function changeKey(change: Change): string {
	return JSON.stringify([change.op, change.parent, change.key]);
}
