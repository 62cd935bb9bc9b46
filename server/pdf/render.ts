/**
 * Serves PDF reports (report.ts) to GET /s/<id>/export.pdf without holding the event loop:
 * reports are made one at a time in a worker thread (worker.mjs), started on the first
 * request and stopped after a minute without one. A snapshot never changes but for its
 * annotations and its PNG, so a report made once is kept (the most recent ones, up to
 * CACHE_BYTES) and the same request again costs nothing; requests for one report while it
 * is being made share it. When more than MAX_WAITING reports are waiting, a request is
 * refused with ReportBusyError (503) instead of queueing without end.
 */
import { Worker } from 'node:worker_threads';
import type { SnapshotRecord } from '../persistence/doc-store.ts';
import { runTask, type FrozenState, type MadeFormat, type SnapshotTask } from '../snapshot-files.ts';

export const MAX_WAITING = 8;
export const CACHE_BYTES = 64 * 1024 * 1024;
const JOB_TIMEOUT_MS = 120_000;
const IDLE_MS = 60_000;

export class ReportBusyError extends Error {
	constructor() {
		super('too many PDF reports are being made at once');
		this.name = 'ReportBusyError';
	}
}

/**
 * What a file depends on: a report on the snapshot, its annotations and its PNG; CSV and
 * KML on the snapshot alone (they never change).
 */
function fileKey(record: SnapshotRecord, format: MadeFormat): string {
	if (format !== 'pdf') return `${record.id}:${format}`;
	const last = record.annotations.at(-1);
	return `${record.id}:${record.sha256}:${record.pngSha256 ?? '-'}:${record.annotations.length}:${last?.id ?? '-'}`;
}

type Reply = { id: number; result: unknown } | { id: number; error: string };

interface Job {
	id: number;
	task: SnapshotTask;
	resolve(result: unknown): void;
	reject(error: Error): void;
}

/** One worker thread, one report at a time. */
class ReportWorker {
	private worker: Worker | null = null;
	private readonly queue: Job[] = [];
	private current: Job | null = null;
	private timer: NodeJS.Timeout | null = null;
	private idle: NodeJS.Timeout | null = null;
	private next = 0;
	/** Set when a worker thread cannot run here (the report is then made on the main thread). */
	private unavailable = false;

	get waiting(): number {
		return this.queue.length + (this.current ? 1 : 0);
	}

	run(task: SnapshotTask): Promise<unknown> {
		if (this.unavailable) return runTask(task);
		return new Promise((resolve, reject) => {
			this.queue.push({ id: ++this.next, task, resolve, reject });
			this.pump();
		});
	}

	private start(): Worker {
		const worker = new Worker(new URL('./worker.mjs', import.meta.url));
		worker.unref();
		worker.on('message', (reply: Reply) => {
			const job = this.current;
			if (!job || job.id !== reply.id) return;
			this.finish();
			if ('error' in reply) job.reject(new Error(`${job.task.kind === 'freeze' ? 'Freezing a snapshot' : 'A snapshot file'} failed: ${reply.error}`));
			else job.resolve(reply.result);
		});
		worker.on('error', (error) => this.fail(worker, error));
		worker.on('exit', (code) => this.fail(worker, new Error(`PDF report worker exited (${code})`)));
		return worker;
	}

	private pump(): void {
		if (this.current || this.queue.length === 0) return;
		if (this.idle) clearTimeout(this.idle);
		this.idle = null;
		const job = this.queue.shift()!;
		this.current = job;
		try {
			this.worker ??= this.start();
		} catch {
			// No worker threads here (a bundled dev server): make reports on this thread.
			this.unavailable = true;
			this.current = null;
			runTask(job.task).then(job.resolve, job.reject);
			for (const waiting of this.queue.splice(0)) runTask(waiting.task).then(waiting.resolve, waiting.reject);
			return;
		}
		this.timer = setTimeout(() => {
			const worker = this.worker;
			if (worker) this.fail(worker, new Error('PDF report took too long'));
		}, JOB_TIMEOUT_MS);
		this.timer.unref();
		this.worker.postMessage({ id: job.id, task: job.task });
	}

	private finish(): void {
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		this.current = null;
		this.pump();
		if (!this.current && this.queue.length === 0 && this.worker) {
			this.idle = setTimeout(() => this.stop(), IDLE_MS);
			this.idle.unref();
		}
	}

	/** The worker failed or hung: its job fails, the next one gets a new worker. */
	private fail(worker: Worker, error: Error): void {
		if (this.worker !== worker) return;
		this.worker = null;
		void worker.terminate();
		const job = this.current;
		if (job) {
			this.finish();
			job.reject(error);
		}
	}

	stop(): void {
		const worker = this.worker;
		this.worker = null;
		if (worker) void worker.terminate();
	}
}

const worker = new ReportWorker();
const cache = new Map<string, Uint8Array>();
let cachedBytes = 0;
const pending = new Map<string, Promise<Uint8Array>>();

function remember(key: string, bytes: Uint8Array): void {
	if (bytes.byteLength > CACHE_BYTES / 4) return;
	cache.set(key, bytes);
	cachedBytes += bytes.byteLength;
	for (const [oldest, old] of cache) {
		if (cachedBytes <= CACHE_BYTES) break;
		cache.delete(oldest);
		cachedBytes -= old.byteLength;
	}
}

/** The PDF report of a snapshot, made off the event loop (or from the cache). Throws ReportBusyError when too many are waiting. */
export function renderReport(record: SnapshotRecord): Promise<Uint8Array> {
	return renderFile(record, 'pdf');
}

/**
 * A file made from a snapshot's stored state (its PDF report, CSV or KML), made off the
 * event loop: a CSV of a few thousand assets is most of a second, and anyone with the
 * address may ask for it again and again. Kept once made.
 */
export function renderFile(record: SnapshotRecord, format: MadeFormat): Promise<Uint8Array> {
	const key = fileKey(record, format);
	const cached = cache.get(key);
	if (cached) {
		// Most recently used last.
		cache.delete(key);
		cache.set(key, cached);
		return Promise.resolve(cached);
	}
	const running = pending.get(key);
	if (running) return running;
	if (worker.waiting >= MAX_WAITING) return Promise.reject(new ReportBusyError());
	const made = (worker.run({ kind: 'file', record, format }) as Promise<Uint8Array>).then(
		(bytes) => {
			pending.delete(key);
			remember(key, bytes);
			return bytes;
		},
		(error: unknown) => {
			pending.delete(key);
			throw error;
		}
	);
	pending.set(key, made);
	return made;
}

/**
 * A snapshot's public state, GeoJSON and counts, made from the map's stored rows off the
 * event loop: merging and exporting a map of thousands of assets is a second of work, and
 * an editor may ask for snapshot after snapshot. Queued with the reports.
 */
export function freezeInWorker(updates: Uint8Array[], takenAt: number): Promise<FrozenState> {
	if (worker.waiting >= MAX_WAITING) return Promise.reject(new ReportBusyError());
	return worker.run({ kind: 'freeze', updates, takenAt }) as Promise<FrozenState>;
}
