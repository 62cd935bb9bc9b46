/**
 * Editing together without losing work: two people edit one asset at once in two browser
 * contexts. Different fields both survive; the same field asks first (keep mine / keep
 * theirs, both outcomes); a lock while typing a new asset blocks Save with the reason and
 * the draft is offered back after unlock.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, type BrowserSession } from './session.ts';
import { addAssetHere, createMapAsFacilitator, join, shareLinks, waitLive } from './workshop.ts';
import { waitForDoc, type Client } from '../helpers/sync-clients.ts';
import { readAllAssets } from '../../src/lib/doc/schema.ts';

let session: BrowserSession;

/** A stock client's view of the one asset named `name`. */
function assetIn(client: Client, name: RegExp) {
	return readAllAssets(client.doc).find((asset) => name.test(asset.name));
}

async function openEdit(page: Page, name: RegExp) {
	await page.getByRole('button', { name }).first().click();
	await page.getByTestId('asset-details').getByRole('button', { name: 'Edit' }).click();
	await expect.poll(() => page.getByRole('dialog').getByLabel('Description').count()).toBe(1);
	return page.getByRole('dialog');
}

async function shoot(page: Page, name: string) {
	mkdirSync('test-results', { recursive: true });
	await page.screenshot({ path: `test-results/${name}-1280.png` });
	await page.setViewportSize({ width: 360, height: 740 });
	await page.screenshot({ path: `test-results/${name}-360.png` });
	await page.setViewportSize({ width: 1280, height: 800 });
}

