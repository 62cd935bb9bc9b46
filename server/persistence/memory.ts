/** In-process store for fast tests; copies bytes in and out so callers cannot alias rows. */
import { MapExistsError, type DocStore, type MapRecord, type StoredUpdate } from './doc-store.ts';

function cloneRecord(record: MapRecord): MapRecord {
	return { ...record, keyHashes: { ...record.keyHashes } };
}

export function createMemoryStore(): DocStore {
	const maps = new Map<string, MapRecord>();
	const logs = new Map<string, StoredUpdate[]>();
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
