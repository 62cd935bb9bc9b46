/**
 * The pieces that keep one client from stalling a server, on a fake clock: heartbeats,
 * the room's grace period before it unloads, rates per address, and how an address is
 * read behind a proxy.
 */
import type { getHeapStatistics } from 'node:v8';
import { AddressWork } from '../../server/limits.ts';
import { heapGauge } from '../../server/memory.ts';
import type { IncomingMessage } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { Heartbeat } from '../../server/heartbeat.ts';
import { addressBucket, clientAddress } from '../../server/http/client-address.ts';
import { FailureLimiter, FREE_FAILURES, KeyedRate, MAX_FAILURES_IN_FLIGHT } from '../../server/limits.ts';
import { createMemoryStore } from '../../server/persistence/memory.ts';
import type { Identity } from '../../server/room/core.ts';
import { RoomRunner, type Connection } from '../../server/room/runner.ts';
import { syncFrame } from '../helpers/yjs-frames.ts';

describe('heartbeat', () => {
	beforeEach(() => void vi.useFakeTimers());
	afterEach(() => void vi.useRealTimers());

	const socket = () => ({ pings: 0, terminated: false, isPaused: false, ping() { this.pings++; }, terminate() { this.terminated = true; } });

	it('drops a socket that answers nothing within two intervals, and keeps one that answers or talks', () => {
		const heartbeat = new Heartbeat<ReturnType<typeof socket>>(20_000);
		const gone = socket();
		const answers = socket();
		const talks = socket();
		for (const s of [gone, answers, talks]) heartbeat.add(s);
		heartbeat.start();
		vi.advanceTimersByTime(20_000);
		expect([gone.pings, answers.pings, talks.pings]).toEqual([1, 1, 1]);
		heartbeat.heard(answers); // a pong
		heartbeat.heard(talks); // a message counts as much
		vi.advanceTimersByTime(20_000);
		expect(gone.terminated).toBe(true);
		expect(answers.terminated).toBe(false);
		expect(talks.terminated).toBe(false);
		vi.advanceTimersByTime(20_000);
		expect(answers.terminated).toBe(true); // it stopped answering after the first pong

		// One the server is not reading (over its budget) cannot be heard, so it is not judged.
		const paused = socket();
		paused.isPaused = true;
		heartbeat.add(paused);
		vi.advanceTimersByTime(100_000);
		expect(paused.terminated).toBe(false);
		heartbeat.stop();
	});
});

class FakeConnection implements Connection {
	readonly role = 'editor' as const;
	readonly identity: Identity = { name: 'Phone', affiliation: 'community-member', session: null, device: null };
	bufferedBytes = 0;
	sent: Uint8Array[] = [];
	send(message: Uint8Array) {
		this.sent.push(message);
	}
	close() {}
}

describe('a room with nobody in it', () => {
	beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'setInterval', 'clearInterval', 'Date'] }));
	afterEach(() => void vi.useRealTimers());

	it('stays loaded for the grace period, so a phone flapping on Wi-Fi finds it there', async () => {
		const store = createMemoryStore();
		const doc = new Y.Doc();
		doc.getMap('meta').set('title', 'Flapping');
		await store.appendUpdate('flapflap00', Y.encodeStateAsUpdate(doc));
		let unloaded = false;
		const room = new RoomRunner(
			'flapflap00',
			{ store, logger: console, compactThreshold: 500, maxDocBytes: 1e9, presenceTickMs: 80, unloadGraceMs: 30_000 },
			() => (unloaded = true)
		);
		const phone = new FakeConnection();
		room.join(phone);
		room.receive(phone, syncFrame('step1', Y.encodeStateVector(new Y.Doc())));
		await vi.advanceTimersByTimeAsync(10);
		expect(phone.sent.length).toBeGreaterThan(0); // the map, straight from the stored row
		room.leave(phone);
		await vi.advanceTimersByTimeAsync(29_000);
		expect(unloaded).toBe(false);
		// Back within the grace period: the room never unloaded, so no reload from disk.
		const again = new FakeConnection();
		room.join(again);
		await vi.advanceTimersByTimeAsync(60_000);
		expect(unloaded).toBe(false);
		room.leave(again);
		await vi.advanceTimersByTimeAsync(30_010);
		expect(unloaded).toBe(true);
		expect(room.isUsable).toBe(false);
	});
});

