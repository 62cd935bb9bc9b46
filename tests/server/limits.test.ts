/**
 * The limits in server/limits.ts on a fake clock, and the document size cap (4413) on a
 * live in-process server.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { FAILURE_WINDOW_MS, FREE_FAILURES, FailureLimiter, MAX_FAILURE_DELAY_MS, TokenBucket } from '../../server/limits.ts';
import { startInProcess } from '../helpers/in-process.ts';
import { connectClient, createMap, pollUntil, requestFullState, waitForDoc, waitForOpen } from '../helpers/sync-clients.ts';
import { closeOrAnswer, openRaw, syncFrame } from '../helpers/yjs-frames.ts';

describe('TokenBucket', () => {
	it('allows a burst, then the rate, and says how long to wait', () => {
		let now = 0;
		const bucket = new TokenBucket(10, 5, () => now);
		for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(true);
		expect(bucket.take()).toBe(false);
		expect(bucket.waitMs()).toBe(100);
		now += 100;
		expect(bucket.take()).toBe(true);
		expect(bucket.take()).toBe(false);
		now += 10_000; // refills to the burst, not beyond
		for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(true);
		expect(bucket.take()).toBe(false);
	});
});

describe('FailureLimiter', () => {
	it('answers the first failures at once, then doubles the delay up to the cap, per address', () => {
		let now = 0;
		const limiter = new FailureLimiter(() => now);
		const delays = Array.from({ length: FREE_FAILURES + 8 }, () => limiter.fail('10.0.0.1'));
		expect(delays.slice(0, FREE_FAILURES)).toEqual(Array(FREE_FAILURES).fill(0));
		expect(delays.slice(FREE_FAILURES)).toEqual([250, 500, 1000, 2000, 4000, MAX_FAILURE_DELAY_MS, MAX_FAILURE_DELAY_MS, MAX_FAILURE_DELAY_MS]);
		// Another address is not slowed down by this one.
		expect(limiter.fail('10.0.0.2')).toBe(0);
		// Failures age out of the window.
		now += FAILURE_WINDOW_MS + 1;
		expect(limiter.fail('10.0.0.1')).toBe(0);
	});
});

describe('document size cap', () => {
	it('closes a socket whose update would push the stored document past the cap (4413); nothing is stored or sent', async () => {
		const app = await startInProcess({}, { maxDocBytes: 20_000 });
		const clients: ReturnType<typeof connectClient>[] = [];
		try {
			const map = await createMap(app.url);
			const watcher = connectClient(app.syncUrl, map.id, map.keys.viewer);
			clients.push(watcher);
			await watcher.synced;
			const rowsBefore = await app.atlas.store.countUpdates(map.id);

			const ws = openRaw(app.syncUrl, map.id, { key: map.keys.editor });
			await waitForOpen(ws);
			const doc = new Y.Doc();
			Y.applyUpdate(doc, await requestFullState(ws));
			const known = Y.encodeStateVector(doc);
			doc.getMap('assets').set('huge', 'x'.repeat(25_000));
			ws.send(syncFrame('update', Y.encodeStateAsUpdate(doc, known)));
			expect(await closeOrAnswer(ws)).toMatchObject({ code: 4413, reason: expect.stringMatching(/^document too large/) });
			expect(await app.atlas.store.countUpdates(map.id)).toBe(rowsBefore);

			// Smaller writes still go through, and the watcher never got the big one.
			const editor = connectClient(app.syncUrl, map.id, map.keys.editor);
			clients.push(editor);
			await editor.synced;
			editor.doc.getMap('assets').set('small', 'fits');
			await waitForDoc(watcher.doc, (d) => d.getMap('assets').get('small') === 'fits', 'a small write');
			expect(watcher.doc.getMap('assets').has('huge')).toBe(false);
			expect(app.logs.join('\n')).toContain('document too large (cap 20000 bytes)');
		} finally {
			for (const c of clients) c.destroy();
			await app.close();
		}
	});
});

describe('overwrites cannot run a small map into its cap', () => {
	it('the stored log is compacted as it grows past the document, so the facilitator still writes after big overwrites', async () => {
		const app = await startInProcess({}, { maxDocBytes: 200_000 });
		const clients: ReturnType<typeof connectClient>[] = [];
		try {
			const map = await createMap(app.url);
			const facilitator = connectClient(app.syncUrl, map.id, map.keys.facilitator);
			const editor = connectClient(app.syncUrl, map.id, map.keys.editor, undefined, { params: { device: 'overwriting-device-001' } });
			clients.push(facilitator, editor);
			await Promise.all([facilitator.synced, editor.synced]);
			const own = new Y.Map<unknown>();
			editor.doc.getMap('assets').set('mine', own);
			// Twenty overwrites of 40 kB each: 800 kB of values, four times the cap, of which
			// only the last is still in the document.
			for (let i = 0; i < 20; i++) {
				own.set('description', `${i}`.padEnd(40_000, 'x'));
				await waitForDoc(facilitator.doc, (d) => (d.getMap<Y.Map<unknown>>('assets').get('mine')?.get('description') as string | undefined)?.startsWith(`${i}x`) === true, `overwrite ${i}`);
			}
			expect(editor.provider.wsconnected).toBe(true);
			facilitator.doc.getMap('meta').set('locked', true);
			await waitForDoc(editor.doc, (d) => d.getMap('meta').get('locked') === true, 'the lock');
			const rows = await app.atlas.store.loadUpdates(map.id);
			expect(rows.reduce((sum, row) => sum + row.data.byteLength, 0)).toBeLessThan(200_000);
		} finally {
			for (const c of clients) c.destroy();
			await app.close();
		}
	});
});

describe('sockets that never read', () => {
	it('asking for a big map again and again without reading closes the socket, not the server’s memory', async () => {
		const app = await startInProcess({}, { maxDocBytes: 64 * 1024 * 1024 });
		const clients: ReturnType<typeof connectClient>[] = [];
		try {
			const map = await createMap(app.url);
			const facilitator = connectClient(app.syncUrl, map.id, map.keys.facilitator);
			clients.push(facilitator);
			await facilitator.synced;
			// 6 MB in twelve values (one value may hold at most 512 KiB).
			facilitator.doc.transact(() => {
				for (let i = 0; i < 12; i++) facilitator.doc.getMap('meta').set(`d${i}`, String(i).padEnd(500_000, 'z'));
			});
			const reader = connectClient(app.syncUrl, map.id, map.keys.viewer);
			clients.push(reader);
			await waitForDoc(reader.doc, (d) => (d.getMap('meta').get('d11') as string | undefined)?.length === 500_000, 'the big map');

			const ws = openRaw(app.syncUrl, map.id, { key: map.keys.viewer });
			await waitForOpen(ws);
			// Stop reading at the TCP level, then ask for everything twenty times (20 bytes each).
			(ws as unknown as { _socket: { pause(): void } })._socket.pause();
			for (let i = 0; i < 20; i++) ws.send(syncFrame('step1', Y.encodeStateVector(new Y.Doc())));
			await pollUntil(() => app.atlas.rooms.room(map.id)!.connectionCount === 2, 'the non-reading socket to be closed', 15_000);
			expect(app.logs.join('\n')).not.toContain('error');
			// The others are still served.
			facilitator.doc.getMap('meta').set('title', 'still live');
			await waitForDoc(reader.doc, (d) => d.getMap('meta').get('title') === 'still live', 'a later edit');
			ws.terminate();
		} finally {
			for (const c of clients) c.destroy();
			await app.close();
		}
	});
});
