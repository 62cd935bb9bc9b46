// @ts-check
/**
 * Makes PDF reports off the event loop (render.ts): a report of a few thousand assets is
 * a second or more of layout, during which no room would be served. Plain JavaScript
 * that registers the TypeScript loader itself, so it runs in a worker thread wherever the
 * server runs (npm start, the tests, the benches).
 * Messages: { id, task } in (snapshot-files.ts); { id, result } or { id, error } out.
 */
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { runTask } = await import('../snapshot-files.ts');

parentPort?.on('message', async (/** @type {{ id: number, task: import('../snapshot-files.ts').SnapshotTask }} */ { id, task }) => {
	try {
		const result = await runTask(task);
		parentPort?.postMessage({ id, result });
	} catch (error) {
		parentPort?.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
	}
});
