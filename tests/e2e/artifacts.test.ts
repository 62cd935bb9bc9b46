/**
 * Artifacts for a credential application, in real Chromium against the real server
 * (issue 11): the live map downloads as a picture at twice the screen's pixels; freezing a
 * snapshot files its picture with it; a fresh browser with no key opens the snapshot's
 * page, downloads its PNG (the bytes its fingerprint names) and its PDF report, whose text
 * holds the assets, the citation and the annotation made on the freezing device.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Download, Page } from 'playwright-core';
import { openSession, type BrowserSession } from './session.ts';
import { join, waitLive } from './workshop.ts';
import { addAsset } from '../../src/lib/doc/mutations.ts';
import { addGoal } from '../../src/lib/doc/goal-mutations.ts';
import { linkAssetsToGoal } from '../../src/lib/doc/link-mutations.ts';
import { CATEGORY_STYLES } from '../../src/lib/doc/categories.ts';
import type { Contributor } from '../../src/lib/doc/model.ts';
import { createMap, type Client, type CreatedMap } from '../helpers/sync-clients.ts';

const seeder: Contributor = { id: 'seedXXXXXXXXXXXX', name: 'Rosa', affiliation: 'community-member' };
const EMPTY = { description: '', holder: '', tags: [] };
const ASSETS: Array<[string, 'places' | 'organizations' | 'culture', [number, number]]> = [
	['Community garden', 'places', [-89.65, 39.8]],
	['Food pantry', 'organizations', [-89.646, 39.801]],
	['Mural walk', 'culture', [-89.648, 39.803]]
];
const NOTE = 'The picture we took to the neighbourhood council.';

let session: BrowserSession;
let map: CreatedMap;
let writer: Client;
let facilitator: Page;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function pngSize(bytes: Uint8Array): { width: number; height: number } {
	expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** The downloaded bytes, also kept in test-results/ to be looked at. */
async function downloaded(download: Download): Promise<Uint8Array> {
	const bytes = new Uint8Array(readFileSync((await download.path())!));
	mkdirSync('test-results', { recursive: true });
	writeFileSync(`test-results/artifact-${download.suggestedFilename()}`, bytes);
	return bytes;
}

/** How many pixels of the picture have each colour (as #rrggbb), counted by the browser that opens it. */
function colourCounts(page: Page, png: Uint8Array, colours: string[]): Promise<number[]> {
	return page.evaluate(
		async ({ bytes, colours }) => {
			const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)], { type: 'image/png' }));
			const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
			const ctx = canvas.getContext('2d')!;
			ctx.drawImage(bitmap, 0, 0);
			const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
			const wanted = colours.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
			const counts = wanted.map(() => 0);
			for (let i = 0; i < data.length; i += 4) {
				wanted.forEach(([r, g, b], k) => {
					if (Math.abs(data[i] - r) < 6 && Math.abs(data[i + 1] - g) < 6 && Math.abs(data[i + 2] - b) < 6) counts[k]++;
				});
			}
			return counts;
		},
		{ bytes: [...png], colours }
	);
}

function pdfText(bytes: Uint8Array): string | null {
	if (!existsSync('/usr/bin/pdftotext')) {
		if (process.env.CI === 'true') throw new Error('pdftotext (poppler-utils) is missing');
		console.warn('⚠ pdftotext not found: the PDF report text is not checked (install poppler-utils)');
		return null;
	}
	return execFileSync('pdftotext', ['-layout', '-', '-'], { input: bytes }).toString('utf8');
}

