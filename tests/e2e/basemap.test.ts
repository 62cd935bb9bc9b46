/**
 * A workshop on a real neighbourhood: the page draws streets from our own origin (a
 * fake upstream stands in for OpenFreeMap), the facilitator makes the area work offline,
 * and with the upstream gone a phone still sees the streets there, and the countries
 * (saying so) elsewhere. No request from Chromium ever leaves our origin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { FAKE_CENTER, startFakeBasemap, type FakeBasemap } from '../helpers/fake-basemap.ts';
import { connectClient, createMap, waitForDoc, type CreatedMap } from '../helpers/sync-clients.ts';
import { openSession, PHONE, type BrowserSession } from './session.ts';
import { join, pixelsOfColor, waitLive } from './workshop.ts';
import { BASEMAP_COLORS } from '../../src/lib/map/basemap-style.ts';

/** Colors of the fake style: primary roads, minor roads' casing, the lake. */
const PRIMARY_ROAD = '#fde8a8';
const LAKE = '#a8cbe6';

let fake: FakeBasemap;
let session: BrowserSession;
const outside: string[] = [];

/** A map whose starting view is set by its facilitator (a stock client, as a tool would). */
async function mapAt(center: [number, number], zoom: number): Promise<CreatedMap> {
	const map = await createMap(session.server.url, { title: 'Eastside strengths inventory', place: 'Springfield' });
	const writer = connectClient(session.server.syncUrl, map.id, map.keys.facilitator);
	await writer.synced;
	writer.doc.getMap('meta').set('view', { center, zoom });
	const reader = connectClient(session.server.syncUrl, map.id, map.keys.viewer);
	await waitForDoc(reader.doc, (doc) => doc.getMap('meta').get('view') !== undefined, 'the starting view');
	writer.destroy();
	reader.destroy();
	return map;
}

async function watchedContext(options = {}): Promise<BrowserContext> {
	const context = await session.newContext(options);
	context.on('request', (request) => {
		const url = request.url();
		if (!url.startsWith(session.server.url) && !url.startsWith('data:') && !url.startsWith('blob:')) outside.push(url);
	});
	return context;
}

describe('street basemap in the browser', () => {
	beforeAll(async () => {
		fake = await startFakeBasemap();
		session = await openSession({ BASEMAP_UPSTREAM: fake.styleUrl });
	});
	afterAll(async () => {
		await session?.dispose();
		await fake?.stop();
	});

	it('draws streets at neighbourhood zoom, makes the area work offline, and keeps it with the upstream gone', async () => {
		const map = await mapAt(FAKE_CENTER, 14.5);
		const facilitator = await (await watchedContext()).newPage();
		await facilitator.goto(map.links.facilitator);
		await join(facilitator, 'Fatima Facilitator', 'Campus staff');
		await waitLive(facilitator);
		const attribution = facilitator.getByTestId('map-attribution');
		await expect.poll(() => attribution.getAttribute('data-mode'), { timeout: 15_000 }).toBe('streets');
		expect(await attribution.textContent()).toContain('© OpenStreetMap contributors');
		await expect.poll(() => pixelsOfColor(facilitator, PRIMARY_ROAD), { timeout: 15_000 }).toBeGreaterThan(500);

		const offline = facilitator.getByTestId('offline-areas');
		await offline.getByRole('button', { name: 'Make this area work offline' }).click();
		expect(await offline.getByTestId('offline-estimate').textContent()).toMatch(/About [\d,]+ map tiles, [\d.]+ (KB|MB), down to street level/);
		await offline.getByLabel('Name for this area').fill('Eastside walk');
		await offline.getByRole('button', { name: 'Download' }).click();
		const area = offline.getByTestId('offline-area');
		await expect.poll(() => area.getAttribute('data-state'), { timeout: 60_000 }).toBe('ready');
		expect(await area.textContent()).toMatch(/Eastside walk\s*Works offline · [\d.]+ (KB|MB)/);

		// The laptop loses its internet. A phone joins the same neighbourhood.
		await fake.stop();
		const phone = await (await watchedContext(PHONE)).newPage();
		await phone.goto(map.links.editor);
		await join(phone, 'Ana', 'Community member');
		await waitLive(phone);
		await expect.poll(() => phone.getByTestId('map-attribution').getAttribute('data-mode'), { timeout: 30_000 }).toBe('streets');
		await expect.poll(() => pixelsOfColor(phone, PRIMARY_ROAD), { timeout: 15_000 }).toBeGreaterThan(200);

		// Somewhere no pack covers: the countries, and the page says so.
		const elsewhere = await mapAt([12.5, 41.9], 12);
		const other = await (await watchedContext(PHONE)).newPage();
		await other.goto(elsewhere.links.editor);
		await join(other, 'Luca', 'Student');
		const otherAttribution = other.getByTestId('map-attribution');
		await expect.poll(() => otherAttribution.getAttribute('data-mode'), { timeout: 15_000 }).toBe('countries');
		expect(await otherAttribution.textContent()).toContain('Offline map: countries only');
		await expect.poll(() => pixelsOfColor(other, BASEMAP_COLORS.land), { timeout: 15_000 }).toBeGreaterThan(1000);
		expect(await pixelsOfColor(other, LAKE)).toBe(0);

		expect(outside).toEqual([]);
		await fake.start();
	});
});
