/**
 * Undo and redo of this person's own changes, and nobody else's.
 *
 * Not Y.UndoManager, on purpose: undoing the creation of an asset with it deletes the
 * entry itself, which the server refuses for participants (soft delete is the `deletedAt`
 * field, server/RULES.md), and that refusal would close the connection and discard the
 * device's copy. Here a step is what one of this person's transactions changed, field by
 * field; undoing a creation is a soft delete and redoing it a restore. A field someone
 * else changed since is left as they made it (the result names it), so an undo never
 * overwrites another person's work.
 *
 * One action may take several transactions (an import goes to the server in parts small
 * enough for its update limits, src/lib/doc/import-mutations.ts): `group` makes all of them
 * one step. Undoing or redoing a large step is itself written in parts of at most
 * REPLAY_ENTRIES_PER_TRANSACTION entries, so it stays within the same limits.
 */
import * as Y from 'yjs';
import { LOCAL_ORIGIN } from '../doc/mutations.ts';
import type { Contributor } from '../doc/model.ts';

/** Transactions made by undo and redo: not recorded as new steps. */
export const UNDO_ORIGIN = 'asset-atlas:undo';

const ROOTS = ['assets', 'goals', 'links'] as const;
type Root = (typeof ROOTS)[number];
/** Kept up to date by the change itself, never compared or restored. */
const BOOKKEEPING = new Set(['updatedBy', 'updatedAt', 'createdBy', 'createdAt']);
const ABSENT = Symbol('absent');
type Value = unknown | typeof ABSENT;
const MAX_STEPS = 100;
/**
 * Entries one undo or redo transaction touches at most. Undoing a creation writes three
 * fields (deletedAt, updatedBy, updatedAt): 500 entries make an update of about 1,500
 * structs and 80 KB, far inside the server's limits (server/room/update-shape.ts).
 */
export const REPLAY_ENTRIES_PER_TRANSACTION = 500;

interface FieldChange {
	root: Root;
	id: string;
	field: string;
	before: Value;
	after: Value;
}

interface Step {
	created: Array<{ root: Root; id: string }>;
	fields: FieldChange[];
}

export interface UndoResult {
	/** done: all of it; partly: some fields were changed by others since; nothing: nothing left to undo. */
	status: 'done' | 'partly' | 'nothing' | 'locked';
	/** Fields left as someone else made them. */
	skipped: Array<{ id: string; field: string }>;
}

export interface OwnUndoOptions {
	/** Whether this person may write now (a locked map: nothing is undone). */
	locked(): boolean;
	/** Who is undoing (stamped as the last editor). */
	by(): Contributor | null;
	now?: () => number;
}

function same(a: Value, b: Value): boolean {
	if (a === b) return true;
	if (a === ABSENT || b === ABSENT) return false;
	return JSON.stringify(a) === JSON.stringify(b);
}

export class OwnUndo {
	private undoStack: Step[] = [];
	private redoStack: Step[] = [];
	/** The step being recorded for the transaction in progress. */
	private recording = new Map<Y.Transaction, Step>();
	/** While `group` runs: the one step its transactions add to. */
	private grouped: Step | null = null;
	private groupDepth = 0;
	private readonly listeners = new Set<() => void>();
	private readonly cleanup: Array<() => void> = [];

	constructor(
		private readonly doc: Y.Doc,
		private readonly options: OwnUndoOptions
	) {
		for (const root of ROOTS) {
			const map = doc.getMap<unknown>(root);
			const observer = (events: Array<Y.YEvent<Y.AbstractType<unknown>>>, transaction: Y.Transaction) => this.record(root, events, transaction);
			map.observeDeep(observer);
			this.cleanup.push(() => map.unobserveDeep(observer));
		}
		const after = (transaction: Y.Transaction) => this.finish(transaction);
		doc.on('afterTransaction', after);
		this.cleanup.push(() => doc.off('afterTransaction', after));
	}

	get canUndo(): boolean {
		return this.undoStack.length > 0;
	}

	get canRedo(): boolean {
		return this.redoStack.length > 0;
	}

