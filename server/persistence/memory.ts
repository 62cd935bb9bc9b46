/** In-process store for fast tests; copies bytes in and out so callers cannot alias rows. */
import * as Y from 'yjs';
import { stateChunks } from './state-chunks.js';
import type { ClientOwner } from '../room/client-ids.ts';
import {
	JoinCodeTakenError,
	MAX_JOURNAL_BYTES_PER_MAP,
	MapExistsError,
	journalRecordBytes,
	AnnotationLimitError,
	MAX_ANNOTATIONS_PER_SNAPSHOT,
	MAX_SNAPSHOTS_PER_MAP,
	SnapshotLimitError,
	snapshotBytes,
	type DocStore,
	type SnapshotRecord,
	type MapRecord,
	type StoredJournalEntry,
	type StoredUpdate
} from './doc-store.ts';

function cloneRecord(record: MapRecord): MapRecord {
	return {
		...record,
		keyHashes: { ...record.keyHashes },
		keyGenerations: { ...record.keyGenerations },
		linkSecret: record.linkSecret ? record.linkSecret.slice() : null
	};
}

export function createMemoryStore(options: { maxJournalBytesPerMap?: number } = {}): DocStore {
	const maxJournalBytes = options.maxJournalBytesPerMap ?? MAX_JOURNAL_BYTES_PER_MAP;
	const journalBytes = new Map<string, number>();
	const maps = new Map<string, MapRecord>();
	const logs = new Map<string, StoredUpdate[]>();
	/** codeHash -> row, and mapId -> its codeHash. */
	const codes = new Map<string, { mapId: string; sealed: Uint8Array }>();
	const codeOfMap = new Map<string, string>();
	const owners = new Map<string, Map<number, string>>();
	const journals = new Map<string, StoredJournalEntry[]>();
	const snapshots = new Map<string, SnapshotRecord>();
	/** Per map, the seq the last compaction merged up to (loadUpdatesSince). */
	const compactedTo = new Map<string, number>();
	let snapshotTotal = 0;
	let closed = false;
	const cloneSnapshot = (record: SnapshotRecord): SnapshotRecord => ({
		...structuredClone({ ...record, state: null, geojson: null, png: null }),
		state: record.state.slice(),
		geojson: record.geojson.slice(),
		png: record.png ? record.png.slice() : null
	});
	const sizeOf = (record: SnapshotRecord) =>
		snapshotBytes({ ...record, metaJson: JSON.stringify(record.meta), annotationsJson: JSON.stringify(record.annotations) });

	const open = () => {
		if (closed) throw new Error('store is closed');
	};

	return {
		async createMap(record) {
			open();
			if (maps.has(record.id)) throw new MapExistsError(record.id);
			maps.set(record.id, cloneRecord(record));
		},
		async getMap(id) {
			open();
			const record = maps.get(id);
			return record ? cloneRecord(record) : null;
		},
		async rotateKey(mapId, role, fromGeneration, keyHash, linkSecret) {
			open();
			const record = maps.get(mapId);
			if (!record || record.keyGenerations[role] !== fromGeneration) return false;
			record.keyGenerations[role] = fromGeneration + 1;
			record.keyHashes[role] = keyHash;
			if (role === 'facilitator' && record.linkSecret === null && linkSecret) record.linkSecret = linkSecret.slice();
			return true;
		},
		async setJoinCode(mapId, codeHash, sealed) {
			open();
			const holder = codes.get(codeHash);
			if (holder && holder.mapId !== mapId) throw new JoinCodeTakenError();
			const previous = codeOfMap.get(mapId);
			if (previous !== undefined) codes.delete(previous);
			codes.set(codeHash, { mapId, sealed: sealed.slice() });
			codeOfMap.set(mapId, codeHash);
		},
		async findJoinCode(codeHash) {
			open();
			const row = codes.get(codeHash);
			return row ? { mapId: row.mapId, sealed: row.sealed.slice() } : null;
		},
		async appendUpdate(mapId, update, extras = {}) {
			open();
			const log = logs.get(mapId) ?? [];
			const seq = (log.at(-1)?.seq ?? 0) + 1;
			log.push({ seq, data: update.slice() });
			logs.set(mapId, log);
			let bound = owners.get(mapId);
			if (!bound) owners.set(mapId, (bound = new Map()));
			for (const { client, device } of extras.owners ?? []) if (!bound.has(client)) bound.set(client, device);
			let journal = journals.get(mapId);
			if (!journal) journals.set(mapId, (journal = []));
			for (const entry of extras.journal ?? []) {
				journal.push({ ...structuredClone(entry), seq: (journal.at(-1)?.seq ?? 0) + 1 });
			}
			// The same cap as the SQLite store, counted the same way (doc-store.ts).
			let bytes = (journalBytes.get(mapId) ?? 0) + (extras.journal ?? []).reduce((sum, record) => sum + recordBytes(record), 0);
			if (bytes > maxJournalBytes) {
				let drop = 0;
				while (drop < journal.length && bytes > maxJournalBytes * 0.9) bytes -= recordBytes(journal[drop++]);
				journal.splice(0, drop);
			}
			journalBytes.set(mapId, bytes);
			return seq;
		},
		async addOwners(mapId, added) {
			open();
			let bound = owners.get(mapId);
			if (!bound) owners.set(mapId, (bound = new Map()));
			for (const { client, device } of added) if (!bound.has(client)) bound.set(client, device);
		},
		async loadOwners(mapId): Promise<ClientOwner[]> {
			open();
			return [...(owners.get(mapId) ?? [])].map(([client, device]) => ({ client, device }));
		},
		async readJournal(mapId, query) {
			open();
			return (journals.get(mapId) ?? [])
				.filter(
					(entry) =>
						(query.entry === undefined || entry.entry === query.entry) &&
						(query.kind === undefined || entry.kind === query.kind) &&
						(query.before === undefined || entry.seq < query.before)
				)
				.reverse()
				.slice(0, query.limit)
				.map((entry) => structuredClone(entry));
		},
		async loadUpdates(mapId) {
			open();
			return (logs.get(mapId) ?? []).map((row) => ({ seq: row.seq, data: row.data.slice() }));
		},
		async loadUpdatesSince(mapId, afterSeq) {
			open();
			const all = afterSeq < (compactedTo.get(mapId) ?? 0);
			return (logs.get(mapId) ?? []).filter((row) => all || row.seq > afterSeq).map((row) => ({ seq: row.seq, data: row.data.slice() }));
		},
		async logHeads(mapIds) {
			open();
			return new Map(
				mapIds.map((mapId) => {
					const log = logs.get(mapId) ?? [];
					const generations = { facilitator: 0, editor: 0, viewer: 0, ...maps.get(mapId)?.keyGenerations };
					return [mapId, { seq: log.at(-1)?.seq ?? 0, bytes: log.reduce((sum, row) => sum + row.data.byteLength, 0), generations }];
				})
			);
		},
		async compactStored(mapId, upToSeq) {
			open();
			const log = logs.get(mapId) ?? [];
			const rows = log.filter((row) => row.seq <= upToSeq);
			if (rows.length <= 1) return { bytes: rows[0]?.data.byteLength ?? 0, rows: rows.length };
			const doc = new Y.Doc();
			for (const row of rows) Y.applyUpdate(doc, row.data);
			const chunks = stateChunks(Y.encodeStateAsUpdate(doc));
			const merged = chunks.map((data, index) => ({ seq: upToSeq - chunks.length + 1 + index, data }));
			logs.set(mapId, [...merged, ...log.filter((row) => row.seq > upToSeq)]);
			compactedTo.set(mapId, Math.max(compactedTo.get(mapId) ?? 0, upToSeq));
			return { bytes: chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0), rows: chunks.length };
		},
		async compact(mapId, upToSeq, state) {
			open();
			const kept = (logs.get(mapId) ?? []).filter((row) => row.seq > upToSeq);
			logs.set(mapId, [{ seq: upToSeq, data: state.slice() }, ...kept]);
			compactedTo.set(mapId, Math.max(compactedTo.get(mapId) ?? 0, upToSeq));
		},
		async createSnapshot(record, maxPerMap = MAX_SNAPSHOTS_PER_MAP) {
			open();
			if (snapshots.has(record.id)) throw new Error(`snapshot ${record.id} already exists`);
			let count = 0;
			for (const other of snapshots.values()) if (other.mapId === record.mapId) count++;
			if (count >= maxPerMap) throw new SnapshotLimitError(maxPerMap);
			const copy = cloneSnapshot(record);
			snapshots.set(record.id, copy);
			snapshotTotal += sizeOf(copy);
		},
		async getSnapshot(id) {
			open();
			const record = snapshots.get(id);
			return record ? cloneSnapshot(record) : null;
		},
		async listSnapshots(mapId) {
			open();
			return [...snapshots.values()]
				.filter((record) => record.mapId === mapId)
				.reverse()
				.sort((a, b) => b.takenAt - a.takenAt)
				.map(({ id, mapId: map, takenAt, takenBy, sha256, meta }) => structuredClone({ id, mapId: map, takenAt, takenBy, sha256, meta }));
		},
		async addAnnotation(id, annotation, max = MAX_ANNOTATIONS_PER_SNAPSHOT) {
			open();
			const record = snapshots.get(id);
			if (!record) return false;
			if (record.annotations.length >= max) throw new AnnotationLimitError(max);
			const before = sizeOf(record);
			record.annotations.push(structuredClone(annotation));
			snapshotTotal += sizeOf(record) - before;
			return true;
		},
		async setSnapshotPng(id, png, sha256) {
			open();
			const record = snapshots.get(id);
			if (!record) return 'missing';
			if (record.png) return 'exists';
			const before = sizeOf(record);
			record.png = png.slice();
			record.pngSha256 = sha256;
			snapshotTotal += sizeOf(record) - before;
			return 'stored';
		},
		storedBytes() {
			let total = snapshotTotal;
			for (const log of logs.values()) for (const row of log) total += row.data.byteLength;
			for (const bytes of journalBytes.values()) total += bytes;
			return total;
		},
		async countUpdates(mapId) {
			open();
			return logs.get(mapId)?.length ?? 0;
		},
		async close() {
			closed = true;
		}
	};
}

function recordBytes(record: { name: string; collection: string; entry: string; kind: string; fields: unknown }): number {
	return journalRecordBytes({ ...record, fieldsJson: JSON.stringify(record.fields) });
}