describe('rates per address', () => {
	it('map creation: a burst, then the hourly rate, with the wait in seconds', () => {
		let now = 0;
		const rate = new KeyedRate(60, 3, () => now);
		expect([rate.take('a'), rate.take('a'), rate.take('a')]).toEqual([0, 0, 0]);
		expect(rate.take('a')).toBe(60);
		expect(rate.take('b')).toBe(0);
		now += 60_000;
		expect(rate.take('a')).toBe(0);
	});

	it('wrong keys in flight: a few at once, then refused before they are even looked up', async () => {
		vi.useFakeTimers();
		try {
			const limiter = new FailureLimiter();
			for (let i = 0; i < FREE_FAILURES; i++) await limiter.failAndWait('10.1.1.1');
			const waiting = Array.from({ length: MAX_FAILURES_IN_FLIGHT }, () => limiter.failAndWait('10.1.1.1'));
			expect(limiter.mayTry('10.1.1.1')).toBe(false);
			expect(limiter.mayTry('10.1.1.2')).toBe(true);
			await vi.advanceTimersByTimeAsync(60_000);
			await Promise.all(waiting);
			expect(limiter.mayTry('10.1.1.1')).toBe(true);
		} finally {
			vi.useRealTimers();
		}
	});
});

describe('client address', () => {
	const request = (remote: string, headers: Record<string, string> = {}) =>
		({ socket: { remoteAddress: remote }, headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) }) as unknown as IncomingMessage;

	it('is the socket’s own without a proxy, and the header’s (XFF_DEPTH from the right) behind one', () => {
		expect(clientAddress(request('10.0.0.9', { 'X-Forwarded-For': '1.2.3.4' }), { addressHeader: null, xffDepth: 1 })).toBe('10.0.0.9');
		const proxied = request('10.0.0.9', { 'X-Forwarded-For': '6.6.6.6, 1.2.3.4, 10.0.0.8' });
		expect(clientAddress(proxied, { addressHeader: 'x-forwarded-for', xffDepth: 1 })).toBe('10.0.0.8');
		expect(clientAddress(proxied, { addressHeader: 'x-forwarded-for', xffDepth: 2 })).toBe('1.2.3.4');
		expect(clientAddress(request('10.0.0.9', { 'X-Real-IP': '5.6.7.8' }), { addressHeader: 'x-real-ip', xffDepth: 1 })).toBe('5.6.7.8');
	});

	it('counts IPv6 per /64 and IPv4-mapped addresses as IPv4', () => {
		expect(addressBucket('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
		expect(addressBucket('2001:db8:1:2::ffff')).toBe('2001:db8:1:2::/64');
		expect(addressBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
		expect(addressBucket('::ffff:192.0.2.7')).toBe('192.0.2.7');
		expect(addressBucket('192.0.2.7')).toBe('192.0.2.7');
	});
});

describe('heap gauge', () => {
	it('is tight past the ratio of the heap limit, read at most every 250 ms', () => {
		let used = 50;
		let reads = 0;
		let clock = 0;
		let external = 0;
		const gauge = heapGauge(0.7, () => (reads++, { used_heap_size: used, heap_size_limit: 100, external_memory: external }) as ReturnType<typeof getHeapStatistics>, () => clock);
		expect(gauge.tight()).toBe(false);
		used = 71;
		expect(gauge.tight()).toBe(false);
		clock = 250;
		expect(gauge.tight()).toBe(true);
		expect(reads).toBe(2);
		// Buffers outside the heap (queued frames) count too.
		used = 10;
		external = 80;
		clock = 500;
		expect(gauge.tight()).toBe(true);
	});
});

describe('room time shared by an address', () => {
	it('makes an address wait once its sockets together spent the pool, whichever socket asks next', () => {
		let clock = 0;
		const work = new AddressWork(400, 4000, () => clock);
		expect(work.charge('10.0.0.1', 3000)).toBe(0);
		// A new socket from the same address does not start afresh.
		expect(work.charge('10.0.0.1', 2000)).toBe(2500);
		expect(work.waitMs('10.0.0.1')).toBe(2500);
		// Another address is not affected.
		expect(work.charge('10.0.0.2', 100)).toBe(0);
		clock += 2500;
		expect(work.waitMs('10.0.0.1')).toBe(0);
		// Refilled entries are forgotten.
		clock += 60_000;
		work.sweep();
		expect(work.size).toBe(0);
	});
});