describe('saves that merge, drafts that survive', () => {
	let facilitator: Page;
	let ana: Page;
	let ben: Page;
	let stock: Client;

	beforeAll(async () => {
		session = await openSession();
	});

	it('a facilitator, Ana and Ben are on one map with one asset', async () => {
		facilitator = await session.newPage();
		await createMapAsFacilitator(facilitator, session.server.url, 'Northside strengths');
		await addAssetHere(facilitator, { name: 'Northside Library', category: 'Institutions', description: 'Meeting rooms', holder: 'City' });
		const links = await shareLinks(facilitator);
		stock = session.connectByLink(links.viewer);
		ana = await session.newPage();
		await ana.goto(links.editor);
		await join(ana, 'Ana', 'Community member');
		ben = await session.newPage();
		await ben.goto(links.editor);
		await join(ben, 'Ben', 'Faculty');
		await Promise.all([waitLive(ana), waitLive(ben)]);
	}, 60_000);

	afterEach(async (context) => {
		if (context.task.result?.state === 'fail') await session.screenshotAll('merge-failure');
	});

	afterAll(async () => {
		stock?.destroy();
		await session?.dispose();
	});

	it('two people editing different fields of one asset both keep their changes', async () => {
		const anaForm = await openEdit(ana, /Northside Library/);
		const benForm = await openEdit(ben, /Northside Library/);
		await benForm.getByLabel('Description').fill('Meeting rooms and a makerspace');
		await benForm.getByRole('button', { name: 'Save changes' }).click();
		await expect.poll(() => benForm.count()).toBe(0);
		// Ana never touched the description: her open form follows Ben's change.
		await expect.poll(() => anaForm.getByLabel('Description').inputValue(), { timeout: 5_000 }).toBe('Meeting rooms and a makerspace');
		expect(await anaForm.getByTestId('remote-note').textContent()).toContain('Ben just changed the description');
		await anaForm.getByLabel('Who stewards it').fill('Friends of the Library');
		await anaForm.getByRole('button', { name: 'Save changes' }).click();
		await expect.poll(() => anaForm.count()).toBe(0);
		await waitForDoc(stock.doc, () => assetIn(stock, /Northside/)?.holder === 'Friends of the Library', 'Ana’s steward');
		expect(assetIn(stock, /Northside/)).toMatchObject({ description: 'Meeting rooms and a makerspace', holder: 'Friends of the Library' });
		await expect.poll(() => ben.getByTestId('asset-details').textContent()).toContain('Friends of the Library');
	});

	for (const choice of ['mine', 'theirs'] as const) {
		it(`both edit the description: Ana is asked, and keeps ${choice === 'mine' ? 'hers' : 'Ben’s'}`, async () => {
			const anaText = `Ana’s words (${choice})`;
			const benText = `Ben’s words (${choice})`;
			const anaForm = await openEdit(ana, /Northside Library/);
			await anaForm.getByLabel('Description').fill(anaText);
			const benForm = await openEdit(ben, /Northside Library/);
			await benForm.getByLabel('Description').fill(benText);
			await benForm.getByRole('button', { name: 'Save changes' }).click();
			await waitForDoc(stock.doc, () => assetIn(stock, /Northside/)?.description === benText, 'Ben’s description');
			// Ana's typing is not replaced by Ben's change.
			expect(await anaForm.getByLabel('Description').inputValue()).toBe(anaText);
			await anaForm.getByRole('button', { name: 'Save changes' }).click();
			const conflict = anaForm.getByTestId('conflict-choice');
			await expect.poll(() => conflict.count()).toBe(1);
			const text = (await conflict.textContent()) ?? '';
			expect(text).toContain('Ben changed the description');
			expect(text).toContain(anaText);
			expect(text).toContain(benText);
			if (choice === 'mine') await shoot(ana, 'conflict-choice');
			// Nothing was written yet.
			expect(assetIn(stock, /Northside/)?.description).toBe(benText);
			await conflict.getByLabel(choice === 'mine' ? 'Keep yours' : 'Keep Ben’s').check();
			await conflict.getByRole('button', { name: 'Save with these choices' }).click();
			await expect.poll(() => anaForm.count()).toBe(0);
			const expected = choice === 'mine' ? anaText : benText;
			await waitForDoc(stock.doc, () => assetIn(stock, /Northside/)?.description === expected, 'the chosen description');
			await expect.poll(() => ben.getByTestId('asset-details').textContent()).toContain(expected);
			expect(assetIn(stock, /Northside/)?.holder).toBe('Friends of the Library');
		});
	}

	it('a lock while Ana types a new asset: Save waits with the reason, and the draft comes back after unlock', async () => {
		await ana.getByTestId('asset-details').getByRole('button', { name: 'Close' }).click().catch(() => {});
		await ana.getByRole('button', { name: /Add asset/ }).first().click();
		await ana.getByRole('button', { name: 'Place here' }).click();
		const form = ana.getByRole('dialog');
		await form.getByLabel('Name').fill('Tool library');
		await form.getByText('Economy', { exact: true }).click();
		await facilitator.getByRole('button', { name: 'Lock map' }).click();
		const save = form.getByRole('button', { name: 'Save asset' });
		await expect.poll(() => save.isDisabled(), { timeout: 5_000 }).toBe(true);
		expect(await form.getByTestId('save-blocked').textContent()).toContain('locked the map');
		// She keeps typing; it is all kept.
		await form.getByLabel('Description').fill('Borrow a drill, give a hand');
		await shoot(ana, 'save-blocked');
		await form.getByRole('button', { name: 'Close, keep my draft' }).click();
		await expect.poll(() => form.count()).toBe(0);
		expect(await ana.getByTestId('draft-offer').count()).toBe(0);

		await facilitator.getByRole('button', { name: 'Unlock map' }).click();
		const offer = ana.getByTestId('draft-offer');
		await expect.poll(() => offer.count(), { timeout: 5_000 }).toBe(1);
		expect(await offer.textContent()).toContain('Tool library');
		await shoot(ana, 'draft-offer');
		await offer.getByRole('button', { name: 'Open it to save' }).click();
		expect(await form.getByLabel('Name').inputValue()).toBe('Tool library');
		expect(await form.getByLabel('Description').inputValue()).toBe('Borrow a drill, give a hand');
		await form.getByRole('button', { name: 'Save asset' }).click();
		await expect.poll(() => form.count()).toBe(0);
		await waitForDoc(stock.doc, () => assetIn(stock, /Tool library/)?.description === 'Borrow a drill, give a hand', 'the saved draft');
		await expect.poll(() => offer.count()).toBe(0);
		await expect.poll(() => facilitator.getByRole('button', { name: /Tool library/ }).count()).toBe(1);
		expect(session.dialogs).toEqual([]);
	});
});
