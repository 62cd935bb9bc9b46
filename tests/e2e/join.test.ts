/**
 * Getting into a workshop without scanning: the short code typed on the home page, a
 * mistyped or replaced code, a bad link, a page that is not there. Each lands on a page
 * that fits a phone and offers to type the code again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, PHONE, type BrowserSession } from './session.ts';
import { createMapAsFacilitator, join, shareLinks, waitLive } from './workshop.ts';

let session: BrowserSession;

describe('joining with a code', () => {
	beforeAll(async () => {
		session = await openSession();
	});
	afterAll(async () => {
		await session?.dispose();
	});

	it('typed on a phone’s home page (any case, with spaces), it opens the map as a participant', async () => {
		const facilitator = await session.newPage();
		await createMapAsFacilitator(facilitator, session.server.url, 'Northgate strengths');
		const { join: address } = await shareLinks(facilitator);
		const code = address!.split('/j/')[1];
		// The share panel says phones cannot reach a server that listens on loopback only,
		// naming the address the facilitator actually opened.
		await facilitator.getByRole('button', { name: 'Share' }).click();
		expect(await facilitator.getByTestId('share-reach').textContent()).toContain(`Phones can’t reach this computer at “${new URL(session.server.url).host}”`);
		await facilitator.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

		const phone = await session.newPage(PHONE);
		await phone.goto(`${session.server.url}/`);
		await phone.getByLabel('Join code').fill(` ${code.slice(0, 4).toUpperCase()} ${code.slice(4)} `);
		await phone.getByRole('button', { name: 'Join', exact: true }).click();
		await phone.waitForURL(/\/m\/[a-z2-9]{10}#key=/);
		await join(phone, 'Lee', 'Student');
		await waitLive(phone);
		expect(await phone.getByRole('heading', { level: 1 }).textContent()).toBe('Northgate strengths');
	});

	it('an unknown code, a bad link and a missing page each offer to type the code again', async () => {
		const phone = await session.newPage(PHONE);
		await phone.goto(`${session.server.url}/j/zzzzzzzz`);
		await phone.waitForURL(/\/join\?unknown=zzzzzzzz/);
		expect(await phone.getByRole('alert').textContent()).toContain('unknown');
		expect(await phone.getByLabel('Join code').inputValue()).toBe('zzzzzzzz');
		await phone.getByLabel('Join code').fill('abc');
		await phone.getByRole('button', { name: 'Join', exact: true }).click();
		expect(await phone.getByRole('alert').last().textContent()).toContain('eight letters');

		await phone.goto(`${session.server.url}/m/not-a-map#key=whatever`);
		await expect.poll(() => phone.getByLabel('Join code').count()).toBe(1);
		await phone.goto(`${session.server.url}/nothing/here`);
		await expect.poll(() => phone.getByLabel('Join code').count()).toBe(1);
		expect(await phone.getByRole('heading', { level: 1 }).textContent()).toContain('isn’t here');
		// Nothing is wider than the phone.
		expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
	});
});
