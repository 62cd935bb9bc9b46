// @ts-check
/**
 * Compaction off the event loop. Merging a map's stored rows into one state means applying
 * them all to a Y.Doc and encoding it: seconds for a map of 100,000 assets, during which no
 * other room would be served. This worker does it on its own SQLite connection (WAL lets it
 * read while the server writes) and swaps the rows in one short transaction.
 *
 * Plain JavaScript: a worker thread cannot take the TypeScript loader the server runs with.
 * Messages: { id, mapId, upToSeq } in; { id, bytes, removed } or { id, error } out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import * as Y from 'yjs';

const db = new Database(workerData.file, { timeout: 5000 });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
const select = db.prepare('SELECT seq, data FROM doc_updates WHERE map_id = ? AND seq <= ? ORDER BY seq');
const countUpTo = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(length(data)), 0) AS bytes FROM doc_updates WHERE map_id = ? AND seq <= ?');
const deleteUpTo = db.prepare('DELETE FROM doc_updates WHERE map_id = ? AND seq <= ?');
const insertAt = db.prepare('INSERT INTO doc_updates (map_id, seq, data) VALUES (?, ?, ?)');

/** Swaps the rows for the state, unless someone changed them since they were read. */
const swap = db.transaction(
	/** @param {string} mapId @param {number} upToSeq @param {number} rows @param {Buffer} state */
	(mapId, upToSeq, rows, state) => {
		const now = /** @type {{ n: number, bytes: number }} */ (countUpTo.get(mapId, upToSeq));
		if (now.n !== rows) return null;
		deleteUpTo.run(mapId, upToSeq);
		insertAt.run(mapId, upToSeq, state);
		return now.bytes;
	}
);

parentPort?.on('message', (/** @type {{ id: number, mapId: string, upToSeq: number }} */ { id, mapId, upToSeq }) => {
	let reply;
	try {
		const rows = /** @type {Array<{ seq: number, data: Buffer }>} */ (select.all(mapId, upToSeq));
		if (rows.length <= 1) {
			reply = { id, bytes: rows[0]?.data.byteLength ?? 0, removed: 0 };
		} else {
			const doc = new Y.Doc();
			doc.transact(() => {
				for (const row of rows) Y.applyUpdate(doc, new Uint8Array(row.data));
			});
			const state = Buffer.from(Y.encodeStateAsUpdate(doc));
			doc.destroy();
			const removed = swap(mapId, upToSeq, rows.length, state);
			reply = removed === null ? { id, error: 'rows changed while compacting' } : { id, bytes: state.byteLength, removed };
		}
	} catch (error) {
		reply = { id, error: error instanceof Error ? error.message : String(error) };
	}
	parentPort?.postMessage(reply);
});
