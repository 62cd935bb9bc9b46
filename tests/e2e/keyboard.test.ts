/**
 * The keyboard path: add an asset, find it in the list and open its card, without a mouse.
 * Focus follows the task: the placing bar takes it, and it comes back to "Add asset".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, type BrowserSession } from './session.ts';
import { createMapAsFacilitator } from './workshop.ts';

let session: BrowserSession;

const focused = (page: Page) =>
	page.evaluate(() => {
		const element = document.activeElement as HTMLElement | null;
		return { tag: element?.tagName ?? '', text: (element?.textContent ?? '').trim(), label: element?.getAttribute('aria-label') ?? '', id: element?.id ?? '' };
	});

/** Presses Tab until the focused element matches, at most `max` times. */
async function tabTo(page: Page, matches: (f: Awaited<ReturnType<typeof focused>>) => boolean, max = 60) {
	for (let i = 0; i < max; i++) {
		await page.keyboard.press('Tab');
		if (matches(await focused(page))) return;
	}
	throw new Error(`focus never reached the target; last: ${JSON.stringify(await focused(page))}`);
}

describe('keyboard only', () => {
	beforeAll(async () => {
		session = await openSession();
	});
	afterAll(async () => {
		await session?.dispose();
	});

	it('adds an asset and opens it from the list', async () => {
		const page = await session.newPage();
		await createMapAsFacilitator(page, session.server.url, 'Keyboard map');

		// "Place here" needs the map (it places at its center): wait until it has loaded.
		await expect.poll(() => page.getByTestId('map-canvas').getAttribute('data-ready'), { timeout: 15_000 }).toBe('true');
		await page.locator('body').focus();
		await tabTo(page, (f) => f.text.endsWith('Add asset'));
		await page.keyboard.press('Enter');
		expect((await focused(page)).text).toBe('Place here');
		await page.keyboard.press('Enter');

		// The form opens on its name field.
		expect((await focused(page)).id).toBe('asset-name');
		await page.keyboard.type('Corner store co-op');
		await page.keyboard.press('Tab');
		// Arrow keys move within the category radio group.
		await page.keyboard.press('Space');
		await page.keyboard.press('ArrowRight');
		await page.keyboard.press('ArrowRight');
		await tabTo(page, (f) => f.text === 'Save asset');
		await page.keyboard.press('Enter');

		await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
		expect((await focused(page)).text).toMatch(/Add asset$/);
		const row = page.getByRole('button', { name: /Corner store co-op/ });
		expect(await row.textContent()).toContain('Organizations');

		await tabTo(page, (f) => f.text.startsWith('Corner store co-op'));
		await page.keyboard.press('Enter');
		const card = page.getByTestId('asset-details');
		await expect.poll(() => card.count()).toBe(1);
		expect(await card.getByRole('heading', { level: 2 }).textContent()).toBe('Corner store co-op');
		expect(session.dialogs).toEqual([]);
	});
});
