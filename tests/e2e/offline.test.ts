/**
 * Weak Wi-Fi: a partner's phone loses the network, keeps adding assets (the status says
 * how many changes are waiting), and everything reaches the room when it comes back —
 * unless the facilitator locked the map meanwhile: then the phone is told, and starts over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { waitForDoc } from '../helpers/sync-clients.ts';
import { openSession, PHONE, type BrowserSession } from './session.ts';
import { addAssetHere, createMapAsFacilitator, join, shareLinks, waitLive } from './workshop.ts';

let session: BrowserSession;

describe('working offline', () => {
	let facilitator: Page;
	let phone: Page;
	let phoneContext: BrowserContext;
	let viewerLink: string;

	beforeAll(async () => {
		session = await openSession();
	});

	afterAll(async () => {
		await session?.dispose();
	});

	it('edits made offline are counted, kept, and synced when the network returns', async () => {
		facilitator = await session.newPage();
		await createMapAsFacilitator(facilitator, session.server.url, 'Riverside assets');
		const { editor, viewer } = await shareLinks(facilitator);
		viewerLink = viewer;

		phoneContext = await session.newContext(PHONE);
		phone = await phoneContext.newPage();
		await phone.goto(editor);
		await join(phone, 'Dee', 'Community member');
		await waitLive(phone);

		await phoneContext.setOffline(true);
		await expect.poll(() => phone.getByTestId('connection-status').getAttribute('data-status'), { timeout: 10_000 }).toBe('offline');
		await addAssetHere(phone, { name: 'Fishing club', category: 'Networks' });
		await addAssetHere(phone, { name: 'Boat ramp', category: 'Places' });
		await expect.poll(() => phone.getByTestId('connection-status').textContent()).toContain('2 changes waiting');
		expect(await facilitator.getByRole('button', { name: /Fishing club/ }).count()).toBe(0);

		await phoneContext.setOffline(false);
		await waitLive(phone);
		await expect.poll(() => facilitator.getByRole('button', { name: /Fishing club|Boat ramp/ }).count(), { timeout: 15_000 }).toBe(2);
		expect(await phone.getByTestId('connection-status').textContent()).not.toContain('waiting');
	});

	it('an edit made offline while the facilitator locked the map is refused, said so, and the phone starts over', async () => {
		await phoneContext.setOffline(true);
		await expect.poll(() => phone.getByTestId('connection-status').getAttribute('data-status'), { timeout: 10_000 }).toBe('offline');
		await addAssetHere(phone, { name: 'Bait shop', category: 'Economy' });

		await facilitator.getByRole('button', { name: 'Lock map' }).click();
		// The lock must be on the server before the phone's edit arrives: watch for it with a
		// stock client (the server broadcasts only what it has stored).
		const watcher = session.connectByLink(viewerLink);
		try {
			await waitForDoc(watcher.doc, (doc) => doc.getMap('meta').get('locked') === true, 'the lock to reach the server');
		} finally {
			watcher.destroy();
		}
		await phoneContext.setOffline(false);

		const refused = phone.getByTestId('write-refused');
		await expect.poll(() => refused.count(), { timeout: 15_000 }).toBe(1);
		expect(await refused.textContent()).toContain('was not saved');
		expect(await facilitator.getByRole('button', { name: /Bait shop/ }).count()).toBe(0);

		await refused.getByRole('button', { name: 'Reload the shared map' }).click();
		await waitLive(phone);
		await expect.poll(() => phone.getByTestId('locked-banner').count(), { timeout: 10_000 }).toBe(1);
		await phone.getByRole('button', { name: /^List/ }).click();
		expect(await phone.getByRole('button', { name: /Fishing club/ }).count()).toBe(1);
		expect(await phone.getByRole('button', { name: /Bait shop/ }).count()).toBe(0);
		expect(await facilitator.getByRole('button', { name: /Bait shop/ }).count()).toBe(0);
	});

	it('a silent Wi-Fi drop is noticed; a reload with no network still opens the map with its waiting changes; back online they sync', async () => {
		// Unlocked again for this test.
		await facilitator.getByRole('button', { name: 'Unlock map' }).click();
		const { editor } = await shareLinks(facilitator);
		const context = await session.newContext({ ...PHONE, viewport: { width: 360, height: 740 } });
		// Every sync socket of this phone goes through here; `stalled` stops traffic both ways
		// without closing anything, as a Wi-Fi that hangs does (no offline event, no close).
		let stalled = false;
		await context.routeWebSocket(/\/sync\//, (socket) => {
			const server = socket.connectToServer();
			socket.onMessage((message) => {
				if (!stalled) server.send(message);
			});
			server.onMessage((message) => {
				if (!stalled) socket.send(message);
			});
		});
		const page = await context.newPage();
		await page.goto(editor);
		await join(page, 'Lupe', 'Student');
		await waitLive(page);
		// The service worker takes over this page, and has the page itself once it is loaded through it.
		await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
		await page.reload();
		await waitLive(page);
		expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);

		stalled = true;
		const stalledAt = Date.now();
		await expect.poll(() => page.getByTestId('connection-status').getAttribute('data-status'), { timeout: 20_000 }).toBe('offline');
		console.log(`silent drop noticed after ${((Date.now() - stalledAt) / 1000).toFixed(1)} s`);
		await addAssetHere(page, { name: 'Tamale cart', category: 'Economy' });
		await expect.poll(() => page.getByTestId('connection-status').textContent()).toContain('1 change waiting');

		// No network at all now, and the page reloads.
		await context.setOffline(true);
		await page.reload();
		await page.getByRole('button', { name: /^List/ }).click();
		await expect.poll(() => page.getByRole('button', { name: /Tamale cart/ }).count(), { timeout: 15_000 }).toBe(1);
		expect(await page.getByRole('button', { name: /Fishing club/ }).count()).toBe(1);
		await expect.poll(() => page.getByTestId('connection-status').textContent(), { timeout: 10_000 }).toContain('1 change waiting');
		expect(await facilitator.getByRole('button', { name: /Tamale cart/ }).count()).toBe(0);

		stalled = false;
		await context.setOffline(false);
		await waitLive(page);
		await expect.poll(() => facilitator.getByRole('button', { name: /Tamale cart/ }).count(), { timeout: 20_000 }).toBe(1);
		await expect.poll(() => page.getByTestId('connection-status').textContent()).not.toContain('waiting');
	});
});
