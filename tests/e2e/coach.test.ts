/** The language coach under the asset form on a phone: a gentle hint, a one-click swap, saving unaffected. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { openSession, type BrowserSession } from './session.ts';
import { createMapAsFacilitator } from './workshop.ts';

let session: BrowserSession;
beforeAll(async () => {
	session = await openSession();
});
afterAll(async () => {
	await session?.dispose();
});

it('marks deficit wording under Description, swaps it in one click and still saves', async () => {
	const page = await session.newPage({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
	await createMapAsFacilitator(page, session.server.url, 'Eastside strengths');
	await page.getByRole('button', { name: /Add asset/ }).first().click();
	await page.getByRole('button', { name: 'Place here' }).click();
	const form = page.getByRole('dialog');
	await form.getByLabel('Name').fill('Eastside teen space');
	await form.getByText('Places', { exact: true }).click();
	await form.getByLabel('Description').fill('The east side needs more safe places for teens. Problems with the bus route make it hard to reach.');
	const coach = form.getByTestId('language-coach').nth(1);
	await expect.poll(() => coach.innerText()).toContain('“Problems” → try “goals” or “opportunities”');
	expect(await coach.getAttribute('aria-live')).toBe('polite');
	await coach.scrollIntoViewIfNeeded();
	mkdirSync('test-results', { recursive: true });
	await page.screenshot({ path: 'test-results/asset-form-coach-360x740.png' });
	await coach.getByRole('button', { name: 'Use “Goals” instead of “Problems”' }).click();
	expect(await form.getByLabel('Description').inputValue()).toBe('The east side needs more safe places for teens. Goals with the bus route make it hard to reach.');
	expect(await page.evaluate(() => document.activeElement?.id)).toBe('asset-description');
	// Never blocks: the remaining hint stays, and the asset saves.
	await form.getByRole('button', { name: 'Save asset' }).click();
	await expect.poll(() => form.count()).toBe(0);
});