describe('pictures and reports', () => {
	beforeAll(async () => {
		session = await openSession();
		map = await createMap(session.server.url, { title: 'Eastside strengths', place: 'Springfield' });
		writer = session.connectByLink(map.links.facilitator);
		await writer.synced;
		const ids = ASSETS.map(([name, category, coordinates]) => addAsset(writer.doc, { ...EMPTY, name, category, geometry: { type: 'Point', coordinates } }, seeder));
		const goal = addGoal(writer.doc, { title: 'Fresh food within walking distance' }, seeder);
		linkAssetsToGoal(writer.doc, ids.slice(0, 2), goal, undefined, seeder);
	}, 60_000);
	afterEach(async (context) => {
		if (context.task.result?.state === 'fail') await session.screenshotAll('artifacts-failure');
	});
	afterAll(async () => {
		writer?.destroy();
		await session?.dispose();
	});

	it('the live map downloads as a picture with twice the screen’s pixels, a legend in the categories’ colours and no key in its address', async () => {
		facilitator = await session.newPage({ reducedMotion: 'reduce', acceptDownloads: true });
		await facilitator.goto(map.links.facilitator);
		await join(facilitator, 'Fatima Facilitator', 'Campus staff');
		await waitLive(facilitator);
		await expect.poll(() => facilitator.getByTestId('map-canvas').getAttribute('data-ready'), { timeout: 15_000 }).toBe('true');
		await expect
			.poll(() => facilitator.evaluate(() => (window.__atlas?.map.getLayer('asset-points') ? window.__atlas.map.queryRenderedFeatures(undefined, { layers: ['asset-points', 'asset-clusters'] }).length : 0)), { timeout: 15_000 })
			.toBeGreaterThan(0);
		await facilitator.getByRole('button', { name: 'Export the map as a file' }).click();
		const dialog = facilitator.getByRole('dialog');
		const mapWidth = (await facilitator.getByTestId('map-canvas').boundingBox())!.width;
		const [download] = await Promise.all([facilitator.waitForEvent('download'), dialog.getByRole('button', { name: 'Picture (PNG)' }).click()]);
		expect(download.suggestedFilename()).toBe('eastside-strengths.png');
		expect(download.url()).not.toContain('key');
		const png = await downloaded(download);
		const { width, height } = pngSize(png);
		expect(width).toBe(Math.round(Math.max(mapWidth, 320) * 2));
		expect(height).toBeGreaterThan(width / 3);
		const [places, organizations, culture] = await colourCounts(facilitator, png, ['places', 'organizations', 'culture'].map((c) => CATEGORY_STYLES[c as 'places'].color));
		// The legend's discs at least (22 px wide at 2×), and the markers on the map.
		for (const count of [places, organizations, culture]) expect(count).toBeGreaterThan(600);
		// The facilitator's map is back at its own resolution.
		expect(await facilitator.evaluate(() => window.__atlas!.map.getPixelRatio())).toBe(1);
	});

	it('a frozen snapshot carries its picture; a keyless browser downloads the same PNG and a PDF report with the annotation', async () => {
		const dialog = facilitator.getByRole('dialog');
		await dialog.getByRole('button', { name: 'Freeze a snapshot' }).click();
		await expect.poll(() => dialog.getByTestId('picture-status').textContent(), { timeout: 30_000 }).toBe('Its picture (PNG) is stored with it.');
		const href = (await dialog.getByTestId('snapshot-link').getAttribute('href'))!;
		expect(href).toMatch(/^\/s\/[A-Za-z0-9_-]{22}$/);

		// The device that froze it annotates it.
		const own = await facilitator.context().newPage();
		await own.goto(`${session.server.url}${href}`);
		const form = own.getByRole('form', { name: 'Annotate this snapshot' });
		await expect.poll(() => form.count(), { timeout: 15_000 }).toBe(1);
		await form.getByLabel('Annotation').fill(NOTE);
		await form.getByLabel('Knowledge of community').check();
		await form.getByRole('button', { name: 'Add annotation' }).click();
		await expect.poll(() => own.getByTestId('snapshot-annotations').textContent(), { timeout: 10_000 }).toContain(NOTE);
		await own.close();

		const stranger = await session.newPage({ acceptDownloads: true, reducedMotion: 'reduce' });
		await stranger.goto(`${session.server.url}${href}`);
		await expect.poll(() => stranger.getByTestId('snapshot-png-hash').count(), { timeout: 15_000 }).toBe(1);
		const pngHash = await stranger.getByTestId('snapshot-png-hash').textContent();
		await stranger.screenshot({ path: 'test-results/snapshot-page-1280.png', fullPage: true });
		const geojsonHash = await stranger.getByTestId('snapshot-hash').textContent();

		const [pngDownload] = await Promise.all([stranger.waitForEvent('download'), stranger.getByRole('link', { name: 'Picture (PNG)' }).click()]);
		const png = await downloaded(pngDownload);
		expect(sha256(png)).toBe(pngHash);
		const { width } = pngSize(png);
		// 1200 CSS pixels of map at twice the pixels, or more.
		expect(width).toBeGreaterThanOrEqual(2400);
		const [places, culture] = await colourCounts(stranger, png, [CATEGORY_STYLES.places.color, CATEGORY_STYLES.culture.color]);
		expect(places).toBeGreaterThan(600);
		expect(culture).toBeGreaterThan(600);

		const [pdfDownload] = await Promise.all([stranger.waitForEvent('download'), stranger.getByRole('link', { name: 'PDF report' }).click()]);
		const pdf = await downloaded(pdfDownload);
		expect(new TextDecoder().decode(pdf.subarray(0, 5))).toBe('%PDF-');
		const text = pdfText(pdf);
		if (text !== null) {
			const flat = text.replace(/\s+/g, ' ');
			for (const [name] of ASSETS) expect(flat).toContain(name);
			expect(flat).toContain('Fresh food within walking distance');
			expect(flat).toContain(NOTE);
			expect(flat).toContain('Knowledge of community');
			expect(flat).toContain(geojsonHash!);
		}
		await stranger.close();

		// The same page on a phone, to be looked at: nothing wider than the screen.
		const phone = await session.newPage({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, reducedMotion: 'reduce' });
		await phone.goto(`${session.server.url}${href}`);
		await expect.poll(() => phone.getByTestId('snapshot-png-hash').count(), { timeout: 15_000 }).toBe(1);
		await phone.screenshot({ path: 'test-results/snapshot-page-360.png', fullPage: true });
		const overflow = await phone.evaluate(() => [...document.querySelectorAll('main *')].filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest('.table-scroll')).length);
		expect(overflow).toBe(0);
		await phone.close();
	});
});
