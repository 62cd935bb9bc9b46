/**
 * `npm run bench`: every benchmark, one after another; prints numbers, never fails on them.
 * The browser benchmarks need Chromium, postgres-append.ts a PostgreSQL server, cluster.ts
 * PostgreSQL and Redis; without them each prints one loud line and is skipped.
 */
import { runColdOpen } from './cold-open.ts';
import { runCompactionBench } from './compaction.ts';
import { runDurableBench } from './durable.ts';
import { runFanout } from './fanout.ts';
import { runGateBench } from './gate.ts';
import { runStoreBench } from './store.ts';
import { runPostgresAppendBench } from './postgres-append.ts';
import { runClusterBench } from './cluster.ts';
import { runMap10k } from './map-10k.ts';
import { runPresenceBench } from './presence.ts';
import { runDragRate } from './drag-rate.ts';
import { runPlacesBench } from './places.ts';
import { runCoachBench } from './coach.ts';
import { runPdfReportBench } from './pdf-report.ts';
import { runVoicesBench } from './voices.ts';

await runGateBench();
await runPlacesBench();
runCoachBench();
await runPdfReportBench();
await runVoicesBench();
await runStoreBench();
await runPostgresAppendBench();
await runDurableBench();
await runCompactionBench();
await runColdOpen();
await runPresenceBench();
await runFanout();
await runFanout(1000);
await runClusterBench();
await runMap10k();
await runDragRate();
process.exit(0);
