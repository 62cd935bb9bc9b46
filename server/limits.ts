/**
 * Rate limits that never block the event loop: a token bucket per connection, and a
 * per-address counter of failed keys and join codes that turns into a growing delay.
 */

/**
 * Measured against our UI: dragging an asset sends one update at drag end, typing one per
 * save, presence a few per second (cursor, selection). 50 messages/s sustained with a
 * burst of 200 (a reconnect's sync plus a queue of offline edits) is generous for a person
 * and still caps what one socket can make the room do.
 */
export const MESSAGES_PER_SECOND = 50;
export const MESSAGE_BURST = 200;

export class TokenBucket {
	private tokens: number;
	private last: number;

	constructor(
		private readonly rate = MESSAGES_PER_SECOND,
		private readonly burst = MESSAGE_BURST,
		private readonly now: () => number = () => performance.now()
	) {
		this.tokens = burst;
		this.last = now();
	}

	private refill(): void {
		const now = this.now();
		this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
		this.last = now;
	}

	/** Takes one token if there is one. */
	take(): boolean {
		this.refill();
		if (this.tokens < 1) return false;
		this.tokens -= 1;
		return true;
	}

	/** Milliseconds until one token is available. */
	waitMs(): number {
		this.refill();
		return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
	}
}

/** Failed attempts per address allowed in a window before answers slow down. */
export const FREE_FAILURES = 10;
export const FAILURE_WINDOW_MS = 60_000;
export const MAX_FAILURE_DELAY_MS = 5_000;
const MAX_TRACKED_ADDRESSES = 10_000;

/**
 * Counts failed keys and join codes per remote address. After FREE_FAILURES in a minute,
 * each further answer is delayed 250 ms, doubling per failure up to 5 s: guessing a
 * 128-bit key was hopeless anyway, but a leaked-then-rotated key or an 8-character join
 * code should not be probed at full speed.
 */
export class FailureLimiter {
	private readonly failures = new Map<string, number[]>();
	private readonly waiting = new OpenCounter();

	constructor(private readonly now: () => number = () => Date.now()) {}

	/**
	 * Whether this address may make another guess now: its earlier failures that are still
	 * waiting out their delay count against it, so parallel requests cannot multiply the rate.
	 */
	mayTry(address: string): boolean {
		return this.waiting.get(address) < MAX_FAILURES_IN_FLIGHT;
	}

	/** Records a failure and waits out its delay, counted as in flight meanwhile. */
	async failAndWait(address: string): Promise<void> {
		const delay = this.fail(address);
		if (delay <= 0) return;
		this.waiting.add(address);
		try {
			await sleep(delay);
		} finally {
			this.waiting.remove(address);
		}
	}

	private recent(address: string): number[] {
		const since = this.now() - FAILURE_WINDOW_MS;
		const list = (this.failures.get(address) ?? []).filter((time) => time > since);
		if (list.length === 0) this.failures.delete(address);
		else this.failures.set(address, list);
		return list;
	}

	/** Records one failure and returns how long to wait before answering it. */
	fail(address: string): number {
		if (this.failures.size >= MAX_TRACKED_ADDRESSES && !this.failures.has(address)) this.sweep();
		const list = this.recent(address);
		// Cap the list: beyond the cap the delay is at its maximum anyway.
		if (list.length < 64) list.push(this.now());
		this.failures.set(address, list);
		return this.delayFor(list.length);
	}

	/** The delay the next failure from this address would get (0 while under the limit). */
	delayFor(count: number): number {
		const excess = count - FREE_FAILURES;
		if (excess <= 0) return 0;
		return Math.min(MAX_FAILURE_DELAY_MS, 250 * 2 ** Math.min(excess - 1, 10));
	}

	private sweep(): void {
		for (const address of [...this.failures.keys()]) this.recent(address);
		// Still full (an attack from many addresses): forget the oldest entries.
		for (const address of this.failures.keys()) {
			if (this.failures.size < MAX_TRACKED_ADDRESSES) break;
			this.failures.delete(address);
		}
	}
}

