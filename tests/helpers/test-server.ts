/**
 * Runs the real production entry (server/index.ts) as a child process on port 0 with its
 * own temporary DATA_DIR. Waits for the "listening" line instead of sleeping.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '../..');
const LISTENING = /^Asset Atlas listening on (http:\/\/\S+)$/;
const START_DEADLINE_MS = 20_000;

export interface TestServer {
	/** http://127.0.0.1:PORT; changes on restart(). */
	url: string;
	/** ws://127.0.0.1:PORT/sync, the serverUrl for y-websocket. */
	syncUrl: string;
	port: number;
	/** The current process's id (for benches that read its CPU and memory). */
	readonly pid: number;
	readonly dataDir: string;
	readonly sqliteFile: string;
	/** Sends the signal and resolves with how the process exited. */
	kill(signal?: NodeJS.Signals): Promise<Exit>;
	/**
	 * Starts a new process on the same DATA_DIR (killing the old one with SIGKILL if still
	 * running). With samePort, it listens where the old one did, so connected clients
	 * reconnect on their own, as they would to a restarted production server.
	 */
	restart(options?: { samePort?: boolean }): Promise<void>;
	/** Kills the process and deletes DATA_DIR. */
	dispose(): Promise<void>;
	/** Everything the current process printed, for failure messages. */
	output(): string;
}

export interface Exit {
	code: number | null;
	signal: NodeJS.Signals | null;
}

interface Running {
	child: ChildProcess;
	url: string;
	exited: Promise<Exit>;
	log: string[];
}

function launch(dataDir: string, env: Record<string, string>, port = 0): Promise<Running> {
	const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
		cwd: ROOT,
		// Tests create far more maps from one address than any person would. The SQLite store
		// and one instance unless a test passes DATABASE_URL and REDIS_URL itself (not ones from
		// the shell running the tests).
		env: {
			...process.env,
			DATABASE_URL: '',
			REDIS_URL: '',
			SERVER_SECRET: '',
			MAP_CREATIONS_PER_HOUR: '1000000',
			BASEMAP_UPSTREAM: 'none',
			...env,
			PORT: String(port),
			HOST: '127.0.0.1',
			DATA_DIR: dataDir
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	const log: string[] = [];
	const exited = new Promise<Exit>((done) => child.once('exit', (code, signal) => done({ code, signal })));
	child.stderr?.setEncoding('utf8').on('data', (chunk: string) => log.push(chunk));
	return new Promise((resolvePromise, reject) => {
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`server did not start within ${START_DEADLINE_MS} ms:\n${log.join('')}`));
		}, START_DEADLINE_MS);
		child.once('exit', (code, signal) => {
			clearTimeout(timer);
			reject(new Error(`server exited before listening (code ${code}, signal ${signal}):\n${log.join('')}`));
		});
		const lines = createInterface({ input: child.stdout! });
		lines.on('line', (line) => {
			log.push(`${line}\n`);
			const match = LISTENING.exec(line);
			if (match) {
				clearTimeout(timer);
				resolvePromise({ child, url: match[1], exited, log });
			}
		});
	});
}

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
	const dataDir = mkdtempSync(join(tmpdir(), 'atlas-test-'));
	let running = await launch(dataDir, env);

	const stopCurrent = async (signal: NodeJS.Signals) => {
		const { child, exited } = running;
		if (child.exitCode === null && child.signalCode === null) child.kill(signal);
		return exited;
	};

	const server: TestServer = {
		url: running.url,
		syncUrl: `${running.url.replace(/^http/, 'ws')}/sync`,
		port: Number(new URL(running.url).port),
		get pid() {
			return running.child.pid ?? -1;
		},
		dataDir,
		sqliteFile: join(dataDir, 'atlas.sqlite'),
		kill: (signal = 'SIGTERM') => stopCurrent(signal),
		async restart({ samePort = false } = {}) {
			await stopCurrent('SIGKILL');
			running = await launch(dataDir, env, samePort ? server.port : 0);
			server.url = running.url;
			server.syncUrl = `${running.url.replace(/^http/, 'ws')}/sync`;
			server.port = Number(new URL(running.url).port);
		},
		async dispose() {
			await stopCurrent('SIGKILL');
			rmSync(dataDir, { recursive: true, force: true });
		},
		output: () => running.log.join('')
	};
	return server;
}
