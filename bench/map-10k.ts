/**
 * A 10,000-asset map in real Chromium (software WebGL here, so slower than a laptop):
 * how long it takes to open, how smooth a pan is, and what one remote edit costs on the
 * screen. Prints numbers; never asserts on them.
 *
 *   node --import tsx bench/map-10k.ts [assets=10000]
 */
import * as Y from 'yjs';
import { startTestServer } from '../tests/helpers/test-server.ts';
import { connectClient, createMap, waitForDoc } from '../tests/helpers/sync-clients.ts';
import { launchChromium } from '../tests/e2e/browser.ts';
import { buildMapDoc } from './fixtures.ts';
import { summarize } from './stats.ts';

interface FrameReport {
	deltas: number[];
	longTasks: number[];
}

export async function runMap10k(count = 10_000): Promise<void> {
	const server = await startTestServer();
	const browser = await launchChromium();
	try {
		const map = await createMap(server.url, { title: `${count} assets` });
		const seeder = connectClient(server.syncUrl, map.id, map.keys.editor, buildMapDoc(count));
		await seeder.synced;
		const check = connectClient(server.syncUrl, map.id, map.keys.viewer);
		await waitForDoc(check.doc, (doc) => doc.getMap('assets').size === count, 'seeded map');
		check.destroy();

		const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
		await context.addInitScript(() => {
			localStorage.setItem('asset-atlas:profile', JSON.stringify({ id: 'benchbenchbench1', name: 'Bench', affiliation: 'other' }));
			// Frame deltas and long tasks, recorded from the first paint on.
			const w = window as unknown as { __frames: FrameReport; __recording: boolean };
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
		});
		const page = await context.newPage();
		const started = performance.now();
		await page.goto(map.links.facilitator);
		await page.getByText(`${count} of ${count} assets`).waitFor({ timeout: 120_000 });
		const listed = performance.now() - started;
		await page.locator('[data-testid="map-canvas"] canvas').waitFor();
		console.log(`map-10k: ${count} assets listed ${listed.toFixed(0)} ms after navigation (load from server, parse, index, first list render)`);

		const record = async (action: () => Promise<void>): Promise<FrameReport> => {
			await page.evaluate(() => {
				const w = window as unknown as { __frames: FrameReport; __recording: boolean };
				w.__frames = { deltas: [], longTasks: [] };
				w.__recording = true;
			});
			await action();
			return page.evaluate(() => {
				const w = window as unknown as { __frames: FrameReport; __recording: boolean };
				w.__recording = false;
				return w.__frames;
			});
		};
		const report = (label: string, frames: FrameReport) => {
			const dropped = frames.deltas.filter((d) => d > 1000 / 60 * 1.5).length;
			console.log(`map-10k: ${label}: frames ${summarize(frames.deltas)}; ${dropped} frames over 25 ms; long tasks ${frames.longTasks.length} (max ${Math.max(0, ...frames.longTasks).toFixed(0)} ms)`);
		};

		const canvas = await page.locator('[data-testid="map-canvas"] canvas').boundingBox();
		if (!canvas) throw new Error('no map canvas');
		const cx = canvas.x + canvas.width / 2;
		const cy = canvas.y + canvas.height / 2;
		const pan = await record(async () => {
			await page.mouse.move(cx, cy);
			await page.mouse.down();
			for (let i = 1; i <= 60; i++) await page.mouse.move(cx - i * 5, cy - i * 2);
			await page.mouse.up();
			await page.waitForTimeout(500);
		});
		report('pan (60 mouse moves)', pan);

		const editor = connectClient(server.syncUrl, map.id, map.keys.editor);
		await editor.synced;
		const target = [...editor.doc.getMap<Y.Map<unknown>>('assets').keys()][0];
		let seenAfter = 0;
		const edit = await record(async () => {
			const t0 = performance.now();
			editor.doc.getMap<Y.Map<unknown>>('assets').get(target)!.set('name', 'Renamed by a remote partner');
			await page.getByText('Renamed by a remote partner').first().waitFor({ timeout: 30_000 });
			seenAfter = performance.now() - t0;
			await page.waitForTimeout(300);
		});
		console.log(`map-10k: one remote edit reached the list ${seenAfter.toFixed(0)} ms after the remote transact`);
		report('during one remote edit', edit);
		editor.destroy();
		seeder.destroy();
		await context.close();
	} finally {
		await browser.close();
		await server.dispose();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	await runMap10k(Number(process.argv[2] ?? 10_000));
	process.exit(0);
}