	onChange(listener: () => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	destroy(): void {
		for (const undo of this.cleanup) undo();
		this.listeners.clear();
	}

	/**
	 * Runs `action`; everything this person's transactions change while it runs is one step,
	 * so one Undo takes back an action made in several transactions. Nested calls join the
	 * outer step. When `action` throws, what it wrote before is still one step to undo.
	 */
	group<T>(action: () => T): T {
		if (this.groupDepth === 0) this.grouped = { created: [], fields: [] };
		this.groupDepth++;
		try {
			return action();
		} finally {
			this.groupDepth--;
			if (this.groupDepth === 0) {
				const step = this.grouped!;
				this.grouped = null;
				this.push(step);
			}
		}
	}

	undo(): UndoResult {
		return this.replay(this.undoStack, this.redoStack, 'undo');
	}

	redo(): UndoResult {
		return this.replay(this.redoStack, this.undoStack, 'redo');
	}

	private record(root: Root, events: Array<Y.YEvent<Y.AbstractType<unknown>>>, transaction: Y.Transaction): void {
		if (transaction.origin !== LOCAL_ORIGIN) return;
		let step = this.recording.get(transaction);
		if (!step) this.recording.set(transaction, (step = { created: [], fields: [] }));
		for (const event of events) {
			if (!(event instanceof Y.YMapEvent)) continue;
			if (event.path.length === 0) {
				// The root: entries this person created.
				for (const [id, change] of event.changes.keys) if (change.action === 'add') step.created.push({ root, id });
				continue;
			}
			if (event.path.length !== 1) continue;
			const id = String(event.path[0]);
			const entry = event.target as Y.Map<unknown>;
			for (const [field, change] of event.changes.keys) {
				if (BOOKKEEPING.has(field)) continue;
				const before: Value = change.action === 'add' ? ABSENT : change.oldValue;
				const after: Value = entry.has(field) ? entry.get(field) : ABSENT;
				step.fields.push({ root, id, field, before, after });
			}
		}
	}

	private finish(transaction: Y.Transaction): void {
		const step = this.recording.get(transaction);
		if (!step) return;
		this.recording.delete(transaction);
		if (this.grouped) {
			for (const created of step.created) this.grouped.created.push(created);
			for (const change of step.fields) this.grouped.fields.push(change);
			return;
		}
		this.push(step);
	}

	private push(step: Step): void {
		if (step.created.length === 0 && step.fields.length === 0) return;
		this.undoStack.push(step);
		if (this.undoStack.length > MAX_STEPS) this.undoStack.shift();
		this.redoStack = [];
		this.emit();
	}

	private replay(from: Step[], to: Step[], direction: 'undo' | 'redo'): UndoResult {
		if (from.length === 0) return { status: 'nothing', skipped: [] };
		if (this.options.locked()) return { status: 'locked', skipped: [] };
		const step = from.pop()!;
		const skipped: UndoResult['skipped'] = [];
		const by = this.options.by();
		const now = (this.options.now ?? Date.now)();
		// Each operation changes at most one entry and returns it when it did.
		const operations: Array<() => Y.Map<unknown> | null> = [];
		for (const { root, id } of step.created) {
			operations.push(() => {
				const entry = this.entry(root, id);
				if (!entry) return null;
				// Undoing a creation is a soft delete; redoing it, a restore.
				if (direction === 'undo' && !entry.has('deletedAt')) {
					entry.set('deletedAt', now);
					return entry;
				}
				if (direction === 'redo' && entry.has('deletedAt')) {
					entry.delete('deletedAt');
					return entry;
				}
				return null;
			});
		}
		// Undo goes back from the last change: a grouped step may change one field twice.
		const changes = direction === 'undo' ? [...step.fields].reverse() : step.fields;
		for (const change of changes) {
			operations.push(() => {
				const entry = this.entry(change.root, change.id);
				if (!entry) return null;
				const [expected, wanted] = direction === 'undo' ? [change.after, change.before] : [change.before, change.after];
				const current: Value = entry.has(change.field) ? entry.get(change.field) : ABSENT;
				if (same(current, wanted)) return null;
				if (!same(current, expected)) {
					skipped.push({ id: change.id, field: change.field });
					return null;
				}
				if (wanted === ABSENT) entry.delete(change.field);
				else entry.set(change.field, wanted);
				return entry;
			});
		}
		// In parts of at most REPLAY_ENTRIES_PER_TRANSACTION entries, each one update.
		let next = 0;
		while (next < operations.length) {
			this.doc.transact(() => {
				const touched = new Set<Y.Map<unknown>>();
				while (next < operations.length && touched.size < REPLAY_ENTRIES_PER_TRANSACTION) {
					const entry = operations[next++]();
					if (entry) touched.add(entry);
				}
				for (const entry of touched) {
					if (by) entry.set('updatedBy', { id: by.id, name: by.name, affiliation: by.affiliation });
					entry.set('updatedAt', now);
				}
			}, UNDO_ORIGIN);
		}
		to.push(step);
		this.emit();
		return { status: skipped.length > 0 ? 'partly' : 'done', skipped };
	}

	private entry(root: Root, id: string): Y.Map<unknown> | null {
		const value = this.doc.getMap<unknown>(root).get(id);
		return value instanceof Y.Map ? value : null;
	}

	private emit(): void {
		for (const listener of this.listeners) listener();
	}
}

/** Ctrl/Cmd+Z undoes, Shift+Ctrl/Cmd+Z or Ctrl+Y redoes; text fields keep their own undo. */
export function undoShortcut(event: KeyboardEvent): 'undo' | 'redo' | null {
	if (!(event.ctrlKey || event.metaKey) || event.altKey) return null;
	const target = event.target as HTMLElement | null;
	if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return null;
	const key = event.key.toLowerCase();
	if (key === 'z') return event.shiftKey ? 'redo' : 'undo';
	if (key === 'y' && !event.shiftKey) return 'redo';
	return null;
}
