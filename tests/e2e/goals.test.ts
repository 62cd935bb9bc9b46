/**
 * Goals and links in real Chromium against the real server (issue 10): a facilitator adds
 * a goal and lassoes three assets on the map; a participant in a second context sees them
 * highlighted and listed; the lasso's links undo as one step; a goal filter travels in the
 * address; two assets are connected from the card and drawn as a line; and an editor's
 * stock y-websocket client making the same link twice leaves one link.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { openSession, type BrowserSession } from './session.ts';
import { join, waitLive } from './workshop.ts';
import { addAsset } from '../../src/lib/doc/mutations.ts';
import { readAllGoals, readAllLinks } from '../../src/lib/doc/schema.ts';
import { supportsLinkId } from '../../src/lib/doc/ids.ts';
import type { Contributor } from '../../src/lib/doc/model.ts';
import { createMap, type CreatedMap, type Client } from '../helpers/sync-clients.ts';

const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, reducedMotion: 'reduce' as const };
const seeder: Contributor = { id: 'seed', name: 'Rosa', affiliation: 'community-member' };
const EMPTY = { description: '', holder: '', tags: [] };
/** Three assets close together, and one well away from them. */
const NEAR: Array<[string, [number, number]]> = [
	['Community garden', [-89.65, 39.8]],
	['Tool library', [-89.646, 39.801]],
	['Food pantry', [-89.648, 39.803]]
];
const FAR: [string, [number, number]] = ['River trail', [-89.62, 39.82]];
const GOAL = 'Fresh food within walking distance';

let session: BrowserSession;
let map: CreatedMap;
let writer: Client;
let facilitator: Page;
let participant: Page;
const ids = new Map<string, string>();

async function mapReady(page: Page) {
	await expect.poll(() => page.getByTestId('map-canvas').getAttribute('data-ready'), { timeout: 15_000 }).toBe('true');
}

/** Where an asset is on the page's screen, from the map's own projection (README "Test hook"). */
async function onScreen(page: Page, position: [number, number]): Promise<{ x: number; y: number }> {
	const box = (await page.getByTestId('map-canvas').boundingBox())!;
	const point = await page.evaluate((lngLat) => window.__atlas!.map.project(lngLat), position);
	return { x: box.x + point.x, y: box.y + point.y };
}

/** Names drawn as asset points on the page's map right now. */
function drawnNames(page: Page): Promise<string[]> {
	return page.evaluate(() => {
		const map = window.__atlas?.map;
		if (!map?.getLayer('asset-points')) return [];
		return [...new Set(map.queryRenderedFeatures(undefined, { layers: ['asset-points'] }).map((f) => String(f.properties.name)))].sort();
	});
}

/** How many assets the page's map draws right now: single markers, plus the assets inside drawn clusters. */
function drawnCount(page: Page): Promise<number> {
	return page.evaluate(() => {
		const map = window.__atlas?.map;
		if (!map?.getLayer('asset-points')) return -1;
		const single = new Set(map.queryRenderedFeatures(undefined, { layers: ['asset-points'] }).map((f) => String(f.id ?? f.properties.name))).size;
		const clusters = map.getLayer('asset-clusters') ? map.queryRenderedFeatures(undefined, { layers: ['asset-clusters'] }) : [];
		const clustered = new Map(clusters.map((f) => [f.properties.cluster_id, Number(f.properties.point_count)]));
		return single + [...clustered.values()].reduce((sum, n) => sum + n, 0);
	});
}

const goalsTab = (page: Page) => page.getByRole('tab', { name: /Goals/ });
/** Whether the middle of an element is what a tap there reaches (nothing covers it). */
const uncovered = (locator: ReturnType<Page['locator']>) =>
	locator.evaluate((element) => {
		const box = element.getBoundingClientRect();
		const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
		return hit !== null && (hit === element || element.contains(hit));
	});
const supportCount = (page: Page) => page.locator('#panel-goals').getByText(/assets? supports? it|No supporting assets yet/).first();

