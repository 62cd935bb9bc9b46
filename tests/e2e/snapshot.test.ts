/**
 * The public page of a snapshot (/s/<id>) in real Chromium on a 360 px phone, without a
 * key: the frozen map draws its assets, the legend counts them, the table and goals list
 * them, the citation and hash match what the API returned, annotations show their
 * competencies and render people's text as text, and the downloads are links.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openSession, type BrowserSession } from './session.ts';
import { addAsset, setAssetHidden } from '../../src/lib/doc/mutations.ts';
import { addGoal } from '../../src/lib/doc/goal-mutations.ts';
import { linkAssetsToGoal } from '../../src/lib/doc/link-mutations.ts';
import { readAllAssets } from '../../src/lib/doc/schema.ts';
import type { Contributor } from '../../src/lib/doc/model.ts';
import { createMap, waitForDoc, type Client } from '../helpers/sync-clients.ts';

const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, reducedMotion: 'reduce' as const };
const rosa: Contributor = { id: 'rosaXXXXXXXXXXXX', name: 'Rosa', affiliation: 'community-member' };
const EMPTY = { description: '', holder: '', tags: [] };
const HOSTILE = '<img src=x onerror="alert(1)"> We met the garden keepers.';

let session: BrowserSession;
let writer: Client;
let page: Page;
let snap: { id: string; sha256: string; citation: { apa: string; plain: string }; annotationKey: string };

describe('the snapshot page', () => {
	beforeAll(async () => {
		session = await openSession();
		const map = await createMap(session.server.url, { title: 'Eastside strengths', place: 'Springfield' });
		writer = session.connectByLink(map.links.facilitator);
		await writer.synced;
		const garden = addAsset(writer.doc, { ...EMPTY, name: 'Community garden', category: 'places', holder: 'Eastside Growers', geometry: { type: 'Point', coordinates: [-89.65, 39.8] } }, rosa);
		addAsset(writer.doc, { ...EMPTY, name: 'Food pantry', category: 'organizations', geometry: { type: 'Point', coordinates: [-89.648, 39.803] } }, { ...rosa, affiliation: 'faculty' });
		const hidden = addAsset(writer.doc, { ...EMPTY, name: 'Hidden porch', category: 'places', geometry: { type: 'Point', coordinates: [-89.649, 39.801] } }, rosa);
		setAssetHidden(writer.doc, hidden, true, rosa);
		const goal = addGoal(writer.doc, { title: 'Fresh food nearby' }, rosa);
		linkAssetsToGoal(writer.doc, [garden], goal, undefined, rosa);
		const watcher = session.connectByLink(map.links.viewer);
		await watcher.synced;
		await waitForDoc(watcher.doc, (doc) => readAllAssets(doc).filter((a) => !a.hidden).length === 2 && readAllAssets(doc).some((a) => a.hidden), 'the server has the assets and the hiding');
		watcher.destroy();
		const response = await fetch(`${session.server.url}/api/maps/${map.id}/snapshots`, {
			method: 'POST',
			headers: { Authorization: `Bearer ${map.keys.editor}`, 'Content-Type': 'application/json' },
			body: JSON.stringify({ takenBy: { name: 'Ana Ruiz', affiliation: 'faculty' } })
		});
		expect(response.status).toBe(201);
		snap = await response.json();
		const note = await fetch(`${session.server.url}/api/snapshots/${snap.id}/annotations`, {
			method: 'POST',
			headers: { Authorization: `Bearer ${snap.annotationKey}`, 'Content-Type': 'application/json' },
			body: JSON.stringify({ text: HOSTILE, competencies: ['connecting-assets', 'power-relations'] })
		});
		expect(note.status).toBe(201);
		page = await session.newPage(PHONE);
	}, 60_000);

	afterAll(async () => {
		writer?.destroy();
		await session?.dispose();
	});

	it('shows the frozen map, legend, table, goals, citation, hash, annotations and downloads at 360 px', async () => {
		try {
			await page.goto(`${session.server.url}/s/${snap.id}`);
			await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('Eastside strengths');
			await expect.poll(() => page.getByTestId('map-canvas').getAttribute('data-ready'), { timeout: 15_000 }).toBe('true');
			await expect
				.poll(() => page.evaluate(() => window.__atlas?.map.getLayer('snapshot-points') ? window.__atlas.map.queryRenderedFeatures(undefined, { layers: ['snapshot-points'] }).length : -1), { timeout: 15_000 })
				.toBe(2);

			expect(await page.getByText('Taken', { exact: false }).first().textContent()).toContain('Ana Ruiz (Faculty)');
			const legend = await page.getByTestId('snapshot-legend').innerText();
			expect(legend).toMatch(/Places\s*1/);
			expect(legend).toMatch(/Organizations\s*1/);
			const rows = await page.getByTestId('snapshot-assets').locator('tbody tr').allInnerTexts();
			expect(rows).toHaveLength(2);
			expect(rows[0]).toMatch(/Community garden\s+Places\s+Eastside Growers\s+Fresh food nearby/);
			expect(await page.content()).not.toContain('Hidden porch');
			expect(await page.locator('.goals').innerText()).toMatch(/Fresh food nearby[\s\S]*Community garden/);

			expect(await page.getByTestId('citation-apa').textContent()).toBe(snap.citation.apa);
			expect(await page.getByTestId('citation-plain').textContent()).toBe(snap.citation.plain);
			expect(await page.getByTestId('snapshot-hash').textContent()).toBe(snap.sha256);

			const notes = page.getByTestId('snapshot-annotations');
			expect(await notes.locator('.note').textContent()).toBe(HOSTILE);
			expect(await notes.locator('img').count()).toBe(0);
			expect(await notes.locator('.tags li').allTextContents()).toEqual(['Connecting assets', 'Power relations']);
			expect(session.dialogs).toEqual([]);

			for (const format of ['geojson', 'csv', 'kml']) {
				expect(await page.getByRole('link', { name: format === 'geojson' ? 'GeoJSON' : format.toUpperCase(), exact: true }).getAttribute('href')).toBe(`/s/${snap.id}/export.${format}`);
			}
			// Nothing is wider than the phone.
			const overflow = await page.evaluate(() => [...document.querySelectorAll('main, main *')].filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest('.table-scroll')).map((el) => el.tagName + '.' + el.className));
			expect(overflow).toEqual([]);
		} catch (error) {
			await session.screenshotAll('snapshot-page');
			throw error;
		}
	});

	it('says so when there is no such snapshot', async () => {
		await page.goto(`${session.server.url}/s/${'A'.repeat(22)}`);
		await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 15_000 }).toContain('There is no snapshot at this address');
	});
});
