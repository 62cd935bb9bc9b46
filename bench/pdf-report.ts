/**
 * The PDF report of a snapshot (server/pdf/report.ts), in-process: how long a report of a
 * 2,000-asset map takes and how big it is, the first one in the process (fonts and the
 * Natural Earth basemap read and parsed) and then warm. Prints numbers; never asserts.
 *
 *   node --import tsx bench/pdf-report.ts [assets=2000] [runs=3] [out.pdf]
 */
import { writeFileSync } from 'node:fs';
import { snapshotReport } from '../server/pdf/report.ts';
import { snapshotRecordOf, workshopMap } from '../tests/helpers/snapshot-records.ts';
import { percentile } from './stats.ts';

export async function runPdfReportBench(assets = 2000, runs = 3, out?: string): Promise<void> {
	runs = Math.max(1, runs);
	const record = snapshotRecordOf(workshopMap(assets), {
		annotations: [{ id: 'note1', at: Date.UTC(2026, 2, 20, 9, 0), text: 'We learned who keeps the garden going.', competencies: ['knowledge-of-community', 'connecting-assets'], by: 'annotator' }]
	});
	let started = performance.now();
	const first = await snapshotReport(record);
	const cold = performance.now() - started;
	const warm: number[] = [];
	let bytes = first;
	for (let n = 0; n < runs; n++) {
		started = performance.now();
		bytes = await snapshotReport(record);
		warm.push(performance.now() - started);
	}
	warm.sort((a, b) => a - b);
	const pages = (new TextDecoder('latin1').decode(bytes).match(/\/Type \/Page\b/g) ?? []).length;
	const same = Buffer.from(first).equals(Buffer.from(bytes));
	console.log(
		`pdf report: ${assets.toLocaleString('en')} assets, ${pages} pages, ${(bytes.byteLength / 1024).toFixed(0)} KiB: first ${cold.toFixed(0)} ms, then p50 ${percentile(warm, 50).toFixed(0)} ms, max ${warm.at(-1)!.toFixed(0)} ms (n=${runs}); same bytes each time: ${same ? 'yes' : 'NO'}`
	);
	if (out) writeFileSync(out, bytes);
}

if (import.meta.url === `file://${process.argv[1]}`) {
	await runPdfReportBench(Number(process.argv[2] ?? 2000), Number(process.argv[3] ?? 3), process.argv[4]);
}
