/**
 * A workshop in real Chromium against the real built server: a facilitator creates a map,
 * a partner joins by the editor link in another browser context, assets added on one
 * screen appear in the other's list and on its map, survive a reload, and a phone-sized
 * screen can add one too.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, PHONE, type BrowserSession } from './session.ts';
import { CATEGORY_STYLES } from '../../src/lib/doc/categories.ts';
import { addAssetHere, join, pixelsOfColor, waitLive } from './workshop.ts';
import { readAllAssets } from '../../src/lib/doc/schema.ts';

let session: BrowserSession;
const newPage: BrowserSession['newPage'] = (options) => session.newPage(options);

const HOSTILE = '<img src=x onerror=alert(1)>';

describe('a workshop on a shared map', () => {
	let facilitator: Page;
	let partner: Page;
	let editorLink = '';
	let viewerLink = '';

	beforeAll(async () => {
		session = await openSession();
	});

	// A failing step leaves screenshots of every open page in test-results/ to look at.
	afterEach(async (context) => {
		if (context.task.result?.state === 'fail') await session.screenshotAll('failure');
	});

	afterAll(async () => {
		await session?.dispose();
	});

	it('a facilitator creates a map and gets the three links', async () => {
		facilitator = await newPage();
		await facilitator.goto(`${session.server.url}/`);
		await facilitator.getByLabel('Map title').fill('Eastside strengths');
		await facilitator.getByLabel('Place').fill('Eastside');
		await facilitator.getByRole('button', { name: 'Create map' }).click();
		await facilitator.waitForURL(/\/m\/[a-z2-9]{10}#key=/);
		await join(facilitator, 'Fatima Facilitator', 'Campus staff');
		await expect.poll(() => facilitator.getByRole('heading', { level: 1 }).textContent()).toBe('Eastside strengths');
		await waitLive(facilitator);

		await facilitator.getByRole('button', { name: 'Share' }).click();
		const share = facilitator.getByRole('dialog');
		editorLink = await share.getByRole('textbox', { name: 'Participant link' }).inputValue();
		// One QR code on the shared screen, the participant's; the view-only one is folded away.
		const visibleCodes = share.getByRole('img', { name: /^QR code/ }).filter({ visible: true });
		expect(await visibleCodes.count()).toBe(1);
		expect(await visibleCodes.getAttribute('aria-label')).toBe('QR code for the Participant link');
		await share.locator('summary', { hasText: 'View-only link' }).click();
		viewerLink = await share.getByRole('textbox', { name: 'View-only link' }).inputValue();
		const facilitatorLink = await share.getByLabel('Facilitator link', { exact: true }).inputValue();
		// Never a QR code for the facilitator's link.
		expect(await share.getByRole('img', { name: /^QR code/ }).filter({ visible: true }).count()).toBe(2);
		for (const link of [editorLink, viewerLink, facilitatorLink]) expect(link).toMatch(/^http:\/\/.+\/m\/[a-z2-9]{10}#key=[\w-]{22,}$/);
		expect(new Set([editorLink, viewerLink, facilitatorLink]).size).toBe(3);
		await share.getByRole('button', { name: 'Close' }).click();
	});

	it('an asset added by one person appears in the other’s list and on their map', async () => {
		partner = await newPage();
		await partner.goto(editorLink);
		await join(partner, 'Rosa Partner', 'Community organization');
		await waitLive(partner);

		const name = `Corner garden ${HOSTILE}`;
		await addAssetHere(facilitator, {
			name,
			category: 'Places',
			description: `Raised beds and a tool shed ${HOSTILE}`,
			holder: 'Block club',
			tags: 'food, youth'
		});

		const row = partner.getByRole('button', { name: new RegExp(`Corner garden`) });
		await expect.poll(() => row.count(), { timeout: 5_000 }).toBe(1);
		expect(await row.textContent()).toContain(HOSTILE);

		const before = await pixelsOfColor(partner, CATEGORY_STYLES.places.color);
		await row.click();
		const details = partner.getByTestId('asset-details');
		await expect.poll(() => details.getByRole('heading', { level: 2 }).textContent()).toBe(name);
		expect(await details.textContent()).toContain('Block club');
		expect(await details.textContent()).toContain('Fatima Facilitator');
		await expect.poll(() => pixelsOfColor(partner, CATEGORY_STYLES.places.color), { timeout: 10_000 }).toBeGreaterThan(Math.max(before, 150));
		expect(session.dialogs).toEqual([]);
	});

	it('edits by the partner reach the facilitator', async () => {
		await partner.getByTestId('asset-details').getByRole('button', { name: 'Edit' }).click();
		const form = partner.getByRole('dialog');
		await form.getByLabel('Name').fill('Corner community garden');
		await form.getByRole('button', { name: 'Save changes' }).click();
		await expect.poll(() => facilitator.getByRole('button', { name: /Corner community garden/ }).count(), { timeout: 5_000 }).toBe(1);
	});

	it('dragging the marker moves the asset for everyone', async () => {
		const observer = session.connectByLink(viewerLink);
		try {
			await observer.synced;
			const lngOf = () => {
				const assets = readAllAssets(observer.doc).filter((a) => a.name === 'Corner community garden');
				return assets.length === 1 && assets[0].geometry.type === 'Point' ? assets[0].geometry.coordinates[0] : NaN;
			};
			const before = lngOf();
			expect(before).not.toBeNaN();
			await partner.getByTestId('asset-details').getByRole('button', { name: 'Move' }).click();
			const marker = partner.locator('.move-marker');
			const box = (await marker.boundingBox())!;
			await partner.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
			await partner.mouse.down();
			for (let i = 1; i <= 10; i++) await partner.mouse.move(box.x + box.width / 2 + i * 15, box.y + box.height / 2);
			await partner.mouse.up();
			await partner.getByRole('button', { name: 'Done moving' }).click();
			await expect.poll(lngOf, { timeout: 5_000 }).toBeGreaterThan(before);
		} finally {
			observer.destroy();
		}
	});

	it('an area drawn corner by corner reaches everyone as a polygon', async () => {
		const observer = session.connectByLink(viewerLink);
		try {
			await observer.synced;
			await facilitator.getByRole('button', { name: /Add asset/ }).first().click();
			await facilitator.getByRole('button', { name: 'Draw an area' }).click();
			const canvas = (await facilitator.locator('[data-testid="map-canvas"] canvas').boundingBox())!;
			const at = (dx: number, dy: number) => facilitator.mouse.click(canvas.x + canvas.width / 2 + dx, canvas.y + canvas.height / 2 + dy);
			await at(-80, -60);
			await at(80, -60);
			await at(0, 70);
			await facilitator.getByRole('button', { name: 'Finish area' }).click();
			const form = facilitator.getByRole('dialog');
			await form.getByLabel('Name').fill('Riverside park');
			await form.getByText('Places', { exact: true }).click();
			await form.getByRole('button', { name: 'Save asset' }).click();
			const park = () => readAllAssets(observer.doc).find((a) => a.name === 'Riverside park');
			await expect.poll(() => park()?.geometry.type, { timeout: 5_000 }).toBe('Polygon');
			const ring = park()!.geometry.coordinates[0] as Array<[number, number]>;
			expect(ring).toHaveLength(4);
			expect(ring[0]).toEqual(ring[3]);
			await expect.poll(() => partner.getByRole('button', { name: /Riverside park/ }).count(), { timeout: 5_000 }).toBe(1);
		} finally {
			observer.destroy();
		}
	});

	it('a reload still shows the asset', async () => {
		await partner.reload();
		await expect.poll(() => partner.getByRole('button', { name: /Corner community garden/ }).count(), { timeout: 10_000 }).toBe(1);
		await waitLive(partner);
	});

	it('a viewer sees the live map and list with no editing controls', async () => {
		const viewer = await newPage();
		await viewer.goto(viewerLink);
		await expect.poll(() => viewer.getByRole('button', { name: /Corner community garden/ }).count(), { timeout: 10_000 }).toBe(1);
		expect(await viewer.getByRole('dialog').count()).toBe(0);
		expect(await viewer.getByRole('button', { name: /Add asset/ }).count()).toBe(0);
		await viewer.getByRole('button', { name: /Corner community garden/ }).click();
		expect(await viewer.getByTestId('asset-details').getByRole('button', { name: 'Edit' }).count()).toBe(0);
		expect(await viewer.getByText('You are viewing this map').count()).toBe(1);
	});

	it('on a 360×640 phone, a partner adds an asset', async () => {
		const phone = await newPage({ ...PHONE, deviceScaleFactor: 2 });
		await phone.goto(editorLink);
		await join(phone, 'Sam on a phone', 'Student');
		await waitLive(phone);
		expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
		await addAssetHere(phone, { name: 'Youth soccer coaches', category: 'Skills' });
		await expect.poll(() => facilitator.getByRole('button', { name: /Youth soccer coaches/ }).count(), { timeout: 5_000 }).toBe(1);
		await phone.getByRole('button', { name: /^List/ }).click();
		await expect.poll(() => phone.getByRole('button', { name: /Youth soccer coaches/ }).count()).toBe(1);
		expect(session.dialogs).toEqual([]);
	});
});