export function sleep(ms: number): Promise<void> {
	return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/**
 * A token bucket per key (an address bucket), for rates like map creation. Forgets keys
 * whose bucket is full again, and the oldest keys past MAX_TRACKED_ADDRESSES.
 */
export class KeyedRate {
	private readonly buckets = new Map<string, { tokens: number; last: number }>();

	constructor(
		/** Tokens per hour. */
		private readonly perHour: number,
		private readonly burst: number,
		private readonly now: () => number = () => Date.now()
	) {}

	/** Takes one token; returns 0 if there was one, else the seconds until there is. */
	take(key: string): number {
		const now = this.now();
		const rate = this.perHour / 3_600_000;
		const bucket = this.buckets.get(key) ?? { tokens: this.burst, last: now };
		bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.last) * rate);
		bucket.last = now;
		if (!this.buckets.has(key)) {
			if (this.buckets.size >= MAX_TRACKED_ADDRESSES) this.forgetOldest();
			this.buckets.set(key, bucket);
		}
		if (bucket.tokens >= 1) {
			bucket.tokens -= 1;
			return 0;
		}
		return Math.ceil((1 - bucket.tokens) / rate / 1000);
	}

	/** Gives back a token taken for something that was then refused (up to the burst). */
	refund(key: string): void {
		const bucket = this.buckets.get(key);
		if (bucket) bucket.tokens = Math.min(this.burst, bucket.tokens + 1);
	}

	private forgetOldest(): void {
		for (const key of this.buckets.keys()) {
			this.buckets.delete(key);
			if (this.buckets.size < MAX_TRACKED_ADDRESSES / 2) break;
		}
	}
}

/** Counts things open per key (sockets per address, per map key). */
export class OpenCounter {
	private readonly counts = new Map<string, number>();

	get(key: string): number {
		return this.counts.get(key) ?? 0;
	}

	add(key: string): void {
		this.counts.set(key, this.get(key) + 1);
	}

	remove(key: string): void {
		const left = this.get(key) - 1;
		if (left > 0) this.counts.set(key, left);
		else this.counts.delete(key);
	}
}

/**
 * Maps created at once per address (MAP_CREATIONS_PER_HOUR sets the rate, 60 by default): a
 * facilitator makes a few for a workshop; a class behind one school router makes a few
 * dozen. 2,000 in a few seconds is neither.
 */
export const MAP_CREATION_BURST = 20;
/**
 * Wrong keys and join codes waiting for their delayed answer, per address. Past this,
 * more guesses in parallel are answered 429 at once instead of queueing their delay.
 */
export const MAX_FAILURES_IN_FLIGHT = 4;

/**
 * Room time shared by every socket from one address, in milliseconds, refilled
 * continuously. Each socket has its own work budget too, but a script that opens a socket,
 * spends its budget, and opens the next would get a fresh one each time: the shared pool
 * makes that address wait instead. A workshop's phones share a router's address, and an
 * ordinary edit costs well under a millisecond, so the pool is several sockets' worth.
 * Entries that have refilled are forgotten (sweep), so the map stays small.
 */
export class AddressWork {
	private readonly pools = new Map<string, { tokens: number; at: number }>();

	constructor(
		readonly msPerSecond: number,
		readonly burstMs: number,
		private readonly now: () => number = () => performance.now()
	) {}

	/** Charges `ms` to the address; returns how long it must wait before more (0: none). */
	charge(address: string, ms: number): number {
		const pool = this.refilled(address);
		pool.tokens -= ms;
		return this.waitOf(pool);
	}

	/** How long the address must still wait (0 if it may go on). */
	waitMs(address: string): number {
		return this.pools.has(address) ? this.waitOf(this.refilled(address)) : 0;
	}

	sweep(): void {
		for (const address of [...this.pools.keys()]) if (this.refilled(address).tokens >= this.burstMs) this.pools.delete(address);
	}

	get size(): number {
		return this.pools.size;
	}

	private waitOf(pool: { tokens: number }): number {
		return pool.tokens >= 0 ? 0 : Math.ceil((-pool.tokens / this.msPerSecond) * 1000);
	}

	private refilled(address: string): { tokens: number; at: number } {
		const now = this.now();
		let pool = this.pools.get(address);
		if (!pool) this.pools.set(address, (pool = { tokens: this.burstMs, at: now }));
		pool.tokens = Math.min(this.burstMs, pool.tokens + ((now - pool.at) / 1000) * this.msPerSecond);
		pool.at = now;
		return pool;
	}
}

/**
 * Place searches per address: a search box sends one request per pause in typing, and a
 * workshop's phones share one router's address. A sustained 2 a second with a burst of
 * 300 lets thirty people look up the neighbourhood at once; an upstream geocoder is asked
 * at most once a second server-wide anyway (server/places/upstream.ts).
 */
export const PLACE_SEARCHES_PER_HOUR = 7_200;
export const PLACE_SEARCH_BURST = 300;
