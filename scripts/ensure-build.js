// Builds the app when build/ is missing or older than its sources. Shared by `npm start`
// and the end-to-end tests, so both always serve what the sources say.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STAMP = join(ROOT, 'build', 'handler.js');
const INPUTS = ['src', 'static', 'svelte.config.js', 'vite.config.ts', 'package-lock.json'];

function newestMtime(path) {
	const stats = statSync(path);
	if (!stats.isDirectory()) return stats.mtimeMs;
	let newest = stats.mtimeMs;
	for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
	return newest;
}

export function buildIsStale() {
	if (!existsSync(STAMP)) return true;
	const built = statSync(STAMP).mtimeMs;
	return INPUTS.map((input) => join(ROOT, input))
		.filter(existsSync)
		.some((input) => newestMtime(input) > built);
}

export function ensureBuild({ quiet = false } = {}) {
	if (!buildIsStale()) return;
	console.log('Building Asset Atlas (first start or sources changed)…');
	const result = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], {
		cwd: ROOT,
		stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit'
	});
	if (result.status !== 0) throw new Error(`vite build failed with status ${result.status}`);
}

// `node scripts/ensure-build.js` builds only if needed.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) ensureBuild();
