// @ts-check
/**
 * Compaction off the event loop. Merging a map's stored rows into one state means applying
 * them all to a Y.Doc and encoding it: seconds for a map of 100,000 assets, during which no
 * other room would be served. This worker does it on its own SQLite connection (WAL lets it
 * read while the server writes) and swaps the rows in one short transaction.
 *
 * Plain JavaScript: a worker thread cannot take the TypeScript loader the server runs with.
 * The state is written as several rows, each quick to apply (state-chunks.js), so loading
 * the map later does not hold the event loop either.
 * Messages: { id, mapId, upToSeq } in; { id, bytes, rows, removed } or { id, error } out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import * as Y from 'yjs';
import { stateChunks } from './state-chunks.js';

const db = new Database(workerData.file, { timeout: 5000 });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
const select = db.prepare('SELECT seq, data FROM doc_updates WHERE map_id = ? AND seq <= ? ORDER BY seq');
const countUpTo = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(length(data)), 0) AS bytes FROM doc_updates WHERE map_id = ? AND seq <= ?');
const deleteUpTo = db.prepare('DELETE FROM doc_updates WHERE map_id = ? AND seq <= ?');
const insertAt = db.prepare('INSERT INTO doc_updates (map_id, seq, data) VALUES (?, ?, ?)');
const markCompacted = db.prepare(
	'INSERT INTO compactions (map_id, up_to) VALUES (?, ?) ON CONFLICT (map_id) DO UPDATE SET up_to = MAX(up_to, excluded.up_to)'
);

/**
 * Swaps the rows for the state's chunks (seqs ending at upToSeq, in order), unless someone
 * changed them since they were read.
 */
const swap = db.transaction(
	/** @param {string} mapId @param {number} upToSeq @param {number} rows @param {Uint8Array[]} chunks */
	(mapId, upToSeq, rows, chunks) => {
		const now = /** @type {{ n: number, bytes: number }} */ (countUpTo.get(mapId, upToSeq));
		if (now.n !== rows) return null;
		deleteUpTo.run(mapId, upToSeq);
		for (const [index, chunk] of chunks.entries()) insertAt.run(mapId, upToSeq - chunks.length + 1 + index, Buffer.from(chunk));
		markCompacted.run(mapId, upToSeq);
		return now.bytes;
	}
);

parentPort?.on('message', (/** @type {{ id: number, mapId: string, upToSeq: number }} */ { id, mapId, upToSeq }) => {
	let reply;
	try {
		const rows = /** @type {Array<{ seq: number, data: Buffer }>} */ (select.all(mapId, upToSeq));
		if (rows.length <= 1) {
			reply = { id, bytes: rows[0]?.data.byteLength ?? 0, rows: rows.length, removed: 0 };
		} else {
			const doc = new Y.Doc();
			doc.transact(() => {
				for (const row of rows) Y.applyUpdate(doc, new Uint8Array(row.data));
			});
			const chunks = stateChunks(Y.encodeStateAsUpdate(doc));
			doc.destroy();
			// IMMEDIATE: take the write lock before reading the count, so the busy timeout applies
			// (a deferred read-then-write fails at once with SQLITE_BUSY when the server is writing).
			const removed = swap.immediate(mapId, upToSeq, rows.length, chunks);
			const bytes = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
			reply = removed === null ? { id, error: 'rows changed while compacting' } : { id, bytes, rows: chunks.length, removed };
		}
	} catch (error) {
		reply = { id, error: error instanceof Error ? error.message : String(error) };
	}
	parentPort?.postMessage(reply);
});
