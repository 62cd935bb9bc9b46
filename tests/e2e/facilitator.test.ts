/**
 * A facilitator runs the room: hides and shows an asset, restores one a partner deleted,
 * locks the map, and replaces the participant link — and hostile text typed into every
 * field stays text on every screen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, PHONE, type BrowserSession } from './session.ts';
import { addAssetHere, createMapAsFacilitator, join, shareLinks, waitLive } from './workshop.ts';

const XSS = '<img src=x onerror=alert(1)><script>alert(2)</script>';

let session: BrowserSession;
const newPage: BrowserSession['newPage'] = (options) => session.newPage(options);

const rowNamed = (page: Page, name: RegExp) => page.getByRole('button', { name });

describe('facilitator controls', () => {
	let facilitator: Page;
	let partner: Page;
	let links: Awaited<ReturnType<typeof shareLinks>>;

	beforeAll(async () => {
		session = await openSession();
	});

	afterAll(async () => {
		await session?.dispose();
	});

	it('a partner joins by the participant link and adds an asset, hostile text in every field', async () => {
		facilitator = await newPage();
		await createMapAsFacilitator(facilitator, session.server.url, `Northside ${XSS}`, `Place ${XSS}`);
		links = await shareLinks(facilitator);
		partner = await newPage();
		await partner.goto(links.editor);
		await join(partner, `Rosa ${XSS}`, 'Community member');
		await waitLive(partner);
		await addAssetHere(partner, {
			name: `Food pantry ${XSS}`,
			category: 'Organizations',
			description: `Open Tuesdays ${XSS}`,
			holder: `St. Mark's ${XSS}`,
			tags: `food, ${XSS}`
		});
		await expect.poll(() => rowNamed(facilitator, /Food pantry/).count(), { timeout: 5_000 }).toBe(1);
	});

	it('renders hostile text as text everywhere', async () => {
		for (const page of [facilitator, partner]) {
			expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Northside ${XSS}`);
			await rowNamed(page, /Food pantry/).click();
			// Who added it comes from the server's history, a moment after the card opens.
			await expect.poll(() => page.getByTestId('asset-provenance').textContent()).toContain(`Added by Rosa ${XSS}`);
			const details = await page.getByTestId('asset-details').textContent();
			for (const text of [`Food pantry ${XSS}`, `Open Tuesdays ${XSS}`, `St. Mark's ${XSS}`, `Added by Rosa ${XSS}`]) expect(details).toContain(text);
			await page.getByTestId('presence').locator('summary').click();
			expect(await page.getByTestId('presence').textContent()).toContain(`Rosa ${XSS}`);
			await page.getByTestId('presence').locator('summary').click();
			// No element was made from the payloads.
			expect(await page.locator('img[src="x"]').count()).toBe(0);
			expect(await page.evaluate(() => [...document.scripts].filter((s) => s.textContent?.includes('alert(')).length)).toBe(0);
		}
		expect(session.dialogs).toEqual([]);
	});

	it('shows people with the role from their link, not what their browser claims', async () => {
		await partner.getByTestId('presence').locator('summary').click();
		const presence = await partner.getByTestId('presence').textContent();
		expect(presence).toContain('Fatima Facilitator');
		expect(presence).toMatch(/Campus staff · Facilitator/);
		expect(presence).toMatch(/Community member · Participant/);
		await partner.getByTestId('presence').locator('summary').click();
	});

	it('hides an asset from participants and shows it again', async () => {
		await rowNamed(facilitator, /Food pantry/).click();
		await facilitator.getByTestId('asset-details').getByRole('button', { name: 'Hide' }).click();
		await expect.poll(() => rowNamed(partner, /Food pantry/).count(), { timeout: 5_000 }).toBe(0);
		expect(await rowNamed(facilitator, /Food pantry/).textContent()).toContain('Hidden from participants');
		await facilitator.getByTestId('asset-details').getByRole('button', { name: 'Show again' }).click();
		await expect.poll(() => rowNamed(partner, /Food pantry/).count(), { timeout: 5_000 }).toBe(1);
	});

	it('restores an asset a partner deleted', async () => {
		await rowNamed(partner, /Food pantry/).click();
		await partner.getByTestId('asset-details').getByRole('button', { name: 'Delete' }).click();
		await expect.poll(() => rowNamed(facilitator, /Food pantry/).count(), { timeout: 5_000 }).toBe(0);
		await facilitator.getByText('Recently deleted (1)').click();
		await facilitator.getByRole('button', { name: /^Restore Food pantry/ }).click();
		await expect.poll(() => rowNamed(partner, /Food pantry/).count(), { timeout: 5_000 }).toBe(1);
		expect(await facilitator.getByText('Recently deleted (0)').count()).toBe(1);
	});

	it('locks the map: participants see it is locked and lose the add button', async () => {
		await facilitator.getByRole('button', { name: 'Lock map' }).click();
		await expect.poll(() => partner.getByTestId('locked-banner').count(), { timeout: 5_000 }).toBe(1);
		expect(await partner.getByRole('button', { name: /Add asset/ }).count()).toBe(0);
		expect(await facilitator.getByTestId('locked-banner').textContent()).toContain('Only facilitators');
		await facilitator.getByRole('button', { name: 'Unlock map' }).click();
		await expect.poll(() => partner.getByRole('button', { name: /Add asset/ }).count(), { timeout: 5_000 }).toBeGreaterThan(0);
	});

	it('replaces the participant link: the old one stops working, the new one and the short address work', async () => {
		await facilitator.getByRole('button', { name: 'Share' }).click();
		const share = facilitator.getByRole('dialog');
		await share.getByRole('button', { name: 'Replace this link' }).first().click();
		await share.getByRole('button', { name: 'Replace link' }).click();
		await expect.poll(() => share.getByRole('textbox', { name: 'Participant link' }).inputValue(), { timeout: 5_000 }).not.toBe(links.editor);
		const newEditor = await share.getByRole('textbox', { name: 'Participant link' }).inputValue();
		const joinAddress = await share.getByTestId('join-address').textContent();
		await share.getByRole('button', { name: 'Close' }).click();

		await expect.poll(() => partner.getByTestId('connection-status').getAttribute('data-status'), { timeout: 5_000 }).toBe('refused');
		expect(await partner.getByRole('alert').textContent()).toContain('This link no longer works');
		// The new link opened in the same tab (only the fragment changes) opens the map again.
		await partner.goto(newEditor);
		await expect.poll(() => partner.getByTestId('connection-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('live');

		const stale = await newPage();
		await stale.goto(links.editor);
		await expect.poll(() => stale.getByRole('alert').textContent(), { timeout: 10_000 }).toContain('This link does not open a map');

		const fresh = await newPage();
		await fresh.goto(newEditor);
		await join(fresh, 'Kim', 'Faculty');
		await waitLive(fresh);
		expect(await rowNamed(fresh, /Food pantry/).count()).toBe(1);

		expect(joinAddress).toMatch(/\/j\/[a-z2-9]{8}$/);
		const typed = await newPage(PHONE);
		await typed.addInitScript(() =>
			localStorage.setItem('asset-atlas:profile', JSON.stringify({ id: 'typedtypedtyped1', name: 'Lee', affiliation: 'student' }))
		);
		await typed.goto(`http://${joinAddress}`);
		await waitLive(typed);
		expect(await typed.getByRole('button', { name: /Add asset/ }).count()).toBeGreaterThan(0);
		expect(session.dialogs).toEqual([]);
	});
});
