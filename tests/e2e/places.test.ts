/**
 * Place search in the browser: a facilitator finds a place in the map's search box with
 * the keyboard and the map goes there (read back through "Start everyone here", which saves
 * the map's centre for everyone); a new map created with a picked place starts there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, type BrowserSession } from './session.ts';
import { createMapAsFacilitator, join, shareLinks, typeAndPick, waitLive } from './workshop.ts';

let session: BrowserSession;

/** The shared map's starting view, as a stock y-websocket client on the link sees it. */
async function sharedView(link: string): Promise<{ center: [number, number]; zoom: number } | null> {
	const client = session.connectByLink(link);
	try {
		await client.synced;
		return (client.doc.getMap('meta').get('view') as { center: [number, number]; zoom: number } | undefined) ?? null;
	} finally {
		client.destroy();
	}
}

beforeAll(async () => {
	session = await openSession();
});

afterAll(async () => {
	await session?.dispose();
});

describe('place search', () => {
	it('moves the map to a place picked with the keyboard', async () => {
		// Reduced motion: MapLibre jumps instead of flying, so the centre is final at once.
		const page = await session.newPage({ reducedMotion: 'reduce' });
		await createMapAsFacilitator(page, session.server.url, 'Riverside strengths');
		const links = await shareLinks(page);
		expect(await sharedView(links.editor)).toBeNull();

		const box = page.getByRole('combobox', { name: 'Find a place' });
		await box.click();
		await box.pressSequentially('zz');
		await expect.poll(() => page.getByRole('status').filter({ hasText: 'No places found' }).count(), { timeout: 10_000 }).toBe(1);
		await box.fill('');

		await typeAndPick(page, box, 'sao paulo', /^São Paulo\b.*Brazil/);
		expect(await box.inputValue()).toBe('São Paulo');
		await page.getByRole('button', { name: 'Start everyone here' }).click();
		await expect.poll(async () => (await sharedView(links.editor))?.center[1] ?? 0, { timeout: 10_000 }).toBeLessThan(-20);
		const view = (await sharedView(links.editor))!;
		expect(view.center[0]).toBeCloseTo(-46.64, 0);
		expect(view.center[1]).toBeCloseTo(-23.55, 0);
		expect(view.zoom).toBeGreaterThan(7);
	});

	it('starts a new map at the place picked on the home page, for everyone', async () => {
		const page = await session.newPage();
		await page.goto(`${session.server.url}/`);
		await page.getByLabel('Map title').fill('Eastside inventory');
		const place = page.getByRole('combobox', { name: 'Place' });
		await typeAndPick(page, place, 'springfield', /Springfield.*MA/);
		expect(await place.inputValue()).toBe('Springfield, MA, United States');
		await page.getByRole('button', { name: 'Create map' }).click();
		await page.waitForURL(/\/m\/[a-z2-9]{10}#key=/);
		await join(page, 'Fatima Facilitator', 'Campus staff');
		await waitLive(page);
		const links = await shareLinks(page);
		const view = (await sharedView(links.editor))!;
		expect(view.center[0]).toBeCloseTo(-72.59, 1);
		expect(view.center[1]).toBeCloseTo(42.1, 1);
	});
});
