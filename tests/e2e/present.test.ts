/**
 * The present view on a projector, in real Chromium against the real server: the
 * facilitator opens it from their map page; a participant on a 360×740 touch phone adds an
 * asset; the big screen's count and feed update and the asset's name is drawn on the map
 * (read with window.__atlas.map.queryRenderedFeatures, README "Test hook"). A hidden asset
 * never shows there; "Present my view" makes it follow the facilitator's map; and the
 * category filter of the normal view removes points from the map, not only from the list.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, type BrowserSession } from './session.ts';
import { addAssetHere, createMapAsFacilitator, join, shareLinks, waitLive } from './workshop.ts';
import { addAsset, setAssetHidden, setMapView } from '../../src/lib/doc/mutations.ts';
import type { Contributor } from '../../src/lib/doc/model.ts';
import type { Client } from '../helpers/sync-clients.ts';

let session: BrowserSession;

const CENTER: [number, number] = [-122.271, 37.804];
const fatima: Contributor = { id: 'fatima', name: 'Fatima Facilitator', affiliation: 'campus-staff' };
const EMPTY = { description: '', holder: '', tags: [] };
const maria: Contributor = { id: 'maria', name: 'Maria', affiliation: 'community-organization' };

/** Names of the assets drawn on a page's map (points, and area labels), from the test hook. */
function drawnNames(page: Page, layers = ['asset-points', 'asset-shapes-fill']): Promise<string[]> {
	return page.evaluate((layerIds) => {
		const map = window.__atlas?.map;
		if (!map) return [];
		const present = layerIds.filter((id) => map.getLayer(id));
		return [...new Set(map.queryRenderedFeatures(undefined, { layers: present }).map((f) => String(f.properties.name)))].sort();
	}, layers);
}

/** Names with a label image drawn on the map (points' labels and areas' labels). */
function labelledNames(page: Page): Promise<string[]> {
	return page.evaluate(() => {
		const map = window.__atlas?.map;
		if (!map) return [];
		const layers = ['asset-labels', 'asset-area-label-text'].filter((id) => map.getLayer(id));
		return [...new Set(map.queryRenderedFeatures(undefined, { layers }).map((f) => String(f.properties.name)))].sort();
	});
}

