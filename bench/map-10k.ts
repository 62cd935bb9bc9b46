/**
 * A 10,000-asset map in real Chromium (software WebGL here, so slower than a laptop):
 * how long it takes to open, how smooth a pan is, and what a remote rename costs until a
 * person sees it. Prints numbers; never asserts on them.
 *
 * The list renders 100 rows at a time, sorted by name, so a rename is only visible if it
 * lands in the rendered page. Each remote rename here gives an asset far down the list a
 * name that sorts first ("A remote rename …"), so its row has to appear at the top: that
 * is the whole path (network, Yjs, the parsed index, filter + sort of 10,000 rows, DOM).
 * A second series does the same with the search box holding the new name, the other way
 * a person finds one asset among 10,000.
 *
 * Times on the page are taken in the page (MutationObserver, then the next animation
 * frame) and compared with the remote client's clock; both run on this machine.
 *
 *   node --import tsx bench/map-10k.ts [assets=10000] [renames=12]
 */
import * as Y from 'yjs';
import type { Page } from 'playwright-core';
import { startTestServer } from '../tests/helpers/test-server.ts';
import { connectClient, withDeadline } from '../tests/helpers/sync-clients.ts';
import { launchChromium } from '../tests/e2e/browser.ts';
import { contributor } from './fixtures.ts';
import { allowCompiledFunctions, chromiumAvailable, ensureAppBuilt, rememberProfile, seedMap } from './browser.ts';
import { percentile, summarize } from './stats.ts';

interface FrameReport {
	deltas: number[];
	longTasks: number[];
}

interface Marks {
	/** The list's summary reads "N of N assets". */
	listed?: number;
	/** The first rows of the list are in the DOM. */
	firstRow?: number;
	/** The map canvas shows asset clusters. */
	mapDrawn?: number;
}

interface Seen {
	/** Epoch ms (timeOrigin + now) when the row was in the DOM, and at the next animation frame. */
	dom: number;
	frame: number;
}

type BenchWindow = Window & {
	__frames: FrameReport;
	__recording: boolean;
	__marks: Marks;
	__seen?: Promise<Seen>;
	__waitForRow: (name: string) => Promise<Seen>;
};

/** Cluster circles: #24292f at 0.85 opacity over the offline basemap's land or water. */
const CLUSTER_RGB = [65, 70, 75];

function installProbes({ count, clusterRgb }: { count: number; clusterRgb: number[] }) {
	const w = window as unknown as BenchWindow;
	// Frame deltas and long tasks while recording.
	w.__frames = { deltas: [], longTasks: [] };
	w.__recording = false;
	let last = performance.now();
	const tick = (now: number) => {
		if (w.__recording) w.__frames.deltas.push(now - last);
		last = now;
		requestAnimationFrame(tick);
	};
	requestAnimationFrame(tick);
	new PerformanceObserver((list) => {
		if (w.__recording) for (const entry of list.getEntries()) w.__frames.longTasks.push(entry.duration);
	}).observe({ type: 'longtask', buffered: false });

	// Milestones of opening, in ms since navigation start.
	w.__marks = {};
	const summary = `${count} of ${count} assets`;
	const listObserver = new MutationObserver(() => {
		if (w.__marks.firstRow === undefined && document.querySelector('.asset-list li')) w.__marks.firstRow = performance.now();
		if (w.__marks.listed === undefined && document.querySelector('.asset-list .summary')?.textContent?.trim() === summary) {
			w.__marks.listed = performance.now();
		}
		if (w.__marks.listed !== undefined && w.__marks.firstRow !== undefined) listObserver.disconnect();
	});
	listObserver.observe(document, { subtree: true, childList: true, characterData: true });
	// The map: look at a quarter-size copy of the canvas (preserveDrawingBuffer is on) every 50 ms.
	const copy = document.createElement('canvas');
	const poll = setInterval(() => {
		const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="map-canvas"] canvas');
		if (!canvas || canvas.width === 0) return;
		copy.width = Math.ceil(canvas.width / 4);
		copy.height = Math.ceil(canvas.height / 4);
		const context = copy.getContext('2d', { willReadFrequently: true })!;
		context.drawImage(canvas, 0, 0, copy.width, copy.height);
		const { data } = context.getImageData(0, 0, copy.width, copy.height);
		let hits = 0;
		for (let i = 0; i < data.length; i += 4) {
			if (Math.abs(data[i] - clusterRgb[0]) < 14 && Math.abs(data[i + 1] - clusterRgb[1]) < 14 && Math.abs(data[i + 2] - clusterRgb[2]) < 14) hits++;
		}
		if (hits >= 20) {
			w.__marks.mapDrawn = performance.now();
			clearInterval(poll);
		}
	}, 50);

	// Resolves when a list row shows exactly `name`.
	w.__waitForRow = (name: string) =>
		new Promise<Seen>((resolve) => {
			const panel = document.getElementById('asset-panel')!;
			const found = () => [...panel.querySelectorAll('.asset-list .name')].some((el) => el.textContent === name);
			const done = () => {
				const dom = performance.timeOrigin + performance.now();
				requestAnimationFrame(() => resolve({ dom, frame: performance.timeOrigin + performance.now() }));
			};
			if (found()) return done();
			const observer = new MutationObserver(() => {
				if (!found()) return;
				observer.disconnect();
				done();
			});
			observer.observe(panel, { subtree: true, childList: true, characterData: true });
		});
}

