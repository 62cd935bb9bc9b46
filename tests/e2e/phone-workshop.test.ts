/**
 * The whole workshop from a partner's phone, at 360×740 with touch: open the short join
 * address (what scanning the QR code does), join, find the neighbourhood in the search box,
 * see who is here (the list within the phone's width), see its streets (a fake upstream
 * stands in for OpenFreeMap), add an asset by tapping (and a second beside it, not on top) —
 * and the projector's present view counts it and names who added it, live. Every request
 * either browser makes stays on our origin.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { startFakeBasemap, type FakeBasemap } from '../helpers/fake-basemap.ts';
import { openSession, type BrowserSession } from './session.ts';
import { createMapAsFacilitator, join, pixelsOfColor, shareLinks, typeAndPick, waitLive } from './workshop.ts';

/** The fake style's primary roads. */
const PRIMARY_ROAD = '#fde8a8';
const PHONE_740 = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, reducedMotion: 'reduce' as const };

let fake: FakeBasemap;
let session: BrowserSession;
const outside: string[] = [];

async function watchedContext(options = {}): Promise<BrowserContext> {
	const context = await session.newContext(options);
	context.on('request', (request) => {
		const url = request.url();
		if (!url.startsWith(session.server.url) && !url.startsWith('data:') && !url.startsWith('blob:')) outside.push(url);
	});
	return context;
}

/** Adds an asset where the map is centred, with taps instead of clicks. */
async function tapToAddAsset(page: Page, name: string, category: string): Promise<void> {
	await page.getByRole('button', { name: /Add asset/ }).first().tap();
	await page.getByRole('button', { name: 'Place here' }).tap();
	const form = page.getByRole('dialog');
	await form.getByLabel('Name').fill(name);
	await form.getByText(category, { exact: true }).tap();
	await form.getByRole('button', { name: 'Save asset' }).tap();
	await expect.poll(() => form.count()).toBe(0);
}

describe('a partner’s phone at a real-neighbourhood workshop', () => {
	beforeAll(async () => {
		fake = await startFakeBasemap();
		session = await openSession({ BASEMAP_UPSTREAM: fake.styleUrl });
	});
	afterEach(async (context) => {
		if (context.task.result?.state === 'fail') await session.screenshotAll('phone-workshop-failure');
	});
	afterAll(async () => {
		await session?.dispose();
		await fake?.stop();
	});

	it('joins by the short address, finds the place, adds an asset by touch, and the present view shows it live', async () => {
		const laptop = await watchedContext();
		const facilitator = await laptop.newPage();
		await createMapAsFacilitator(facilitator, session.server.url, 'Eastside strengths inventory');
		const links = await shareLinks(facilitator);
		expect(links.join).toMatch(/\/j\/[a-z2-9]+$/);
		const [present] = await Promise.all([laptop.waitForEvent('page'), facilitator.getByRole('button', { name: /^Present: open/ }).click()]);
		await present.waitForURL(/\/m\/[a-z2-9]{10}\/present#key=/);
		await expect.poll(() => present.getByTestId('present-total').textContent(), { timeout: 15_000 }).toMatch(/^0\b/);

		const phone = await (await watchedContext(PHONE_740)).newPage();
		await phone.goto(links.join!.startsWith('http') ? links.join! : `http://${links.join}`);
		await phone.waitForURL(/\/m\/[a-z2-9]{10}#key=/);
		await join(phone, 'Maria', 'Community organization');
		await waitLive(phone);
		await expect.poll(() => present.getByTestId('present-people').textContent(), { timeout: 10_000 }).toBe('2 people here');

		// Who is here: the list opens within the phone's width, its button big enough to tap.
		const people = phone.getByTestId('presence');
		await people.locator('summary').tap();
		const list = people.getByRole('list');
		await expect.poll(() => list.isVisible()).toBe(true);
		const box = (await list.boundingBox())!;
		expect(box.x).toBeGreaterThanOrEqual(0);
		expect(box.x + box.width).toBeLessThanOrEqual(360);
		expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
		expect((await people.getByRole('button', { name: 'Change your name' }).boundingBox())!.height).toBeGreaterThanOrEqual(44);
		await people.locator('summary').tap();
		await expect.poll(() => list.isVisible()).toBe(false);

		// Find the neighbourhood: the map goes there and draws its streets.
		await typeAndPick(phone, phone.getByRole('combobox', { name: 'Find a place' }), 'springfield', /Springfield.*IL/);
		await expect.poll(() => phone.getByTestId('map-attribution').getAttribute('data-mode'), { timeout: 15_000 }).toBe('streets');
		await expect.poll(() => pixelsOfColor(phone, PRIMARY_ROAD), { timeout: 15_000 }).toBeGreaterThan(200);

		await tapToAddAsset(phone, 'Eastside Tool Library', 'Organizations');
		await expect.poll(() => present.getByTestId('count-organizations').textContent(), { timeout: 10_000 }).toBe('1');
		const latest = present.getByTestId('present-feed').locator('li').first();
		await expect
			.poll(() => latest.getAttribute('aria-label'), { timeout: 10_000 })
			.toBe('Maria · community organization · added Eastside Tool Library · Organizations');
		// Where the phone put it: in Springfield, Illinois.
		const placed = await phone.evaluate(() => window.__atlas!.map.getCenter().toArray());
		expect(placed[0]).toBeCloseTo(-89.65, 0);
		expect(placed[1]).toBeCloseTo(39.8, 0);

		// A second asset placed without moving the map goes beside the first, not on top of it:
		// a marker's width apart where it was placed, so zoomed in past clustering (zoom 16)
		// both are markers of their own, well apart (on one spot they would stay one on another).
		await tapToAddAsset(phone, 'Eastside Community Garden', 'Places');
		await phone.evaluate(() => window.__atlas!.map.jumpTo({ zoom: 16 }));
		const markers = async () =>
			phone.evaluate(() => {
				const map = window.__atlas!.map;
				return map.queryRenderedFeatures(undefined, { layers: ['asset-points'] }).flatMap((feature) => {
					if (feature.geometry.type !== 'Point') return [];
					const point = map.project(feature.geometry.coordinates as [number, number]);
					return [{ name: String(feature.properties.name), x: point.x, y: point.y }];
				});
			});
		await expect.poll(async () => (await markers()).map((marker) => marker.name).sort(), { timeout: 10_000 }).toEqual(['Eastside Community Garden', 'Eastside Tool Library']);
		const [a, b] = await markers();
		expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeGreaterThanOrEqual(24);

		expect(outside).toEqual([]);
	});
});
