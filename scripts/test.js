#!/usr/bin/env node
// `npm test`: unit, server integration and end-to-end tests in one vitest run.
// Without Chromium the e2e project is left out with one loud line; under CI=true that
// is a failure, because CI must prove the app works in a real browser.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuild, ROOT } from './ensure-build.js';

const chromium = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p));
const ci = process.env.CI === 'true' || process.env.CI === '1';
const projects = ['unit', 'server'];

if (chromium) {
	ensureBuild({ quiet: true });
	projects.push('e2e');
} else {
	console.error('!!! E2E TESTS NOT RUN: no Chromium found (install Debian package "chromium" or set CHROMIUM_PATH) !!!');
}

// Types first: a type error is a bug the other tests may not reach. `svelte-kit sync`
// writes the generated tsconfig the check extends (a fresh clone has none yet).
spawnSync(process.execPath, [join(ROOT, 'node_modules', '@sveltejs', 'kit', 'svelte-kit.js'), 'sync'], { cwd: ROOT, stdio: 'inherit' });
const check = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'svelte-check', 'bin', 'svelte-check'), '--tsconfig', './tsconfig.json', '--threshold', 'error', '--output', 'human'], {
	cwd: ROOT,
	stdio: 'inherit'
});
if (check.status !== 0) {
	console.error('Type check failed.');
	process.exit(check.status ?? 1);
}

const args = [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...projects.flatMap((p) => ['--project', p]), ...process.argv.slice(2)];
const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
const status = result.status ?? 1;
if (!chromium && ci) {
	console.error('E2E tests are required under CI=true: failing.');
	process.exit(1);
}
process.exit(status);