describe('goals and links', () => {
	beforeAll(async () => {
		session = await openSession();
		map = await createMap(session.server.url, { title: 'Eastside strengths', place: 'Springfield' });
		writer = session.connectByLink(map.links.facilitator);
		await writer.synced;
		for (const [name, coordinates] of [...NEAR, FAR]) {
			ids.set(name, addAsset(writer.doc, { name, category: 'places', geometry: { type: 'Point', coordinates }, ...EMPTY }, seeder));
		}
	});
	afterEach(async (context) => {
		if (context.task.result?.state === 'fail') await session.screenshotAll('goals-failure');
	});
	afterAll(async () => {
		writer?.destroy();
		await session?.dispose();
	});

	it('a facilitator adds a goal and ties three assets to it with a lasso', async () => {
		facilitator = await session.newPage({ reducedMotion: 'reduce' });
		await facilitator.goto(map.links.facilitator);
		await join(facilitator, 'Fatima Facilitator', 'Campus staff');
		await waitLive(facilitator);
		await mapReady(facilitator);
		await expect.poll(() => drawnNames(facilitator), { timeout: 15_000 }).toEqual(['Community garden', 'Food pantry', 'River trail', 'Tool library']);

		await goalsTab(facilitator).click();
		await facilitator.getByRole('button', { name: 'Add a goal' }).first().click();
		const form = facilitator.getByRole('dialog');
		await form.getByLabel('Goal', { exact: true }).fill(GOAL);
		await form.getByLabel('Description').fill('Every household within a short walk of fresh, affordable food.');
		await form.getByText('Short-term', { exact: true }).click();
		await form.getByRole('button', { name: 'Save goal' }).click();
		await expect.poll(() => form.count()).toBe(0);
		await expect.poll(() => supportCount(facilitator).textContent()).toBe('No supporting assets yet');

		await facilitator.getByRole('button', { name: 'Draw around assets' }).click();
		await expect.poll(() => facilitator.getByTestId('lasso-surface').count()).toBe(1);
		// A loop around the three nearby markers, well clear of the fourth.
		const points = await Promise.all(NEAR.map(([, at]) => onScreen(facilitator, at)));
		const far = await onScreen(facilitator, FAR[1]);
		const cx = points.reduce((sum, p) => sum + p.x, 0) / 3;
		const cy = points.reduce((sum, p) => sum + p.y, 0) / 3;
		const radius = Math.max(...points.map((p) => Math.hypot(p.x - cx, p.y - cy))) + 30;
		expect(Math.hypot(far.x - cx, far.y - cy)).toBeGreaterThan(radius + 20);
		await facilitator.mouse.move(cx + radius, cy);
		await facilitator.mouse.down();
		for (let step = 1; step <= 36; step++) {
			const angle = (step / 36) * 2 * Math.PI;
			await facilitator.mouse.move(cx + radius * Math.cos(angle), cy + radius * Math.sin(angle));
		}
		await facilitator.mouse.up();

		const picker = facilitator.getByRole('dialog');
		await expect.poll(() => picker.getByRole('checkbox', { checked: true }).count()).toBe(3);
		expect(await picker.getByRole('checkbox', { name: /River trail/ }).count()).toBe(0);
		await picker.getByRole('button', { name: 'Link to goal' }).click();
		await expect.poll(() => picker.count()).toBe(0);
		await expect.poll(() => supportCount(facilitator).textContent()).toBe('3 assets support it');

		// The document holds exactly those three links, under their derived ids.
		const goalId = readAllGoals(writer.doc)[0]?.id;
		await expect
			.poll(() => readAllLinks(writer.doc).filter((link) => link.deletedAt === null).map((link) => link.id).sort(), { timeout: 10_000 })
			.toEqual(NEAR.map(([name]) => supportsLinkId(ids.get(name)!, goalId!)).sort());
	});

	it('a participant sees the goal’s assets highlighted and listed', async () => {
		participant = await session.newPage(PHONE);
		await participant.goto(map.links.editor);
		await join(participant, 'Marcus', 'Community organization');
		await waitLive(participant);
		await participant.getByRole('button', { name: /^Goals/ }).click();
		const goalButton = participant.getByRole('button', { name: new RegExp(`^${GOAL}`) });
		await goalButton.click();
		expect(await goalButton.getAttribute('aria-pressed')).toBe('true');
		const panel = participant.locator('#panel-goals');
		for (const [name] of NEAR) await expect.poll(() => panel.getByRole('button', { name: `Show “${name}” on the map` }).count()).toBe(1);
		expect(await panel.getByRole('button', { name: 'Show “River trail” on the map' }).count()).toBe(0);
		await participant.screenshot({ path: 'test-results/goals-panel-360.png' });

		await participant.getByRole('button', { name: 'Map', exact: true }).click();
		await mapReady(participant);
		await expect.poll(() => participant.getByRole('status').filter({ hasText: 'Highlighted: 3 assets that support' }).count()).toBe(1);
		// The map draws the highlight: the three are emphasised, the fourth dimmed.
		await expect
			.poll(() => participant.evaluate(() => [...((window.__atlas!.map.getGlobalState().assetHighlight as string[] | undefined) ?? [])].length), { timeout: 10_000 })
			.toBe(3);
		await participant.screenshot({ path: 'test-results/goal-highlight-360.png' });

		// The facilitator's goal is still open from linking: the map is highlighted there too.
		expect(await facilitator.getByRole('button', { name: new RegExp(`^${GOAL}`) }).getAttribute('aria-pressed')).toBe('true');
		await expect.poll(() => facilitator.getByRole('status').filter({ hasText: 'Highlighted: 3 assets that support' }).count()).toBe(1);
		await facilitator.screenshot({ path: 'test-results/goal-highlight-1280.png' });
	});

	it('the lasso’s three links undo as one step and come back with redo', async () => {
		await facilitator.getByRole('button', { name: 'Undo' }).click();
		await participant.getByRole('button', { name: /^Goals/ }).click();
		await expect.poll(() => supportCount(participant).textContent(), { timeout: 10_000 }).toBe('No supporting assets yet');
		await facilitator.getByRole('button', { name: 'Redo' }).click();
		await expect.poll(() => supportCount(participant).textContent(), { timeout: 10_000 }).toBe('3 assets support it');
		// Undone links are removed softly: the entries stay, so nothing was refused.
		expect(writer.doc.getMap('links').size).toBe(3);
	});

	it('a goal filter in the address narrows the list and the map', async () => {
		const goalId = readAllGoals(writer.doc)[0]!.id;
		const page = await session.newPage({ reducedMotion: 'reduce' });
		const url = new URL(map.links.viewer);
		url.search = `?goal=${goalId}`;
		await page.goto(url.href);
		await waitLive(page);
		await mapReady(page);
		await expect.poll(() => page.getByText('Showing 3 of 4 assets').count(), { timeout: 10_000 }).toBe(1);
		// The nearby three may be drawn as one cluster; the one left out is not drawn at all.
		await expect.poll(() => drawnCount(page), { timeout: 15_000 }).toBe(3);
		expect(await drawnNames(page)).not.toContain('River trail');
		// The key stays in the fragment, never in the address the server sees.
		expect(new URL(page.url()).hash).toMatch(/^#key=/);
		expect(new URL(page.url()).searchParams.getAll('goal')).toEqual([goalId]);

		// The big screen set up from a link: the same goal filter, named for the room.
		const present = new URL(map.links.facilitator);
		present.pathname += '/present';
		present.search = `?goal=${goalId}`;
		const screen = await session.newPage({ reducedMotion: 'reduce' });
		await screen.goto(present.href);
		await expect.poll(() => screen.getByTestId('present-goals').textContent(), { timeout: 15_000 }).toBe(`Assets that support: ${GOAL}`);
		await mapReady(screen);
		await expect.poll(() => drawnCount(screen), { timeout: 15_000 }).toBe(3);
		await screen.close();
	});

	it('two assets connected from the card are drawn as a line and listed on both cards', async () => {
		await goalsTab(facilitator).click();
		await facilitator.getByRole('tab', { name: /Assets/ }).click();
		await facilitator.getByRole('button', { name: /Tool library/ }).first().click();
		await facilitator.getByRole('button', { name: 'Connect to…' }).click();
		const picker = facilitator.getByRole('dialog');
		await picker.getByRole('radio', { name: /Food pantry/ }).check();
		await picker.getByRole('button', { name: 'Use the note “shares space”' }).click();
		await picker.getByRole('button', { name: 'Connect' }).click();
		await expect.poll(() => picker.count()).toBe(0);
		await expect
			.poll(() => facilitator.evaluate(() => window.__atlas!.map.querySourceFeatures('asset-links').length), { timeout: 10_000 })
			.toBeGreaterThan(0);
		// The toast stacks under the highlighted goal's banner: "Show all" stays uncovered.
		const toast = facilitator.getByTestId('toast');
		await expect.poll(() => toast.textContent()).toContain('Connected to Food pantry');
		const banner = facilitator.getByRole('status').filter({ hasText: 'Highlighted: 3 assets that support' });
		const bannerBox = (await banner.boundingBox())!;
		const toastBox = (await toast.boundingBox())!;
		expect(toastBox.y).toBeGreaterThanOrEqual(bannerBox.y + bannerBox.height);
		expect(await uncovered(banner.getByRole('button', { name: 'Show all' }))).toBe(true);
		await facilitator.screenshot({ path: 'test-results/toast-under-banner-1280.png' });
		await participant.getByRole('button', { name: /^List/ }).click();
		await participant.getByRole('button', { name: /Food pantry/ }).first().click();
		await expect.poll(() => participant.getByText('shares space').count(), { timeout: 10_000 }).toBeGreaterThan(0);
	});

	it('an editor’s stock client making the same link twice makes one', async () => {
		const goalId = readAllGoals(writer.doc)[0]!.id;
		const editor = session.connectByLink(map.links.editor);
		try {
			await editor.synced;
			const trail = ids.get(FAR[0])!;
			const id = supportsLinkId(trail, goalId);
			const links = editor.doc.getMap('links');
			for (const note of ['walks to the market', 'walks to the garden']) {
				editor.doc.transact(() => {
					links.set(id, new Y.Map<unknown>(Object.entries({ id, kind: 'supports', from: trail, to: goalId, note, createdBy: seeder, createdAt: Date.now() })));
				});
			}
			await participant.getByRole('button', { name: /^Goals/ }).click();
			await expect.poll(() => supportCount(participant).textContent(), { timeout: 10_000 }).toBe('4 assets support it');
			expect(readAllLinks(writer.doc).filter((link) => link.id === id)).toHaveLength(1);
			// The server accepted both writes: the editor is still connected.
			expect(editor.provider.wsconnected).toBe(true);
		} finally {
			editor.destroy();
		}
	});

	it('the live map exports as GeoJSON and CSV from the browser, with the goals each asset supports', async () => {
		await facilitator.getByRole('button', { name: 'Export the map as a file' }).click();
		const dialog = facilitator.getByRole('dialog');
		const [geojson] = await Promise.all([facilitator.waitForEvent('download'), dialog.getByRole('button', { name: 'GeoJSON' }).click()]);
		expect(geojson.suggestedFilename()).toBe('eastside-strengths.geojson');
		expect(geojson.url()).not.toContain('key');
		const value = JSON.parse(readFileSync((await geojson.path())!, 'utf8'));
		const assets = value.features.filter((f: { properties: { kind: string } }) => f.properties.kind === 'asset');
		expect(assets.map((f: { properties: { name: string } }) => f.properties.name).sort()).toEqual(['Community garden', 'Food pantry', 'River trail', 'Tool library']);
		expect(assets.every((f: { properties: { goalTitles: string[] } }) => f.properties.goalTitles.includes(GOAL))).toBe(true);
		expect(value.features.filter((f: { properties: { kind: string } }) => f.properties.kind === 'connects')).toHaveLength(1);
		const [csv] = await Promise.all([facilitator.waitForEvent('download'), dialog.getByRole('button', { name: 'CSV' }).click()]);
		const text = readFileSync((await csv.path())!, 'utf8');
		expect(text.startsWith('\uFEFFid,name,category')).toBe(true);
		expect(text.split('\r\n').filter(Boolean)).toHaveLength(5);

		// Freezing a snapshot from the same dialog gives a page anyone can open, with no key.
		await dialog.getByRole('button', { name: 'Freeze a snapshot' }).click();
		const link = dialog.getByTestId('snapshot-link');
		await expect.poll(() => link.count(), { timeout: 15_000 }).toBe(1);
		const href = await link.getAttribute('href');
		expect(href).toMatch(/^\/s\/[A-Za-z0-9_-]{22,}$/);
		// The device that froze it annotates it (it holds the annotation key)…
		const own = await facilitator.context().newPage();
		await own.goto(`${session.server.url}${href}`);
		const form = own.getByRole('form', { name: 'Annotate this snapshot' });
		await expect.poll(() => form.count(), { timeout: 15_000 }).toBe(1);
		await form.getByLabel('Annotation').fill('Our first inventory with Eastside residents <b>together</b>.');
		await form.getByLabel('Connecting assets').check();
		await form.getByRole('button', { name: 'Add annotation' }).click();
		await expect.poll(() => own.getByTestId('snapshot-annotations').textContent(), { timeout: 10_000 }).toContain('<b>together</b>');
		await own.close();
		// …and anyone else sees it, with the competency, but cannot annotate.
		const stranger = await session.newPage({ reducedMotion: 'reduce' });
		await stranger.goto(`${session.server.url}${href}`);
		await expect.poll(() => stranger.getByRole('heading', { name: 'Eastside strengths' }).count(), { timeout: 15_000 }).toBe(1);
		await expect.poll(() => stranger.getByText('Fresh food within walking distance').count()).toBeGreaterThan(0);
		const notes = stranger.getByTestId('snapshot-annotations');
		await expect.poll(() => notes.textContent()).toContain('Our first inventory with Eastside residents <b>together</b>.');
		expect(await notes.textContent()).toContain('Connecting assets');
		expect(await stranger.getByRole('form', { name: 'Annotate this snapshot' }).count()).toBe(0);
		await stranger.close();
		await dialog.getByRole('button', { name: 'Close' }).click();
	});

	it('the coverage view counts each goal’s assets by category and by whose hands', async () => {
		await goalsTab(facilitator).click();
		await facilitator.getByRole('button', { name: 'See how the mapped assets support the goals' }).click();
		const coverage = facilitator.getByRole('dialog');
		await expect.poll(() => coverage.getByText(GOAL).count()).toBeGreaterThan(0);
		await facilitator.screenshot({ path: 'test-results/coverage-1280.png' });
		await coverage.getByRole('button', { name: 'Close' }).first().click();

		await participant.getByRole('button', { name: /^Goals/ }).click();
		await participant.getByRole('button', { name: 'See how the mapped assets support the goals' }).click();
		await expect.poll(() => participant.getByRole('dialog').getByText(GOAL).count()).toBeGreaterThan(0);
		await participant.screenshot({ path: 'test-results/coverage-360.png' });
		await participant.getByRole('dialog').getByRole('button', { name: 'Close' }).first().click();
		await expect.poll(() => participant.getByRole('dialog').count()).toBe(0);
	});

	it('a goal deleted while someone has it open closes their picker with a word of why, and restoring the goal does not reopen it', async () => {
		await goalsTab(facilitator).click();
		await facilitator.getByRole('button', { name: 'Add a goal' }).first().click();
		const form = facilitator.getByRole('dialog');
		await form.getByLabel('Goal', { exact: true }).fill('Youth arts festival');
		await form.getByRole('button', { name: 'Save goal' }).click();
		await expect.poll(() => form.count()).toBe(0);

		await participant.getByRole('button', { name: /^Goals/ }).click();
		await participant.getByRole('button', { name: /^Youth arts festival/ }).click();
		await participant.getByRole('button', { name: 'Add assets…' }).click();
		const picker = participant.getByRole('dialog');
		await picker.getByRole('checkbox', { name: /Tool library/ }).check();

		await facilitator.getByRole('button', { name: 'Delete the goal “Youth arts festival”' }).click();
		await facilitator.getByRole('dialog').getByRole('button', { name: 'Delete the goal', exact: true }).click();
		await expect.poll(() => picker.count(), { timeout: 10_000 }).toBe(0);
		await expect.poll(() => participant.getByTestId('toast').textContent()).toContain('Someone deleted the goal “Youth arts festival”');
		// The facilitator had it open too, and deleted it: their toast is their own, with Undo.
		expect(await facilitator.getByTestId('toast').textContent()).toContain('Goal deleted: Youth arts festival');
		expect(await facilitator.getByTestId('toast').textContent()).not.toContain('Someone deleted');

		await facilitator.locator('header').getByRole('button', { name: 'Undo' }).click();
		await expect.poll(() => participant.getByRole('button', { name: /^Youth arts festival/ }).count(), { timeout: 10_000 }).toBe(1);
		expect(await participant.getByRole('dialog').count()).toBe(0);
	});

	it('a phone asks before deleting a goal, then shows “Goal deleted” with Undo on the Goals tab, and Undo brings it back for everyone', async () => {
		await participant.getByRole('button', { name: /^Goals/ }).tap();
		const goalButton = participant.getByRole('button', { name: new RegExp(`^${GOAL}`) });
		if ((await goalButton.getAttribute('aria-pressed')) !== 'true') await goalButton.tap();
		const deleteButton = participant.getByRole('button', { name: `Delete the goal “${GOAL}”` });
		await deleteButton.tap();
		const ask = participant.getByRole('dialog');
		await expect.poll(() => ask.getByRole('heading').textContent()).toBe(`Delete the goal “${GOAL}”?`);
		expect(await ask.textContent()).toContain('4 assets are tied to it. They stay on the map');
		expect(await ask.textContent()).toContain('A facilitator can bring it back, with its ties, from the History.');
		// "Keep it" is where focus starts, and keeps the goal.
		const keep = ask.getByRole('button', { name: 'Keep it' });
		expect(await keep.evaluate((button) => button === document.activeElement)).toBe(true);
		await participant.screenshot({ path: 'test-results/goal-delete-ask-360.png' });
		await keep.tap();
		await expect.poll(() => ask.count()).toBe(0);
		expect(await goalButton.count()).toBe(1);

		await deleteButton.tap();
		await ask.getByRole('button', { name: 'Delete the goal', exact: true }).tap();
		await expect.poll(() => goalButton.count()).toBe(0);
		await expect.poll(() => facilitator.locator('#panel-goals').getByRole('button', { name: new RegExp(`^${GOAL}`) }).count(), { timeout: 10_000 }).toBe(0);
		// Its own deletion: "Goal deleted", with Undo, on the Goals tab, just above the phone's tabs.
		const toast = participant.getByTestId('toast');
		await expect.poll(() => toast.textContent()).toContain(`Goal deleted: ${GOAL}`);
		expect(await toast.textContent()).not.toContain('Someone deleted');
		const undo = toast.getByRole('button', { name: 'Undo' });
		expect(await undo.isVisible()).toBe(true);
		expect(await uncovered(undo)).toBe(true);
		const toastBox = (await toast.boundingBox())!;
		const tabsBox = (await participant.getByRole('navigation', { name: 'Assets' }).boundingBox())!;
		expect(toastBox.y + toastBox.height).toBeLessThanOrEqual(tabsBox.y);
		expect(toastBox.x).toBeGreaterThanOrEqual(0);
		expect(toastBox.x + toastBox.width).toBeLessThanOrEqual(360);
		await participant.screenshot({ path: 'test-results/goal-deleted-toast-360.png' });

		await undo.tap();
		await expect.poll(() => facilitator.locator('#panel-goals').getByRole('button', { name: new RegExp(`^${GOAL}`) }).count(), { timeout: 10_000 }).toBe(1);
		await expect.poll(() => goalButton.count()).toBe(1);
		// Restored with its ties.
		expect(await facilitator.locator('#panel-goals').getByRole('button', { name: new RegExp(`^${GOAL}`) }).textContent()).toContain('4 assets support it');
	});
});
