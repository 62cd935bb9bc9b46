/**
 * Undo of one's own changes in two browser contexts: Ana's undo puts back her own rename and
 * never touches what Ben changed, even on the same asset; undoing her new asset removes it
 * for everyone (a soft delete the server accepts), and redo brings it back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, type BrowserSession } from './session.ts';
import { addAssetHere, createMapAsFacilitator, join, shareLinks, waitLive } from './workshop.ts';
import { waitForDoc, type Client } from '../helpers/sync-clients.ts';
import { readAllAssets } from '../../src/lib/doc/schema.ts';

let session: BrowserSession;

const named = (client: Client, name: string) => readAllAssets(client.doc).find((asset) => asset.name === name);

async function rename(page: Page, from: string, to: string, field = 'Name') {
	await page.getByRole('button', { name: new RegExp(from) }).first().click();
	await page.getByTestId('asset-details').getByRole('button', { name: 'Edit' }).click();
	const form = page.getByRole('dialog');
	await form.getByLabel(field).fill(to);
	// The description says how much room is left rather than stopping without a word.
	if (field === 'Description') expect(await form.getByTestId('description-room').textContent()).toBe(`${4000 - to.length} characters left`);
	await form.getByRole('button', { name: 'Save changes' }).click();
	await expect.poll(() => form.count()).toBe(0);
}

describe('undo and redo of one’s own changes', () => {
	let ana: Page;
	let ben: Page;
	let watcher: Client;

	beforeAll(async () => {
		session = await openSession();
	});
	afterEach(async (context) => {
		if (context.task.result?.state === 'fail') await session.screenshotAll('undo-failure');
	});
	afterAll(async () => {
		watcher?.destroy();
		await session?.dispose();
	});

	it('Ana’s undo takes back only her change; Ben’s edit to the same asset stays', async () => {
		const facilitator = await session.newPage();
		await createMapAsFacilitator(facilitator, session.server.url, 'Undo together');
		const { editor, viewer } = await shareLinks(facilitator);
		ana = await session.newPage();
		await ana.goto(editor);
		await join(ana, 'Ana', 'Student');
		await waitLive(ana);
		ben = await session.newPage();
		await ben.goto(editor);
		await join(ben, 'Ben', 'Community member');
		await waitLive(ben);
		watcher = session.connectByLink(viewer);
		await watcher.synced;

		await addAssetHere(ben, { name: 'Tool library', category: 'Organizations', description: 'Lends tools' });
		await waitForDoc(watcher.doc, () => named(watcher, 'Tool library') !== undefined, 'Ben’s asset');
		await expect.poll(() => ana.getByRole('button', { name: /Tool library/ }).count(), { timeout: 10_000 }).toBeGreaterThan(0);
		// Ben has nothing of Ana's to undo, and Ana nothing yet.
		expect(await ana.getByRole('button', { name: 'Undo', exact: true }).isDisabled()).toBe(true);

		await rename(ana, 'Tool library', 'Eastside Tool Library');
		await waitForDoc(watcher.doc, () => named(watcher, 'Eastside Tool Library') !== undefined, 'Ana’s rename');
		await rename(ben, 'Eastside Tool Library', 'Lends tools on Saturdays', 'Description');
		await waitForDoc(watcher.doc, () => named(watcher, 'Eastside Tool Library')?.description === 'Lends tools on Saturdays', 'Ben’s description');

		await ana.getByRole('button', { name: 'Undo', exact: true }).click();
		await waitForDoc(watcher.doc, () => named(watcher, 'Tool library') !== undefined, 'the undo');
		expect(named(watcher, 'Tool library')?.description).toBe('Lends tools on Saturdays');
		await expect.poll(() => ana.getByRole('status').filter({ hasText: 'Your change was undone.' }).count()).toBeGreaterThan(0);

		// Redo with the keyboard.
		await ana.locator('body').press('Control+Shift+Z');
		await waitForDoc(watcher.doc, () => named(watcher, 'Eastside Tool Library') !== undefined, 'the redo');
		expect(named(watcher, 'Eastside Tool Library')?.description).toBe('Lends tools on Saturdays');
	});

	it('undoing a new asset removes it for everyone; redo brings it back', async () => {
		await addAssetHere(ana, { name: 'Corner garden', category: 'Places' });
		await waitForDoc(watcher.doc, () => named(watcher, 'Corner garden') !== undefined, 'Ana’s new asset');
		await ana.locator('body').press('Control+z');
		await waitForDoc(watcher.doc, () => (named(watcher, 'Corner garden')?.deletedAt ?? null) !== null, 'the asset removed');
		await expect.poll(() => ben.getByRole('button', { name: /Corner garden/ }).count(), { timeout: 10_000 }).toBe(0);
		await ana.getByRole('button', { name: 'Redo', exact: true }).click();
		await waitForDoc(watcher.doc, () => named(watcher, 'Corner garden')?.deletedAt === null, 'the asset back');
		await expect.poll(() => ben.getByRole('button', { name: /Corner garden/ }).count(), { timeout: 10_000 }).toBeGreaterThan(0);
		// The connection stayed: nothing was refused.
		expect(await ana.getByTestId('write-refused').count()).toBe(0);
	});
});
