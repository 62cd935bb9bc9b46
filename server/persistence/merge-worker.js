// @ts-check
/**
 * Merges a map's stored rows off the event loop, for stores whose rows are read over the
 * network (the PostgreSQL store): the rows come in, the merged state comes back as
 * quick-to-apply chunks (state-chunks.js). Applying a 10,000-asset map's log and encoding
 * it takes seconds; no room would be served meanwhile if it ran on the server's thread.
 *
 * Plain JavaScript: a worker thread cannot take the TypeScript loader the server runs with.
 * Messages: { id, rows: Uint8Array[] } in; { id, chunks: Uint8Array[] } or { id, error } out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as Y from 'yjs';
import { stateChunks } from './state-chunks.js';

export const MERGE_WORKER_ROLE = 'atlas-merge-worker';

/** @param {Uint8Array[]} rows @returns {Uint8Array[]} */
export function mergeRows(rows) {
	const doc = new Y.Doc();
	doc.transact(() => {
		for (const row of rows) Y.applyUpdate(doc, row);
	});
	const chunks = stateChunks(Y.encodeStateAsUpdate(doc));
	doc.destroy();
	return chunks;
}

// Only when started as this worker: the server's thread imports mergeRows from here too,
// and may itself run inside some other worker (a test runner's).
if (workerData?.role === MERGE_WORKER_ROLE) {
	parentPort?.on('message', (/** @type {{ id: number, rows: Uint8Array[] }} */ { id, rows }) => {
		let reply;
		try {
			reply = { id, chunks: mergeRows(rows) };
		} catch (error) {
			reply = { id, error: error instanceof Error ? error.message : String(error) };
		}
		parentPort?.postMessage(reply);
	});
}
