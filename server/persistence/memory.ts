/** In-process store for fast tests; copies bytes in and out so callers cannot alias rows. */
import { JoinCodeTakenError, MapExistsError, type DocStore, type MapRecord, type StoredUpdate } from './doc-store.ts';

function cloneRecord(record: MapRecord): MapRecord {
	return { ...record, keyHashes: { ...record.keyHashes }, keyGenerations: { ...record.keyGenerations } };
}

export function createMemoryStore(): DocStore {
	const maps = new Map<string, MapRecord>();
	const logs = new Map<string, StoredUpdate[]>();
	/** codeHash -> row, and mapId -> its codeHash. */
	const codes = new Map<string, { mapId: string; sealed: Uint8Array }>();
	const codeOfMap = new Map<string, string>();
	let closed = false;

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
		async rotateKey(mapId, role, fromGeneration, keyHash) {
			open();
			const record = maps.get(mapId);
			if (!record || record.keyGenerations[role] !== fromGeneration) return false;
			record.keyGenerations[role] = fromGeneration + 1;
			record.keyHashes[role] = keyHash;
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
		async appendUpdate(mapId, update) {
			open();
			const log = logs.get(mapId) ?? [];
			const seq = (log.at(-1)?.seq ?? 0) + 1;
			log.push({ seq, data: update.slice() });
			logs.set(mapId, log);
			return seq;
		},
		async loadUpdates(mapId) {
			open();
			return (logs.get(mapId) ?? []).map((row) => ({ seq: row.seq, data: row.data.slice() }));
		},
		async compact(mapId, upToSeq, state) {
			open();
			const kept = (logs.get(mapId) ?? []).filter((row) => row.seq > upToSeq);
			logs.set(mapId, [{ seq: upToSeq, data: state.slice() }, ...kept]);
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
