/**
 * The language coach on a full 4,000-character description, in-process: it runs on
 * every keystroke, so it must stay far under a frame (target: well under 1 ms).
 * `node --import tsx bench/coach.ts`
 */
import { coach } from '../src/lib/coach.ts';
import { percentile } from './stats.ts';

export function runCoachBench(): void {
	const sentence = 'The Eastside garden needs more volunteers; its problems with water and broken fences are real, and Ms. Poor leads it with care. ';
	const text = sentence.repeat(Math.ceil(4000 / sentence.length)).slice(0, 4000);
	for (let n = 0; n < 200; n++) coach(text); // warm up
	const samples: number[] = [];
	let hints = 0;
	for (let n = 0; n < 2000; n++) {
		const started = performance.now();
		hints = coach(text).length;
		samples.push(performance.now() - started);
	}
	samples.sort((a, b) => a - b);
	const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
	console.log(`coach: ${text.length} characters, ${hints} hints: p50 ${us(percentile(samples, 50))}, p99 ${us(percentile(samples, 99))}, max ${us(samples.at(-1)!)} (n=${samples.length})`);
}

if (import.meta.url === `file://${process.argv[1]}`) runCoachBench();
