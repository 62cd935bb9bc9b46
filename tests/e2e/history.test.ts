/**
 * The history the server keeps, as people meet it: a card says who added an asset and
 * who last changed it; the facilitator reads an asset's story, puts an earlier version
 * back, restores what a partner deleted from the map's history; and replaces a leaked
 * facilitator link without disturbing the partners.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, type BrowserSession } from './session.ts';
import { addAssetHere, createMapAsFacilitator, join, shareLinks, waitLive } from './workshop.ts';

let session: BrowserSession;

describe('history and trust', () => {
	let facilitator: Page;
	let partner: Page;
	let links: Awaited<ReturnType<typeof shareLinks>>;

	beforeAll(async () => {
		session = await openSession();
	});

	afterAll(async () => {
		await session?.dispose();
	});

	it('a card says who added the asset and who changed it last, as the server recorded it', async () => {
		facilitator = await session.newPage();
		await createMapAsFacilitator(facilitator, session.server.url, 'Westside history');
		links = await shareLinks(facilitator);
		partner = await session.newPage();
		await partner.goto(links.editor);
		await join(partner, 'Ana Partner', 'Community organization');
		await waitLive(partner);
		await addAssetHere(partner, { name: 'Tool library', category: 'Places', description: 'Lends tools to neighbors' });

		// The facilitator renames it.
		await facilitator.getByRole('button', { name: /Tool library/ }).click();
		await facilitator.getByTestId('asset-details').getByRole('button', { name: 'Edit' }).click();
		await facilitator.getByRole('dialog').getByLabel('Description').fill('Lends tools and teaches repairs');
		await facilitator.getByRole('dialog').getByRole('button', { name: 'Save changes' }).click();

		await partner.getByRole('button', { name: /Tool library/ }).click();
		const provenance = partner.getByTestId('asset-provenance');
		await expect.poll(() => provenance.textContent(), { timeout: 10_000 }).toContain('Last changed by Fatima Facilitator (Campus staff)');
		expect(await provenance.textContent()).toContain('Added by Ana Partner (Community organization)');
	});

	it('the facilitator puts an earlier version back; everyone sees it', async () => {
		await facilitator.getByTestId('asset-details').getByRole('button', { name: 'History' }).click();
		const dialog = facilitator.getByRole('dialog');
		await expect.poll(() => dialog.getByRole('listitem').count()).toBe(2);
		const items = dialog.getByRole('listitem');
		expect(await items.nth(0).textContent()).toContain('Changed description of Tool library');
		expect(await items.nth(1).textContent()).toContain('Added Tool library');
		expect(await items.nth(1).textContent()).toContain('Ana Partner (Community organization), Participant');
		await items.nth(1).getByRole('button', { name: 'Put back this version' }).click();
		await items.nth(1).getByRole('button', { name: 'Put it back' }).click();
		// The put-back is itself a new change in the story.
		await expect.poll(() => dialog.getByRole('listitem').count()).toBe(3);
		await dialog.getByRole('button', { name: 'Close' }).click();
		await expect.poll(() => partner.getByTestId('asset-details').textContent()).toContain('Lends tools to neighbors');
		expect(await partner.getByTestId('asset-details').textContent()).not.toContain('teaches repairs');
	});

	it('restores, from the map’s history, an asset a partner deleted', async () => {
		await partner.getByTestId('asset-details').getByRole('button', { name: 'Delete' }).click();
		await expect.poll(() => facilitator.getByRole('button', { name: /Tool library/ }).count()).toBe(0);
		await facilitator.getByRole('button', { name: 'Map history' }).click();
		const dialog = facilitator.getByRole('dialog');
		const deleted = dialog.getByRole('listitem').filter({ hasText: 'Deleted Tool library' });
		await expect.poll(() => deleted.count()).toBe(1);
		expect(await deleted.textContent()).toContain('Ana Partner');
		await deleted.getByRole('button', { name: 'Restore' }).click();
		await dialog.getByRole('button', { name: 'Close' }).click();
		await expect.poll(() => partner.getByRole('button', { name: /Tool library/ }).count()).toBe(1);
	});

	it('replaces the facilitator link: shown once, this page moves to it, partners stay connected', async () => {
		await facilitator.getByRole('button', { name: 'Share' }).click();
		const share = facilitator.getByRole('dialog');
		await share.locator('summary', { hasText: 'Facilitator link' }).click();
		await share.getByRole('button', { name: 'Replace the facilitator link' }).click();
		await share.getByRole('button', { name: 'Replace link' }).click();
		const fresh = facilitator.getByTestId('new-facilitator-link');
		await expect.poll(() => fresh.count()).toBe(1);
		const newLink = await fresh.inputValue();
		expect(newLink).not.toBe(links.facilitator);
		await facilitator.getByRole('button', { name: 'Continue with the new link' }).click();
		await facilitator.waitForURL(newLink);
		await waitLive(facilitator);
		await expect.poll(() => facilitator.getByRole('button', { name: 'Share' }).count(), { timeout: 10_000 }).toBe(1);

		// The old link no longer opens the map as facilitator.
		const stale = await session.newPage();
		await stale.goto(links.facilitator);
		await expect.poll(() => stale.getByRole('alert').count()).toBe(1);
		// The partner never noticed.
		await waitLive(partner);
		await addAssetHere(partner, { name: 'Seed swap', category: 'Economy' });
		await expect.poll(() => facilitator.getByRole('button', { name: /Seed swap/ }).count()).toBe(1);
	});
});