describe('the present view', () => {
	let facilitator: Page;
	let present: Page;
	let phone: Page;
	let links: Awaited<ReturnType<typeof shareLinks>>;
	let writer: Client;

	beforeAll(async () => {
		session = await openSession();
	});

	afterEach(async (context) => {
		if (context.task.result?.state === 'fail') await session.screenshotAll('present-failure');
	});

	afterAll(async () => {
		writer?.destroy();
		await session?.dispose();
	});

	it('opens from the facilitator’s map page, read-only, with the join code and the map’s assets', async () => {
		facilitator = await session.newPage();
		await createMapAsFacilitator(facilitator, session.server.url, 'Eastside strengths', 'Eastside');
		links = await shareLinks(facilitator);

		// A neighbourhood's worth of assets, an area, and one the facilitator hid.
		writer = session.connectByLink(links.facilitator);
		await writer.synced;
		// A script, not a person: it shows no presence.
		writer.provider.awareness.setLocalState(null);
		setMapView(writer.doc, { center: CENTER, zoom: 15 });
		const at = (dx: number, dy: number): [number, number] => [CENTER[0] + dx, CENTER[1] + dy];
		addAsset(writer.doc, { ...EMPTY, name: 'Bilingual story hour at the library', category: 'knowledge', geometry: { type: 'Point', coordinates: at(-0.003, 0.001) } }, fatima);
		addAsset(writer.doc, { ...EMPTY, name: 'Corner garden', category: 'places', geometry: { type: 'Point', coordinates: at(0.002, -0.001) } }, maria);
		addAsset(
			writer.doc,
			{
				...EMPTY,
				name: 'Lincoln Square Park and Community Plaza',
				category: 'places',
				geometry: {
					type: 'Polygon',
					coordinates: [[at(-0.001, -0.0025), at(0.001, -0.0025), at(0.001, -0.001), at(-0.001, -0.001), at(-0.001, -0.0025)]]
				}
			},
			maria
		);
		const hiddenId = addAsset(writer.doc, { ...EMPTY, name: 'Private family garden', category: 'places', geometry: { type: 'Point', coordinates: at(0, 0.0015) } }, maria);
		setAssetHidden(writer.doc, hiddenId, true, fatima);
		await expect.poll(() => facilitator.getByRole('button', { name: /Corner garden/ }).count(), { timeout: 10_000 }).toBe(1);

		const [popup] = await Promise.all([facilitator.context().waitForEvent('page'), facilitator.getByRole('button', { name: /^Present: open/ }).click()]);
		present = popup;
		await present.setViewportSize({ width: 1280, height: 720 });
		await present.waitForURL(/\/m\/[a-z2-9]{10}\/present/);
		await expect.poll(() => present.getByTestId('map-canvas').getAttribute('data-ready'), { timeout: 15_000 }).toBe('true');
		// The projector shows its address to the room: the facilitator key leaves it once read,
		// and a reload still opens the screen (the tab keeps the key).
		await expect.poll(() => new URL(present.url()).hash).toBe('');
		await present.reload();
		await expect.poll(() => present.getByTestId('map-canvas').getAttribute('data-ready'), { timeout: 15_000 }).toBe('true');

		// The join code and short address in a corner; no editing controls at all.
		expect(await present.getByRole('img', { name: 'QR code for the Participant link' }).count()).toBe(1);
		expect(await present.getByTestId('present-join').textContent()).toBe(links.join);
		expect(await present.getByRole('button', { name: /Add asset|Edit|Share|Hide|Lock/ }).count()).toBe(0);
		expect(await present.locator('input, textarea, select').count()).toBe(0);

		// Counts and the map show the visible assets; the hidden one never.
		await expect.poll(() => present.getByTestId('count-places').textContent(), { timeout: 10_000 }).toBe('2');
		expect(await present.getByTestId('count-knowledge').textContent()).toBe('1');
		await expect
			.poll(() => drawnNames(present), { timeout: 10_000 })
			.toEqual(['Bilingual story hour at the library', 'Corner garden', 'Lincoln Square Park and Community Plaza']);
		// Names are drawn large and in full (wrapped, not cut); the area has a label point
		// (drawn when no point's name collides with it).
		await expect.poll(() => labelledNames(present), { timeout: 10_000 }).toContain('Bilingual story hour at the library');
		expect(
			await present.evaluate(() => window.__atlas!.map.querySourceFeatures('asset-area-labels').map((f) => f.properties.name))
		).toContain('Lincoln Square Park and Community Plaza');
		expect(await present.locator('body').textContent()).not.toContain('Private family garden');

		// Only the facilitator's map page is a person here; the projector is not.
		await expect.poll(() => present.getByTestId('present-people').textContent()).toBe('1 person here');
	});

	it('a phone adds an asset: the count, the feed and the map on the big screen update; hidden stays hidden', async () => {
		phone = await session.newPage({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
		await phone.goto(links.editor);
		await join(phone, 'Maria', 'Community organization');
		await waitLive(phone);
		await expect.poll(() => present.getByTestId('present-people').textContent(), { timeout: 10_000 }).toBe('2 people here');

		await addAssetHere(phone, { name: 'Eastside Tool Library', category: 'Organizations' });
		await expect.poll(() => present.getByTestId('count-organizations').textContent(), { timeout: 5_000 }).toBe('1');
		// It pulses in where it is (the ring lasts 4 s).
		await expect.poll(() => present.getByTestId('arrival').count(), { timeout: 3_000 }).toBe(1);
		const feed = present.getByTestId('present-feed').locator('li').first();
		await expect.poll(() => feed.getAttribute('aria-label'), { timeout: 5_000 }).toBe('Maria · community organization · added Eastside Tool Library · Organizations');
		await expect.poll(() => feed.textContent()).toMatch(/Maria\s*·\s*community organization\s*·\s*added Eastside Tool Library\s*·\s*Organizations/);
		// The screen fits it in: its name is drawn.
		await expect.poll(() => labelledNames(present), { timeout: 10_000 }).toContain('Eastside Tool Library');

		// Hiding an asset takes it off the big screen: map, count and feed.
		const id = [...writer.doc.getMap('assets').keys()].find((key) => (writer.doc.getMap('assets').get(key) as { get(k: string): unknown }).get('name') === 'Corner garden')!;
		setAssetHidden(writer.doc, id, true, fatima);
		await expect.poll(() => present.getByTestId('count-places').textContent(), { timeout: 5_000 }).toBe('1');
		await expect.poll(() => drawnNames(present), { timeout: 5_000 }).not.toContain('Corner garden');
		expect(await present.locator('body').textContent()).not.toContain('Corner garden');
		expect(await present.locator('body').textContent()).not.toContain('Private family garden');
	});

	it('the legend filters the big screen’s map', async () => {
		await present.getByRole('button', { name: /^Knowledge: 1 assets/ }).click();
		await expect.poll(() => drawnNames(present), { timeout: 5_000 }).toEqual(['Bilingual story hour at the library']);
		await present.getByRole('button', { name: 'Show all' }).click();
		await expect.poll(() => drawnNames(present), { timeout: 5_000 }).toContain('Eastside Tool Library');
	});

	it('follows the facilitator’s view on “Present my view”, and fits all again on “Fit all”', async () => {
		await facilitator.getByRole('button', { name: 'Present my view' }).click();
		await expect.poll(() => present.getByTestId('present-following').count(), { timeout: 5_000 }).toBe(1);
		// The facilitator zooms out; the big screen follows.
		await facilitator.evaluate(() => window.__atlas!.map.jumpTo({ center: [-122.2, 37.7], zoom: 9 }));
		await expect
			.poll(() => present.evaluate(() => Math.round(window.__atlas!.map.getZoom())), { timeout: 10_000 })
			.toBe(9);
		await facilitator.getByRole('button', { name: 'Fit all' }).click();
		await expect.poll(() => present.getByTestId('present-following').count(), { timeout: 5_000 }).toBe(0);
		await expect.poll(() => present.evaluate(() => window.__atlas!.map.getZoom()), { timeout: 10_000 }).toBeGreaterThan(13);
	});

	it('the category filter in the normal view removes points from the map, not only from the list', async () => {
		await facilitator.evaluate(() => window.__atlas!.map.jumpTo({ center: [-122.271, 37.804], zoom: 16 }));
		await expect.poll(() => drawnNames(facilitator, ['asset-points']), { timeout: 10_000 }).toContain('Eastside Tool Library');
		const filters = facilitator.getByRole('group', { name: 'Filter by category' });
		await filters.getByRole('button', { name: /Organizations/ }).click();
		await expect.poll(() => drawnNames(facilitator, ['asset-points', 'asset-shapes-fill']), { timeout: 5_000 }).toEqual(['Eastside Tool Library']);
		await filters.getByRole('button', { name: /Organizations/ }).click();
		await expect.poll(() => drawnNames(facilitator, ['asset-points', 'asset-shapes-fill']), { timeout: 5_000 }).toContain('Bilingual story hour at the library');
		expect(session.dialogs).toEqual([]);
	});
});
