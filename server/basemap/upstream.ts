/**
 * The one way the server talks to the basemap upstream: a clear User-Agent, a timeout,
 * a cap on requests in flight (a workshop's phones must not turn into a flood upstream),
 * a cap on body size, and a memory of failure: after the upstream fails, requests fail
 * fast for a while instead of each waiting out its own timeout, so a laptop that lost
 * its internet answers phones at once from what it has.
 */
import { freshnessOf, type Freshness } from './cache-policy.ts';

export const MAX_UPSTREAM_BODY_BYTES = 8 * 1024 * 1024;

export type UpstreamAnswer =
	| { kind: 'ok'; body: Buffer; contentType: string; etag: string | null; lastModified: string | null; freshness: Freshness }
	| { kind: 'not-modified'; freshness: Freshness }
	/** 404/410/204: the upstream has nothing at this address (an empty tile, an unused glyph range). */
	| { kind: 'missing'; freshness: Freshness };

export class UpstreamError extends Error {
	constructor(
		message: string,
		/** True when the upstream itself is unreachable or failing (not just this one address). */
		readonly outage: boolean
	) {
		super(message);
	}
}

export type UpstreamHealth = 'unknown' | 'reachable' | 'unreachable';

export interface UpstreamOptions {
	userAgent: string;
	timeoutMs?: number;
	maxInFlight?: number;
	/** Requests waiting for a slot beyond this are refused at once. */
	maxQueued?: number;
	/** After a failure, how long requests fail fast before one is let through to try again. */
	retryAfterMs?: number;
	fetch?: typeof fetch;
}

export class Upstream {
	private readonly fetchImpl: typeof fetch;
	private inFlight = 0;
	private readonly waiting: (() => void)[] = [];
	private lastOk = 0;
	private lastFailure = 0;
	private probing = false;

	constructor(private readonly options: UpstreamOptions) {
		this.fetchImpl = options.fetch ?? fetch;
	}

	get health(): UpstreamHealth {
		if (this.lastOk === 0 && this.lastFailure === 0) return 'unknown';
		return this.lastOk >= this.lastFailure ? 'reachable' : 'unreachable';
	}

	private get failingFast(): boolean {
		return this.health === 'unreachable' && Date.now() - this.lastFailure < (this.options.retryAfterMs ?? 10_000);
	}

	private async slot(): Promise<() => void> {
		const max = this.options.maxInFlight ?? 8;
		if (this.inFlight >= max) {
			if (this.waiting.length >= (this.options.maxQueued ?? 256)) throw new UpstreamError('too many basemap requests waiting', false);
			await new Promise<void>((resolve) => this.waiting.push(resolve));
		}
		this.inFlight++;
		return () => {
			this.inFlight--;
			this.waiting.shift()?.();
		};
	}

	async get(url: string, validators: { etag?: string | null; lastModified?: string | null } = {}, signal?: AbortSignal): Promise<UpstreamAnswer> {
		// While failing fast, one request at a time is let through as a probe.
		if (this.failingFast) {
			if (this.probing) throw new UpstreamError('the basemap upstream is unreachable', true);
		}
		const probe = this.health === 'unreachable';
		if (probe) this.probing = true;
		const release = await this.slot();
		try {
			const answer = await this.request(url, validators, signal);
			this.lastOk = Date.now();
			return answer;
		} catch (error) {
			if (error instanceof UpstreamError && error.outage) this.lastFailure = Date.now();
			throw error;
		} finally {
			if (probe) this.probing = false;
			release();
		}
	}

	private async request(url: string, validators: { etag?: string | null; lastModified?: string | null }, signal?: AbortSignal): Promise<UpstreamAnswer> {
		const headers: Record<string, string> = { 'User-Agent': this.options.userAgent, Accept: '*/*' };
		if (validators.etag) headers['If-None-Match'] = validators.etag;
		if (validators.lastModified) headers['If-Modified-Since'] = validators.lastModified;
		const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 8000);
		let response: Response;
		try {
			response = await this.fetchImpl(url, { headers, redirect: 'follow', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
		} catch (error) {
			if (signal?.aborted) throw new UpstreamError('cancelled', false);
			throw new UpstreamError(`the basemap upstream did not answer (${error instanceof Error ? error.message : String(error)})`, true);
		}
		const freshness = freshnessOf(response.headers);
		if (response.status === 304) {
			await response.body?.cancel();
			return { kind: 'not-modified', freshness };
		}
		if (response.status === 404 || response.status === 410 || response.status === 204) {
			await response.body?.cancel();
			return { kind: 'missing', freshness };
		}
		if (!response.ok) {
			await response.body?.cancel();
			// 5xx and 429 mean the upstream is in trouble (or asks us to slow down): fail fast for a while.
			throw new UpstreamError(`the basemap upstream answered ${response.status}`, response.status >= 500 || response.status === 429);
		}
		const body = await readCapped(response, MAX_UPSTREAM_BODY_BYTES);
		return {
			kind: 'ok',
			body,
			contentType: response.headers.get('content-type') ?? 'application/octet-stream',
			etag: response.headers.get('etag'),
			lastModified: response.headers.get('last-modified'),
			freshness
		};
	}
}

async function readCapped(response: Response, max: number): Promise<Buffer> {
	const declared = Number(response.headers.get('content-length'));
	if (Number.isFinite(declared) && declared > max) {
		await response.body?.cancel();
		throw new UpstreamError(`a basemap resource is larger than ${max} bytes`, false);
	}
	if (!response.body) return Buffer.alloc(0);
	const chunks: Uint8Array[] = [];
	let total = 0;
	try {
		for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
			total += chunk.byteLength;
			if (total > max) throw new UpstreamError(`a basemap resource is larger than ${max} bytes`, false);
			chunks.push(chunk);
		}
	} catch (error) {
		if (error instanceof UpstreamError) throw error;
		throw new UpstreamError(`the basemap upstream broke off (${error instanceof Error ? error.message : String(error)})`, true);
	}
	return Buffer.concat(chunks);
}
