#!/usr/bin/env node
// `npm start`: build if needed, then serve HTTP and WebSocket on one port (server/index.ts).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureBuild, ROOT } from './ensure-build.js';

try {
	ensureBuild();
} catch (error) {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
}

const server = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server', 'index.ts')], {
	cwd: ROOT,
	stdio: 'inherit',
	env: process.env
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
