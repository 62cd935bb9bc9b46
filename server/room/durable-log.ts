/**
 * One map's stored update log over a DocStore: load, append (with the journal records and
 * client-id bindings of the same step, in one transaction), compact, and how big it is.
 */
import type { DocStore } from '../persistence/doc-store.ts';
import type { LoadedRoom, WriteBatch } from './core.ts';

export class DurableLog {
	private rowCount = 0;
	/** Rows the last compaction wrote: a log of no more rows than that is compacted already. */
	private compactedRows = 1;
	private lastSeq = 0;
	private bytes = 0;

	constructor(
		private readonly store: DocStore,
		readonly mapId: string
	) {}

	/** Rows since the last compaction. */
	get rows(): number {
		return this.rowCount;
	}

	/** Bytes stored since the last compaction. */
	get storedBytes(): number {
		return this.bytes;
	}

	async load(): Promise<LoadedRoom> {
		const [rows, owners] = await Promise.all([this.store.loadUpdates(this.mapId), this.store.loadOwners(this.mapId)]);
		this.rowCount = rows.length;
		this.lastSeq = rows.at(-1)?.seq ?? 0;
		this.bytes = rows.reduce((sum, row) => sum + row.data.byteLength, 0);
		return { updates: rows.map((row) => row.data), owners };
	}

	/** The highest seq this log has loaded or appended. */
	get seq(): number {
		return this.lastSeq;
	}

	/** Resolves once the batch is durable, with the seq the store gave its update (null without one). */
	async append(batch: WriteBatch): Promise<number | null> {
		if (batch.update === null) {
			if (batch.owners.length > 0) await this.store.addOwners(this.mapId, batch.owners);
			return null;
		}
		const seq = await this.store.appendUpdate(this.mapId, batch.update, { journal: batch.journal, owners: batch.owners });
		this.lastSeq = Math.max(this.lastSeq, seq);
		this.rowCount++;
		this.bytes += batch.update.byteLength;
		return seq;
	}

	/**
	 * Merges every row so far into one (the journal is untouched), off the event loop.
	 * Rows appended meanwhile stay after it. Resolves with the merged rows' size and how
	 * many bytes the merge saved: the room subtracts those from its own count, which also
	 * holds appends still being written (so they are never forgotten).
	 */
	async compact(): Promise<{ mergedBytes: number; savedBytes: number }> {
		if (this.rowCount <= this.compactedRows) return { mergedBytes: this.bytes, savedBytes: 0 };
		const upTo = this.lastSeq;
		const rowsBefore = this.rowCount;
		const bytesBefore = this.bytes;
		const merged = await this.store.compactStored(this.mapId, upTo);
		// Appends that landed while the worker merged are still separate rows.
		this.compactedRows = merged.rows;
		this.rowCount = merged.rows + (this.rowCount - rowsBefore);
		this.bytes = merged.bytes + (this.bytes - bytesBefore);
		return { mergedBytes: merged.bytes, savedBytes: Math.max(0, bytesBefore - merged.bytes) };
	}

	/** Rows the last compaction left (a state is stored as several quick-to-apply rows). */
	get rowsAfterCompaction(): number {
		return this.compactedRows;
	}
}
