/**
 * Redis for the multi-instance tests: finds a server that answers (TEST_REDIS_URL, else the
 * development and CI machines' own at 127.0.0.1:6379), gives each test file its own channel
 * prefix so files running side by side never hear each other, and starts a private
 * redis-server on a free port for the tests that stop and restart Redis (never the shared one).
 *
 * Without Redis the multi-instance tests are skipped with one loud line; under CI=true
 * they fail instead. `npm test` probes once for all files (scripts/test.js, which prints
 * the line and sets ATLAS_TEST_REDIS to the URL that answered, or to `none`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { findRedis, noRedisLine, redisAnswers } from '../../scripts/find-redis.js';

const ci = process.env.CI === 'true' || process.env.CI === '1';

let found: Promise<string | null> | null = null;

/** The URL of a Redis server for tests, or null (after one loud line). Throws under CI=true instead. */
export function testRedis(): Promise<string | null> {
	found ??= (async () => {
		const given = process.env.ATLAS_TEST_REDIS;
		const url = given === 'none' ? null : given ? given : await findRedis();
		if (url) return url;
		if (ci) throw new Error('multi-instance tests are required under CI=true, and no Redis answered');
		if (given !== 'none') console.error(noRedisLine());
		return null;
	})();
	return found;
}

/** A channel prefix no other run uses. */
export function freshRedisPrefix(): string {
	return `atlas-test-${randomBytes(6).toString('hex')}:`;
}

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

export interface OwnRedis {
	url: string;
	port: number;
	/** SIGKILLs it (nothing is kept on disk: it comes back empty, as a restarted cache does). */
	kill(): Promise<void>;
	/** Starts it again on the same port. */
	start(): Promise<void>;
	dispose(): Promise<void>;
}

/** A redis-server of the test's own, on a free port, keeping nothing on disk. */
export async function startOwnRedis(): Promise<OwnRedis> {
	const port = await freePort();
	const url = `redis://127.0.0.1:${port}`;
	let child: ChildProcess | null = null;
	let exited: Promise<void> = Promise.resolve();
	const start = async () => {
		child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
			stdio: 'ignore'
		});
		const running = child;
		exited = new Promise((resolve) => running.once('exit', () => resolve()));
		const deadline = Date.now() + 10_000;
		while (!(await redisAnswers(url))) {
			if (Date.now() > deadline || running.exitCode !== null) throw new Error(`redis-server on port ${port} did not start`);
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
	};
	await start();
	const kill = async () => {
		if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
		await exited;
		child = null;
	};
	return { url, port, kill, start, dispose: kill };
}
