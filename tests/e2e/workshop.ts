/** What a workshop participant does, as page steps shared by the end-to-end tests. */
import { expect } from 'vitest';
import type { Page } from 'playwright-core';

export async function join(page: Page, name: string, affiliation: string) {
	const dialog = page.getByRole('dialog');
	await dialog.getByLabel('Your name').fill(name);
	await dialog.getByLabel(affiliation).check();
	await dialog.getByRole('button', { name: 'Join the map' }).click();
	await expect.poll(() => dialog.count()).toBe(0);
}

export async function waitLive(page: Page) {
	await expect.poll(() => page.getByTestId('connection-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('live');
}

/** Counts canvas pixels close to a color: what a person would see drawn on the map. */
export async function pixelsOfColor(page: Page, hex: string): Promise<number> {
	return page.evaluate((color) => {
		const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="map-canvas"] canvas');
		if (!canvas) return -1;
		const copy = document.createElement('canvas');
		copy.width = canvas.width;
		copy.height = canvas.height;
		const context = copy.getContext('2d')!;
		context.drawImage(canvas, 0, 0);
		const { data } = context.getImageData(0, 0, copy.width, copy.height);
		const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
		let count = 0;
		for (let i = 0; i < data.length; i += 4) {
			if (Math.abs(data[i] - r) < 12 && Math.abs(data[i + 1] - g) < 12 && Math.abs(data[i + 2] - b) < 12) count++;
		}
		return count;
	}, hex);
}

export async function addAssetHere(page: Page, fields: { name: string; category: string; description?: string; holder?: string; tags?: string }) {
	await page.getByRole('button', { name: /Add asset/ }).first().click();
	await page.getByRole('button', { name: 'Place here' }).click();
	const form = page.getByRole('dialog');
	await form.getByLabel('Name').fill(fields.name);
	await form.getByText(fields.category, { exact: true }).click();
	if (fields.description) await form.getByLabel('Description').fill(fields.description);
	if (fields.holder) await form.getByLabel('Who stewards it').fill(fields.holder);
	if (fields.tags) await form.getByLabel('Tags').fill(fields.tags);
	await form.getByRole('button', { name: 'Save asset' }).click();
	await expect.poll(() => form.count()).toBe(0);
}


export async function createMapAsFacilitator(page: Page, baseUrl: string, title: string, place = '') {
	await page.goto(`${baseUrl}/`);
	await page.getByLabel('Map title').fill(title);
	if (place) await page.getByLabel('Place').fill(place);
	await page.getByRole('button', { name: 'Create map' }).click();
	await page.waitForURL(/\/m\/[a-z2-9]{10}#key=/);
	await join(page, 'Fatima Facilitator', 'Campus staff');
	await waitLive(page);
}

/** Opens the share panel, reads the links, closes it. */
export async function shareLinks(page: Page): Promise<{ editor: string; viewer: string; facilitator: string; join: string | null }> {
	await page.getByRole('button', { name: 'Share' }).click();
	const share = page.getByRole('dialog');
	const editor = await share.getByRole('textbox', { name: 'Participant link' }).inputValue();
	const viewer = await share.locator('#share-viewer').inputValue();
	const facilitator = await share.getByLabel('Facilitator link', { exact: true }).inputValue();
	const address = share.getByTestId('join-address');
	const join = (await address.count()) > 0 ? await address.textContent() : null;
	await share.getByRole('button', { name: 'Close' }).click();
	return { editor, viewer, facilitator, join };
}

/** Types into a place search box and picks the option matching `option` with the keyboard. */
export async function typeAndPick(page: Page, box: ReturnType<Page['getByRole']>, text: string, option: RegExp) {
	await box.click();
	await box.pressSequentially(text);
	const list = page.getByRole('listbox');
	await expect.poll(() => list.getByRole('option').count(), { timeout: 10_000 }).toBeGreaterThan(0);
	// Down until the wanted option is the active one, then Enter.
	for (let step = 0; step < 10; step++) {
		await box.press('ArrowDown');
		const activeId = await box.getAttribute('aria-activedescendant');
		const text = activeId ? await page.locator(`#${activeId}`).textContent() : '';
		if (option.test(text ?? '')) break;
	}
	await box.press('Enter');
	await expect.poll(() => box.getAttribute('aria-expanded')).toBe('false');
}
