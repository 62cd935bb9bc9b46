#!/usr/bin/env node
// `npm test`: type check, unit, server integration and end-to-end tests.
//
// After `svelte-kit sync` and the build (when build/ is stale; the server tests load it too):
//   - svelte-check beside the unit and server tests (those at a lower CPU priority);
//   - then the e2e tests on their own, one file at a time in Chromium: beside other tests on
//     two cores, a browser waiting on tiles and frames missed its deadlines;
//   - then, on their own, the few server tests that load the machine on purpose and hold it
//     to deadlines (QUIET below).
// Output is not interleaved: one part is shown live, the others are held back and shown
// whole, in a fixed order, with a summary of each part's time at the end.
//
// Without Chromium the e2e project is left out with one loud line; under CI=true that is a
// failure, because CI must prove the app works in a real browser. Likewise the PostgreSQL
// store's tests without a PostgreSQL server that answers (scripts/find-postgres.js), and the
// multi-instance tests without Redis (scripts/find-redis.js; they need PostgreSQL too).
//
// Extra arguments (`npm test -- tests/unit/ids.test.ts`, `-t name`, a reporter) go to one
// vitest run over all three projects after the type check, one part after the other.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { buildIsStale, ensureBuild, ROOT } from './ensure-build.js';
import { findPostgres, noPostgresLine } from './find-postgres.js';
import { findRedis, noRedisLine } from './find-redis.js';

/**
 * Server tests that load the machine on purpose (floods, 20 clients through 20 SIGKILLs,
 * 5,000 fuzzed frames, three instances at once) and hold it to deadlines: run alone, not
 * beside Chromium.
 */
const QUIET = [
	'tests/server/durability.test.ts',
	'tests/server/availability.test.ts',
	'tests/server/fuzz.test.ts',
	// Three server processes each, killed and restarted, Redis too.
	'tests/server/cluster.test.ts',
	'tests/server/cluster-failures.test.ts'
];

/** The unit and server tests yield the CPU to the type check beside them (a higher nice value). */
const BESIDE_E2E_NICE = 10;

const chromium = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p));
const ci = process.env.CI === 'true' || process.env.CI === '1';
const extraArgs = process.argv.slice(2);

const VITE = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const SVELTE_CHECK = [join(ROOT, 'node_modules', 'svelte-check', 'bin', 'svelte-check'), '--tsconfig', './tsconfig.json', '--threshold', 'error', '--output', 'human'];
const vitest = (projects, ...args) => [VITEST, 'run', ...projects.flatMap((p) => ['--project', p]), ...args];

/** Running child processes, stopped with us. */
const children = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
	process.on(signal, () => {
		for (const child of children) child.kill(signal);
		process.exit(1);
	});
}

if (!chromium) console.error('!!! E2E TESTS NOT RUN: no Chromium found (install Debian package "chromium" or set CHROMIUM_PATH) !!!');

// PostgreSQL: probed once here for every test file (tests/helpers/postgres.ts reads the
// answer), so a machine without it gets one line, not one per file.
const postgres = await findPostgres();
if (!postgres) console.error(noPostgresLine());
process.env.ATLAS_TEST_POSTGRES = postgres ?? 'none';
// Redis likewise, for the multi-instance tests (tests/helpers/redis.ts reads the answer).
const redis = await findRedis();
if (!redis) console.error(noRedisLine());
process.env.ATLAS_TEST_REDIS = redis ?? 'none';

// `svelte-kit sync` writes the generated tsconfig the check extends (a fresh clone has none yet).
spawnSync(process.execPath, [join(ROOT, 'node_modules', '@sveltejs', 'kit', 'svelte-kit.js'), 'sync'], { cwd: ROOT, stdio: 'inherit' });

/** For a run narrowed by arguments: types first, then one vitest run over every project. */
function runOneAfterAnother() {
	const check = spawnSync(process.execPath, SVELTE_CHECK, { cwd: ROOT, stdio: 'inherit' });
	if (check.status !== 0) {
		console.error('Type check failed.');
		return check.status ?? 1;
	}
	if (chromium) ensureBuild({ quiet: true });
	const projects = chromium ? ['unit', 'server', 'e2e'] : ['unit', 'server'];
	return spawnSync(process.execPath, vitest(projects, ...extraArgs), { cwd: ROOT, stdio: 'inherit' }).status ?? 1;
}

