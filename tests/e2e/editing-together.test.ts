/**
 * Editing together without losing work (issue 9): on a phone, a tap while placing only
 * places, even inside an area; deleting someone else's asset asks first, and the facilitator
 * hears of it and restores it; the facilitator renames the map and a participant sees it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { addAsset } from '../../src/lib/doc/mutations.ts';
import { openSession, type BrowserSession } from './session.ts';
import { addAssetHere, createMapAsFacilitator, join, shareLinks, waitLive } from './workshop.ts';

const PHONE_740 = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, reducedMotion: 'reduce' as const };

let session: BrowserSession;
let facilitator: Page;
let links: Awaited<ReturnType<typeof shareLinks>>;

const rowNamed = (page: Page, name: RegExp) => page.getByRole('button', { name });

describe('editing together', () => {
	beforeAll(async () => {
		session = await openSession();
	});
	afterEach(async (context) => {
		if (context.task.result?.state === 'fail') await session.screenshotAll('editing-together-failure');
	});
	afterAll(async () => {
		await session?.dispose();
	});

	it('a facilitator opens a map and shares it', async () => {
		facilitator = await session.newPage();
		await createMapAsFacilitator(facilitator, session.server.url, 'Northside strengths');
		links = await shareLinks(facilitator);
	});

	it('on a phone, a tap in placing mode inside an area places and selects nothing', async () => {
		// A park big enough to fill the phone's screen once the map frames it.
		const client = session.connectByLink(links.facilitator);
		try {
			await client.synced;
			const ring: Array<[number, number]> = [[9.97, 49.97], [10.03, 49.97], [10.03, 50.03], [9.97, 50.03], [9.97, 49.97]];
			addAsset(client.doc, { name: 'Riverside park', category: 'places', description: '', holder: '', tags: [], geometry: { type: 'Polygon', coordinates: [ring] } }, { id: 'seed', name: 'Seed', affiliation: 'other' });
		} finally {
			// Destroying right away could drop the update; the facilitator's page seeing it proves it arrived.
			await expect.poll(() => rowNamed(facilitator, /Riverside park/).count(), { timeout: 10_000 }).toBe(1);
			client.destroy();
		}

		const phone = await session.newPage(PHONE_740);
		await phone.goto(links.editor);
		await join(phone, 'Rosa', 'Community member');
		await waitLive(phone);
		await expect.poll(() => phone.getByTestId('map-canvas').getAttribute('data-ready'), { timeout: 15_000 }).toBe('true');
		const canvas = phone.locator('[data-testid="map-canvas"] canvas');
		const box = (await canvas.boundingBox())!;
		const spot = { x: box.width / 2 + 40, y: box.height * 0.35 };
		// Well apart from `spot`, so two taps in a row are never read as a double tap (zoom).
		const elsewhere = { x: box.width / 2 - 60, y: box.height * 0.2 };
		// The area's features are drawn before the test taps.
		await expect.poll(() => phone.evaluate(() => (window as unknown as { __atlas?: { map: { queryRenderedFeatures: (o: object) => unknown[] } } }).__atlas?.map.queryRenderedFeatures({ layers: ['asset-shapes-fill'] }).length ?? 0), { timeout: 10_000 }).toBeGreaterThan(0);

		await phone.getByRole('button', { name: 'Add asset' }).tap();
		expect(await phone.getByRole('group', { name: 'Add asset' }).textContent()).toContain('Tap the map');
		await canvas.tap({ position: spot });
		const form = phone.getByRole('dialog');
		await expect.poll(() => form.getByRole('heading', { name: 'New asset' }).count()).toBe(1);
		expect(await phone.getByTestId('asset-details').count()).toBe(0);
		await form.getByRole('button', { name: 'Cancel' }).tap();
		await expect.poll(() => form.count()).toBe(0);
		expect(await phone.getByTestId('asset-details').count()).toBe(0);

		// The area really is there: in browsing, a tap on it selects it.
		await expect
			.poll(
				async () => {
					await canvas.tap({ position: elsewhere });
					return phone.getByTestId('asset-details').count();
				},
				{ timeout: 15_000 }
			)
			.toBe(1);
		expect(await phone.getByTestId('asset-details').textContent()).toContain('Riverside park');
		await phone.getByTestId('asset-details').getByRole('button', { name: 'Close' }).tap();
		await expect.poll(() => phone.getByTestId('asset-details').count()).toBe(0);

		await phone.context().close();
	});

	it('deleting someone else’s asset asks first, and the facilitator hears of it and restores it', async () => {
		await addAssetHere(facilitator, { name: 'Community garden', category: 'Places' });
		const partner = await session.newPage();
		await partner.goto(links.editor);
		await join(partner, 'Rosa', 'Community member');
		await waitLive(partner);
		await expect.poll(() => rowNamed(partner, /Community garden/).count(), { timeout: 10_000 }).toBe(1);

		await rowNamed(partner, /Community garden/).click();
		const details = partner.getByTestId('asset-details');
		await details.getByRole('button', { name: 'Delete' }).click();
		const ask = partner.getByRole('dialog', { name: 'Delete “Community garden” for everyone?' });
		await expect.poll(() => ask.count()).toBe(1);
		expect(await ask.textContent()).toContain('Fatima Facilitator added this. Delete it for everyone?');
		// The safe choice has the focus; Escape keeps the asset.
		expect(await partner.evaluate(() => document.activeElement?.textContent)).toBe('Keep it');
		await partner.keyboard.press('Escape');
		await expect.poll(() => ask.count()).toBe(0);
		expect(await rowNamed(partner, /Community garden/).count()).toBe(1);

		await details.getByRole('button', { name: 'Delete' }).click();
		await ask.getByRole('button', { name: 'Delete for everyone' }).click();
		await expect.poll(() => rowNamed(partner, /Community garden/).count()).toBe(0);
		await expect.poll(() => partner.getByTestId('toast').textContent()).toContain('“Community garden” was deleted.');
		await expect.poll(() => rowNamed(facilitator, /Community garden/).count(), { timeout: 10_000 }).toBe(0);

		// The facilitator's toast says who deleted what, and restores it for everyone.
		const toast = facilitator.getByTestId('toast');
		await expect.poll(() => toast.textContent(), { timeout: 10_000 }).toContain('Rosa deleted “Community garden”.');
		await toast.getByRole('button', { name: 'Restore' }).click();
		await expect.poll(() => rowNamed(facilitator, /Community garden/).count()).toBe(1);
		await expect.poll(() => rowNamed(partner, /Community garden/).count(), { timeout: 10_000 }).toBe(1);

		// One's own asset goes at once, with Undo.
		await addAssetHere(partner, { name: 'Rosa’s tool library', category: 'Economy' });
		await rowNamed(partner, /Rosa’s tool library/).click();
		await details.getByRole('button', { name: 'Delete' }).click();
		await expect.poll(() => rowNamed(partner, /Rosa’s tool library/).count()).toBe(0);
		expect(await partner.getByRole('dialog').count()).toBe(0);
		await partner.getByTestId('toast').getByRole('button', { name: 'Undo' }).click();
		await expect.poll(() => rowNamed(partner, /Rosa’s tool library/).count()).toBe(1);
		expect(session.dialogs).toEqual([]);
		await partner.context().close();
	});

	it('the facilitator edits the map’s title, place and description, and a participant sees them', async () => {
		const partner = await session.newPage();
		await partner.goto(links.editor);
		await join(partner, 'Amir', 'Student');
		await waitLive(partner);
		expect(await partner.getByRole('heading', { level: 1 }).textContent()).toBe('Northside strengths');
		// Participants have no such control.
		expect(await partner.getByRole('button', { name: 'Edit title and description' }).count()).toBe(0);

		await facilitator.getByRole('button', { name: 'Edit title and description' }).click();
		const dialog = facilitator.getByRole('dialog', { name: 'About this map' });
		await dialog.getByLabel('Title').fill('Northside and Riverside strengths');
		await dialog.getByLabel('Place').fill('Springfield');
		await dialog.getByLabel('Description').fill('Spring workshop with the tenants’ association');
		expect(await dialog.textContent()).toContain(`${4000 - 'Spring workshop with the tenants’ association'.length} characters left`);
		await dialog.getByRole('button', { name: 'Save' }).click();
		await expect.poll(() => dialog.count()).toBe(0);

		await expect.poll(() => partner.getByRole('heading', { level: 1 }).textContent(), { timeout: 10_000 }).toBe('Northside and Riverside strengths');
		await expect.poll(() => partner.locator('.topbar .place').textContent()).toBe('Springfield');
		// An empty title is refused in words, and nothing changes.
		await facilitator.getByRole('button', { name: 'Edit title and description' }).click();
		await dialog.getByLabel('Title').fill('  ');
		await dialog.getByRole('button', { name: 'Save' }).click();
		await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('The title is missing');
		await dialog.getByRole('button', { name: 'Cancel' }).click();
		expect(await facilitator.getByRole('heading', { level: 1 }).textContent()).toBe('Northside and Riverside strengths');
		await partner.context().close();
	});
});
