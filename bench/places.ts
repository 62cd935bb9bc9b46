/**
 * Place search: loading the offline gazetteer (wall time, the longest the event loop was
 * held, memory) and query latency for typed prefixes, short and long, in-process.
 */
import { loadGazetteer } from '../server/places/gazetteer.ts';
import { percentile } from './stats.ts';

const QUERIES = ['sa', 'lo', 'spr', 'springfield', 'sao paulo', 'new york', 'rio de j', 'zur', 'kensington', 'xq', 'st', 'port', 'san jose', 'bei', 'mumbai'];

function us(samples: number[]): string {
	const sorted = [...samples].sort((a, b) => a - b);
	const f = (n: number) => `${(n * 1000).toFixed(0)} µs`;
	return `p50 ${f(percentile(sorted, 50))}, p99 ${f(percentile(sorted, 99))}, max ${f(sorted.at(-1) ?? NaN)} (n=${sorted.length})`;
}

export async function runPlacesBench(): Promise<void> {
	global.gc?.();
	const before = process.memoryUsage();
	const { gazetteer, stats } = await loadGazetteer();
	global.gc?.();
	const after = process.memoryUsage();
	const mb = (n: number) => `${(n / 2 ** 20).toFixed(0)} MB`;
	console.log(
		`places: loaded ${stats.cities} places in ${stats.loadMs.toFixed(0)} ms, event loop held at most ${stats.longestBlockMs.toFixed(0)} ms at once; heap +${mb(after.heapUsed - before.heapUsed)}, rss +${mb(after.rss - before.rss)}${global.gc ? '' : ' (run with --expose-gc for steadier memory numbers)'}`
	);
	const all: number[] = [];
	const short: number[] = [];
	for (let round = 0; round < 200; round++) {
		for (const query of QUERIES) {
			const started = performance.now();
			gazetteer.search(query, 10);
			const took = performance.now() - started;
			all.push(took);
			if (query.length <= 2) short.push(took);
		}
	}
	console.log(`places: query, all (${QUERIES.length} texts × 200): ${us(all)}`);
	console.log(`places: query, two letters (thousands of matches ranked): ${us(short)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
	await runPlacesBench();
}