async function runSideBySide() {
	const started = performance.now();
	const output = new OrderedOutput(['build', 'types', 'unit + server', 'e2e', 'server, alone']);
	const parts = [];
	const finished = () => Promise.all(parts.map((part) => part.exit));

	if (chromium && buildIsStale()) {
		console.log('Building Asset Atlas (first start or sources changed)…');
		parts.push(output.run('build', [VITE, 'build'], { quietStdout: true }));
		if ((await finished()).some((code) => code !== 0)) return summary(parts, started);
	} else {
		output.skip('build');
	}

	// The type check beside the unit and server tests (vitest leaves the SvelteKit plugin
	// out, vite.config.ts, so nothing rewrites .svelte-kit/ while svelte-check reads it).
	// End-to-end tests then run on their own: beside other tests on two cores, a browser
	// waiting on tiles and frames missed its deadlines (the basemap test failed that way).
	parts.push(output.run('types', SVELTE_CHECK));
	parts.push(output.run('unit + server', vitest(['unit', 'server'], ...QUIET.flatMap((file) => ['--exclude', file])), { nice: BESIDE_E2E_NICE }));
	await finished();
	if (chromium) parts.push(output.run('e2e', vitest(['e2e'])));
	else output.skip('e2e');
	await finished();

	parts.push(output.run('server, alone', vitest(['server'], '--maxWorkers=1', ...QUIET)));
	await finished();
	return summary(parts, started);
}

async function summary(parts, started) {
	const exits = await Promise.all(parts.map((part) => part.exit));
	console.log('\nnpm test:');
	for (const [index, part] of parts.entries()) {
		console.log(`  ${part.name.padEnd(14)} ${exits[index] === 0 ? 'passed' : `FAILED (exit ${exits[index]})`} in ${Math.round(part.seconds)} s`);
	}
	console.log(`  ${'total'.padEnd(14)} ${Math.round((performance.now() - started) / 1000)} s`);
	if (exits[parts.findIndex((part) => part.name === 'types')] > 0) console.error('Type check failed.');
	return exits.find((code) => code !== 0) ?? 0;
}

/**
 * Child processes whose output is shown one at a time, in a fixed order of names: the
 * first unfinished one streams live, later ones are held back until their turn.
 */
class OrderedOutput {
	constructor(order) {
		this.order = order;
		/** @type {Map<string, { name: string, chunks: { stream: 'stdout' | 'stderr', data: Buffer }[], done: boolean, seconds: number, exit: Promise<number> }>} */
		this.parts = new Map();
		this.shown = 0;
	}

	/** A part that does not run this time: its turn passes. */
	skip(name) {
		this.parts.set(name, { name, chunks: [], done: true, seconds: 0, exit: Promise.resolve(0) });
		this.flush();
	}

	run(name, args, { quietStdout = false, nice = 0 } = {}) {
		const start = performance.now();
		const env = { ...process.env };
		// Piped output is not a terminal: keep colors when ours is one.
		if (process.stdout.isTTY && !('NO_COLOR' in env)) env.FORCE_COLOR ??= '1';
		const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', quietStdout ? 'ignore' : 'pipe', 'pipe'] });
		children.add(child);
		// Before it starts anything: its workers, servers and browsers inherit the priority.
		if (nice && child.pid) os.setPriority(child.pid, nice);
		const part = { name, chunks: [], done: false, seconds: 0, exit: null };
		this.parts.set(name, part);
		const take = (stream) => (data) => {
			if (this.order[this.shown] === name) process[stream].write(data);
			else part.chunks.push({ stream, data });
		};
		child.stdout?.on('data', take('stdout'));
		child.stderr?.on('data', take('stderr'));
		part.exit = new Promise((resolve) => {
			const finish = (code) => {
				if (part.done) return;
				children.delete(child);
				part.done = true;
				part.seconds = (performance.now() - start) / 1000;
				this.flush();
				resolve(code);
			};
			child.on('error', (error) => {
				take('stderr')(Buffer.from(`${name}: ${error.message}\n`));
				finish(1);
			});
			child.on('close', (code, signal) => finish(code ?? (signal ? 1 : 0)));
		});
		this.flush();
		return part;
	}

	/** Shows, in order, the held-back output of every finished part and of the first unfinished one. */
	flush() {
		while (this.shown < this.order.length) {
			const part = this.parts.get(this.order[this.shown]);
			if (!part) return;
			for (const { stream, data } of part.chunks.splice(0)) process[stream].write(data);
			if (!part.done) return;
			this.shown++;
		}
	}
}

const status = extraArgs.length > 0 ? runOneAfterAnother() : await runSideBySide();
if (!chromium && ci) {
	console.error('E2E tests are required under CI=true: failing.');
	process.exit(1);
}
if (!postgres && ci) {
	console.error('PostgreSQL tests are required under CI=true: failing.');
	process.exit(1);
}
if (!redis && ci) {
	console.error('Multi-instance (Redis) tests are required under CI=true: failing.');
	process.exit(1);
}
process.exit(status);
