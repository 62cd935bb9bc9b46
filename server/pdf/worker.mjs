// @ts-check
/**
 * Makes PDF reports off the event loop (render.ts): a report of a few thousand assets is
 * a second or more of layout, during which no room would be served. Plain JavaScript
 * that registers the TypeScript loader itself, so it runs in a worker thread wherever the
 * server runs (npm start, the tests, the benches).
 * Messages: { id, record } in; { id, bytes } or { id, error } out.
 */
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { snapshotReport } = await import('./report.ts');

parentPort?.on('message', async (/** @type {{ id: number, record: import('../persistence/doc-store.ts').SnapshotRecord }} */ { id, record }) => {
	try {
		const bytes = await snapshotReport(record);
		const copy = bytes.slice();
		parentPort?.postMessage({ id, bytes: copy }, [copy.buffer]);
	} catch (error) {
		parentPort?.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
	}
});