const epochNow = () => performance.timeOrigin + performance.now();

async function record(page: Page, action: () => Promise<void>): Promise<FrameReport> {
	await page.evaluate(() => {
		const w = window as unknown as BenchWindow;
		w.__frames = { deltas: [], longTasks: [] };
		w.__recording = true;
	});
	await action();
	return page.evaluate(() => {
		const w = window as unknown as BenchWindow;
		w.__recording = false;
		return w.__frames;
	});
}

function frameLine(label: string, frames: FrameReport): string {
	const dropped = frames.deltas.filter((d) => d > (1000 / 60) * 1.5).length;
	return `map-10k: ${label}: frame intervals ${summarize(frames.deltas)}; ${dropped} over 25 ms; long tasks ${frames.longTasks.length} (max ${Math.max(0, ...frames.longTasks).toFixed(0)} ms)`;
}

function latencyLine(label: string, samples: number[]): string {
	const sorted = [...samples].sort((a, b) => a - b);
	const f = (n: number) => n.toFixed(0);
	return `${label}: median ${f(percentile(sorted, 50))} ms, p95 ${f(percentile(sorted, 95))} ms, min ${f(sorted[0])} ms, max ${f(sorted.at(-1)!)} ms (n=${sorted.length})`;
}

export async function runMap10k(count = 10_000, renames = 12): Promise<void> {
	if (!chromiumAvailable('map-10k benchmark')) return;
	ensureAppBuilt();
	const server = await startTestServer();
	const browser = await launchChromium();
	try {
		const seeded = await seedMap(server, count);
		const { map } = seeded;
		console.log(
			`map-10k: seed of ${count} assets (${(seeded.seedBytes / 1e6).toFixed(2)} MB): upload until a second client has it all ${seeded.uploadMs.toFixed(0)} ms; a fresh client's full sync ${seeded.freshSyncMs.toFixed(0)} ms`
		);

		const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
		await allowCompiledFunctions(context);
		await rememberProfile(context);
		await context.addInitScript(installProbes, { count, clusterRgb: CLUSTER_RGB });
		const page = await context.newPage();
		await page.goto(map.links.facilitator);
		await page.waitForFunction(
			() => {
				const m = (window as unknown as BenchWindow).__marks;
				return m.listed !== undefined && m.mapDrawn !== undefined;
			},
			undefined,
			{ timeout: 120_000, polling: 100 }
		);
		const marks = await page.evaluate(() => (window as unknown as BenchWindow).__marks);
		const nav = await page.evaluate(() => {
			const entry = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
			return { domContentLoaded: entry?.domContentLoadedEventEnd ?? NaN, load: entry?.loadEventEnd ?? NaN };
		});
		console.log(
			`map-10k: opening (ms after navigation start): DOMContentLoaded ${nav.domContentLoaded.toFixed(0)}, first list rows ${marks.firstRow?.toFixed(0)}, list shows all ${count} ${marks.listed?.toFixed(0)}, map shows the asset clusters ${marks.mapDrawn?.toFixed(0)}`
		);

		const canvas = await page.locator('[data-testid="map-canvas"] canvas').boundingBox();
		if (!canvas) throw new Error('no map canvas');
		const cx = canvas.x + canvas.width / 2;
		const cy = canvas.y + canvas.height / 2;
		await page.waitForTimeout(500);
		// Baseline: what the page does with nothing happening (a busy idle page shows up here).
		console.log(frameLine('idle 1 s', await record(page, () => page.waitForTimeout(1000))));
		const pan = await record(page, async () => {
			await page.mouse.move(cx, cy);
			await page.mouse.down();
			for (let i = 1; i <= 60; i++) await page.mouse.move(cx - i * 5, cy - i * 2);
			await page.mouse.up();
			await page.waitForTimeout(500);
		});
		console.log(frameLine('pan (60 mouse moves)', pan));

		const editor = connectClient(server.syncUrl, map.id, map.keys.editor);
		await withDeadline(editor.synced, 'the remote editor to sync', 60_000);
		const assets = editor.doc.getMap<Y.Map<unknown>>('assets');
		const ids = [...assets.keys()].sort();
		const who = contributor(7);
		let series = 0;

		/** One remote rename of an asset deep in the list; resolves with its latencies. */
		const renameOnce = async (name: string): Promise<{ dom: number; frame: number }> => {
			// Far apart in the sorted list (ids follow the fixture's numbering), never the first page.
			const id = ids[(5_000 + series++ * 613) % ids.length];
			await page.evaluate((rowName) => {
				const w = window as unknown as BenchWindow;
				w.__seen = w.__waitForRow(rowName);
			}, name);
			const sentAt = epochNow();
			editor.doc.transact(() => {
				const asset = assets.get(id)!;
				asset.set('name', name);
				asset.set('updatedBy', who);
				asset.set('updatedAt', Date.now());
			});
			const seen = await withDeadline(
				page.evaluate(() => (window as unknown as BenchWindow).__seen!),
				`"${name}" to appear in the list`,
				30_000
			);
			return { dom: seen.dom - sentAt, frame: seen.frame - sentAt };
		};

		const plain: { dom: number[]; frame: number[] } = { dom: [], frame: [] };
		const during = await record(page, async () => {
			for (let k = 0; k < renames; k++) {
				const latency = await renameOnce(`A remote rename ${k}`);
				plain.dom.push(latency.dom);
				plain.frame.push(latency.frame);
				await page.waitForTimeout(250);
			}
		});
		console.log(latencyLine(`map-10k: remote rename -> row at the top of the ${count}-row list (in DOM)`, plain.dom));
		console.log(latencyLine(`map-10k: remote rename -> row at the top of the ${count}-row list (next frame)`, plain.frame));
		console.log(frameLine(`during ${renames} remote renames`, during));

		// With the search box holding the new name: the list shows "0 of N" until it lands.
		const searched: number[] = [];
		const search = page.locator('#asset-search');
		const searches = Math.max(3, Math.ceil(renames / 2));
		for (let k = 0; k < searches; k++) {
			// Every search word must be in the asset; "q1x" is in no other name or description.
			const name = `Riverside orchard q${k}x`;
			await search.fill(name);
			await page.locator('.asset-list .summary', { hasText: new RegExp(`^0 of ${count} assets$`) }).waitFor({ timeout: 30_000 });
			searched.push((await renameOnce(name)).frame);
			await page.waitForTimeout(250);
		}
		await search.fill('');
		console.log(latencyLine(`map-10k: remote rename -> row matching the search box (next frame)`, searched));

		editor.destroy();
		await context.close();
	} finally {
		await browser.close();
		await server.dispose();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	await runMap10k(Number(process.argv[2] ?? 10_000), Number(process.argv[3] ?? 12));
	process.exit(0);
}
