/**
 * Default store: one SQLite file. WAL with synchronous=FULL makes every committed append
 * survive a power cut, which is what lets rooms broadcast an update only after it is on disk.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MapExistsError, type DocStore, type MapRecord, type StoredUpdate } from './doc-store.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS maps (
	id TEXT PRIMARY KEY,
	title TEXT NOT NULL,
	place TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	facilitator_key_hash TEXT NOT NULL,
	editor_key_hash TEXT NOT NULL,
	viewer_key_hash TEXT NOT NULL,
	key_generation INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS doc_updates (
	map_id TEXT NOT NULL,
	seq INTEGER NOT NULL,
	data BLOB NOT NULL,
	PRIMARY KEY (map_id, seq)
) STRICT, WITHOUT ROWID;
`;

interface MapRow {
	id: string;
	title: string;
	place: string;
	created_at: number;
	facilitator_key_hash: string;
	editor_key_hash: string;
	viewer_key_hash: string;
	key_generation: number;
}

interface UpdateRow {
	seq: number;
	data: Buffer;
}

export const SQLITE_FILE = 'atlas.sqlite';

export function createSqliteStore(dataDir: string): DocStore {
	mkdirSync(dataDir, { recursive: true });
	const db = new Database(join(dataDir, SQLITE_FILE));
	db.pragma('journal_mode = WAL');
	db.pragma('synchronous = FULL');
	db.pragma('foreign_keys = ON');
	db.exec(SCHEMA);

	const insertMap = db.prepare<[string, string, string, number, string, string, string, number]>(
		`INSERT INTO maps (id, title, place, created_at, facilitator_key_hash, editor_key_hash, viewer_key_hash, key_generation)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	);
	const selectMap = db.prepare<[string], MapRow>('SELECT * FROM maps WHERE id = ?');
	const insertUpdate = db.prepare<[string, string, Buffer], { seq: number }>(
		`INSERT INTO doc_updates (map_id, seq, data)
		 VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM doc_updates WHERE map_id = ?), ?)
		 RETURNING seq`
	);
	const selectUpdates = db.prepare<[string], UpdateRow>(
		'SELECT seq, data FROM doc_updates WHERE map_id = ? ORDER BY seq'
	);
	const deleteUpTo = db.prepare<[string, number]>('DELETE FROM doc_updates WHERE map_id = ? AND seq <= ?');
	const insertAt = db.prepare<[string, number, Buffer]>('INSERT INTO doc_updates (map_id, seq, data) VALUES (?, ?, ?)');
	const countRows = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM doc_updates WHERE map_id = ?');

	const compactTx = db.transaction((mapId: string, upToSeq: number, state: Buffer) => {
		deleteUpTo.run(mapId, upToSeq);
		insertAt.run(mapId, upToSeq, state);
	});

	const toBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

	return {
		async createMap(record: MapRecord) {
			try {
				insertMap.run(
					record.id,
					record.title,
					record.place,
					record.createdAt,
					record.keyHashes.facilitator,
					record.keyHashes.editor,
					record.keyHashes.viewer,
					record.keyGeneration
				);
			} catch (error) {
				if (error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
					throw new MapExistsError(record.id);
				}
				throw error;
			}
		},
		async getMap(id) {
			const row = selectMap.get(id);
			if (!row) return null;
			return {
				id: row.id,
				title: row.title,
				place: row.place,
				createdAt: row.created_at,
				keyHashes: {
					facilitator: row.facilitator_key_hash,
					editor: row.editor_key_hash,
					viewer: row.viewer_key_hash
				},
				keyGeneration: row.key_generation
			};
		},
		async appendUpdate(mapId, update) {
			const row = insertUpdate.get(mapId, mapId, toBuffer(update));
			if (!row) throw new Error('append returned no seq');
			return row.seq;
		},
		async loadUpdates(mapId): Promise<StoredUpdate[]> {
			return selectUpdates.all(mapId).map((row) => ({ seq: row.seq, data: new Uint8Array(row.data) }));
		},
		async compact(mapId, upToSeq, state) {
			compactTx(mapId, upToSeq, toBuffer(state));
		},
		async countUpdates(mapId) {
			return countRows.get(mapId)?.n ?? 0;
		},
		async close() {
			if (db.open) db.close();
		}
	};
}
