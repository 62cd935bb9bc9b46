/** `npm run bench`: every benchmark, one after another; prints numbers, never fails on them. */
import { runFanout } from './fanout.ts';
import { runStoreBench } from './store.ts';

await runStoreBench();
await runFanout();
process.exit(0);
