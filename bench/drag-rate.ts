/**
 * How many WebSocket messages our own client sends while a person works fast, against the
 * server's per-connection budget (server/limits.ts: MESSAGES_PER_SECOND sustained,
 * MESSAGE_BURST at once). Real Chromium, real built app, real server; every frame the page
 * sends is read from the DevTools protocol (Network.webSocketFrameSent, with the browser's
 * own timestamps) and sorted by its first bytes: sync handshake (0/0, 0/1), doc update
 * (0/2), awareness (1), other.
 *
 * Phases, each on the same editor connection:
 *   open       load the editor link, sync, announce presence
 *   add        add one asset through the form
 *   drag       Move, then drag its marker in circles for 3 s, a mouse move every frame
 *   redrags    3 s of short drags (drop, grab again) — fast repeated adjusting
 *   pan/zoom   3 s of panning in circles and wheel zooming, every frame
 *   typing     Edit, type fast into name and description for ~3 s, save
 *
 * For each phase: frames by kind, the busiest 1 s window, the quickest 200 consecutive
 * frames, and what the server's token bucket would do with them (replayed here with the
 * same rate and burst). Prints numbers; never asserts on them.
 *
 *   node --import tsx bench/drag-rate.ts
 */
import type { CDPSession, Page } from 'playwright-core';
import { startTestServer } from '../tests/helpers/test-server.ts';
import { createMap } from '../tests/helpers/sync-clients.ts';
import { launchChromium } from '../tests/e2e/browser.ts';
import { MESSAGE_BURST, MESSAGES_PER_SECOND } from '../server/limits.ts';
import { allowCompiledFunctions, chromiumAvailable, ensureAppBuilt, rememberProfile } from './browser.ts';

type Kind = 'sync-handshake' | 'doc-update' | 'awareness' | 'other';
const KINDS: Kind[] = ['doc-update', 'awareness', 'sync-handshake', 'other'];

interface Frame {
	/** Browser monotonic time, ms. */
	t: number;
	socket: string;
	kind: Kind;
	bytes: number;
	phase: string;
}

function kindOf(payload: Buffer): Kind {
	if (payload.length === 0) return 'other';
	if (payload[0] === 1) return 'awareness';
	if (payload[0] !== 0) return 'other';
	return payload[1] === 2 ? 'doc-update' : payload[1] === 0 || payload[1] === 1 ? 'sync-handshake' : 'other';
}

/** Records every frame sent on the page's /sync sockets, tagged with the current phase. */
async function recordFrames(cdp: CDPSession, phase: () => string): Promise<{ frames: Frame[]; sockets: Set<string> }> {
	const frames: Frame[] = [];
	const sockets = new Set<string>();
	cdp.on('Network.webSocketCreated', ({ requestId, url }) => {
		if (new URL(url).pathname.startsWith('/sync')) sockets.add(requestId);
	});
	cdp.on('Network.webSocketFrameSent', ({ requestId, timestamp, response }) => {
		if (!sockets.has(requestId)) return;
		// Binary frames (opcode 2) arrive base64-encoded; text frames would be a protocol error anyway.
		const payload = response.opcode === 2 ? Buffer.from(response.payloadData, 'base64') : Buffer.from(response.payloadData);
		frames.push({ t: timestamp * 1000, socket: requestId, kind: kindOf(payload), bytes: payload.length, phase: phase() });
	});
	await cdp.send('Network.enable');
	return { frames, sockets };
}

/** Most frames in any window of `ms` (frames sorted by time). */
function peakInWindow(frames: Frame[], ms: number): number {
	let best = 0;
	let start = 0;
	for (let end = 0; end < frames.length; end++) {
		while (frames[end].t - frames[start].t >= ms) start++;
		best = Math.max(best, end - start + 1);
	}
	return best;
}

/** Shortest time span holding `n` consecutive frames (null if there are fewer). */
function quickestRun(frames: Frame[], n: number): number | null {
	if (frames.length < n) return null;
	let best = Infinity;
	for (let i = 0; i + n - 1 < frames.length; i++) best = Math.min(best, frames[i + n - 1].t - frames[i].t);
	return best;
}

/**
 * Replays frames through the server's bucket (sync-server.ts: take a token or queue; the
 * queue drains in order as tokens come back). A queue is modelled as debt: tokens below
 * one. Starts full, as a new connection does.
 */
function replayBucket(frames: Frame[]): { lowest: number; queued: number; maxDelayMs: number } {
	let tokens = MESSAGE_BURST;
	let last = frames[0]?.t ?? 0;
	let lowest = tokens;
	let queued = 0;
	let maxDelayMs = 0;
	for (const frame of frames) {
		tokens = Math.min(MESSAGE_BURST, tokens + ((frame.t - last) / 1000) * MESSAGES_PER_SECOND);
		last = frame.t;
		if (tokens < 1) {
			queued++;
			maxDelayMs = Math.max(maxDelayMs, ((1 - tokens) / MESSAGES_PER_SECOND) * 1000);
		}
		tokens -= 1;
		lowest = Math.min(lowest, tokens);
	}
	return { lowest, queued, maxDelayMs };
}

function describe(label: string, frames: Frame[], seconds: number, inputs: number): string {
	const counts = KINDS.map((kind) => {
		const ofKind = frames.filter((f) => f.kind === kind);
		return ofKind.length > 0 ? `${kind} ${ofKind.length} (${ofKind.reduce((n, f) => n + f.bytes, 0)} B)` : null;
	}).filter(Boolean);
	const quickest = quickestRun(frames, MESSAGE_BURST);
	return [
		`drag-rate: ${label.padEnd(9)} ${inputs ? `${inputs} input events, ` : ''}${frames.length} frames sent in ${seconds.toFixed(1)} s (${(frames.length / seconds).toFixed(1)}/s)`,
		counts.length ? `: ${counts.join(', ')}` : '',
		`; busiest 1 s: ${peakInWindow(frames, 1000)} frames (budget ${MESSAGES_PER_SECOND}/s)`,
		`, ${peakInWindow(frames.filter((f) => f.kind === 'doc-update'), 1000)} of them doc updates`,
		`; ${MESSAGE_BURST} consecutive frames: ${quickest === null ? `never (fewer than ${MESSAGE_BURST})` : `quickest in ${quickest.toFixed(0)} ms`}`
	].join('');
}

/** Waits for the next ~16.7 ms tick after `since`, so input events come once per frame. */
async function nextFrameTick(since: number, i: number): Promise<void> {
	const wait = since + (i * 1000) / 60 - performance.now();
	if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

async function centerOf(page: Page, selector: string): Promise<{ x: number; y: number }> {
	const box = await page.locator(selector).boundingBox();
	if (!box) throw new Error(`${selector} is not on screen`);
	return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

const ASSET_NAME = 'Bench garden';

export async function runDragRate(seconds = 3): Promise<void> {
	if (!chromiumAvailable('drag-rate benchmark')) return;
	ensureAppBuilt();
	const server = await startTestServer();
	const browser = await launchChromium();
	try {
		const map = await createMap(server.url, { title: 'Drag rate', place: 'Benchville' });
		const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
		await allowCompiledFunctions(context);
		await rememberProfile(context, 'Dana Dragger');
		const page = await context.newPage();
		let phase = 'open';
		const cdp = await context.newCDPSession(page);
		const { frames, sockets } = await recordFrames(cdp, () => phase);
		const durations = new Map<string, number>();
		/** Mouse moves, wheel turns and key presses sent to the page in the current phase. */
		let inputs = 0;
		const inputCounts = new Map<string, number>();
		const run = async (name: string, action: () => Promise<void>) => {
			phase = name;
			inputs = 0;
			const start = performance.now();
			await action();
			// Let a trailing save (drag end, form submit) and its frames arrive in this phase.
			await page.waitForTimeout(500);
			durations.set(name, (performance.now() - start) / 1000);
			inputCounts.set(name, inputs);
		};
		const move = (x: number, y: number) => {
			inputs++;
			return page.mouse.move(x, y);
		};

		await run('open', async () => {
			await page.goto(map.links.editor);
			await page.locator('[data-testid="connection-status"][data-status="live"]').waitFor({ timeout: 30_000 });
			await page.locator('[data-testid="map-canvas"] canvas').waitFor();
			await page.waitForTimeout(1000);
		});

		await run('add', async () => {
			await page.getByRole('button', { name: /Add asset/ }).first().click();
			await page.getByRole('button', { name: 'Place here' }).click();
			const form = page.getByRole('dialog');
			await form.getByLabel('Name').fill(ASSET_NAME);
			await form.getByText('Places', { exact: true }).click();
			await form.getByRole('button', { name: 'Save asset' }).click();
			await form.waitFor({ state: 'detached' });
		});

		// Select it from the list (the map zooms to it) and enter move mode; not measured.
		phase = 'setup';
		const openDetails = async () => {
			await page.locator('#asset-panel').getByRole('button', { name: new RegExp(ASSET_NAME) }).click();
			await page.getByTestId('asset-details').waitFor();
			await page.waitForTimeout(800); // the map's ease to the asset
		};
		await openDetails();
		await page.getByTestId('asset-details').getByRole('button', { name: 'Move' }).click();
		await page.locator('.move-marker').waitFor();

		await run('drag', async () => {
			const { x, y } = await centerOf(page, '.move-marker');
			await move(x, y);
			await page.mouse.down();
			const start = performance.now();
			for (let i = 1; performance.now() - start < seconds * 1000; i++) {
				const angle = (i / 60) * 2 * Math.PI; // one circle a second
				await move(x + 120 * Math.sin(angle), y - 120 + 120 * Math.cos(angle));
				await nextFrameTick(start, i);
			}
			await page.mouse.up();
		});

		await run('redrags', async () => {
			const start = performance.now();
			while (performance.now() - start < seconds * 1000) {
				const { x, y } = await centerOf(page, '.move-marker');
				await move(x, y);
				await page.mouse.down();
				const dx = Math.random() < 0.5 ? -1 : 1;
				for (let i = 1; i <= 6; i++) await move(x + dx * i * 8, y + dx * i * 4);
				await page.mouse.up();
				await page.waitForTimeout(50);
			}
		});

		phase = 'setup';
		await page.getByRole('button', { name: 'Done moving' }).click();
		await page.keyboard.press('Escape');
		await page.getByTestId('asset-details').waitFor({ state: 'detached' });

		await run('pan/zoom', async () => {
			const canvas = await page.locator('[data-testid="map-canvas"] canvas').boundingBox();
			if (!canvas) throw new Error('no map canvas');
			// Left of center: clear of the controls and of the asset under the center.
			const x = canvas.x + canvas.width * 0.35;
			const y = canvas.y + canvas.height * 0.5;
			// Half the time panning in circles, half wheel zooming in and out; one input a frame
			// at most (software WebGL here may take longer per frame: the count is printed).
			let start = performance.now();
			await move(x, y);
			await page.mouse.down();
			for (let i = 1; performance.now() - start < (seconds * 1000) / 2; i++) {
				const angle = (i / 30) * 2 * Math.PI;
				await move(x + 100 * Math.sin(angle), y - 100 + 100 * Math.cos(angle));
				await nextFrameTick(start, i);
			}
			await page.mouse.up();
			start = performance.now();
			for (let i = 1; performance.now() - start < (seconds * 1000) / 2; i++) {
				inputs++;
				await page.mouse.wheel(0, i % 20 < 10 ? -120 : 120);
				await nextFrameTick(start, i);
			}
		});

		phase = 'setup';
		await openDetails();
		await page.getByTestId('asset-details').getByRole('button', { name: 'Edit' }).click();
		const form = page.getByRole('dialog');

		await run('typing', async () => {
			// About 30 characters a second, a fast typist, for about three seconds.
			const name = form.getByLabel('Name');
			await name.click();
			await page.keyboard.press('ControlOrMeta+A');
			const nameText = 'Bench garden and tool library';
			await page.keyboard.type(nameText, { delay: 33 });
			await form.getByLabel('Description').click();
			const descriptionText = 'Open Saturdays; bring seeds, take seeds, borrow a spade.';
			await page.keyboard.type(descriptionText, { delay: 33 });
			inputs += nameText.length + descriptionText.length;
			await form.getByRole('button', { name: 'Save changes' }).click();
			await form.waitFor({ state: 'detached' });
		});

		phase = 'done';
		const all = frames.sort((a, b) => a.t - b.t);
		console.log(
			`drag-rate: one editor in Chromium; ${sockets.size} /sync socket(s) opened; server budget ${MESSAGES_PER_SECOND} messages/s per connection, burst ${MESSAGE_BURST}`
		);
		for (const [name, secs] of durations) console.log(describe(name, all.filter((f) => f.phase === name), secs, inputCounts.get(name) ?? 0));
		const perSocket = [...sockets].map((socket) => all.filter((f) => f.socket === socket));
		for (const [index, sent] of perSocket.entries()) {
			const bucket = replayBucket(sent);
			console.log(
				`drag-rate: socket ${index + 1}: ${sent.length} frames in all, busiest 1 s ${peakInWindow(sent, 1000)}; replayed through the server's bucket: lowest level ${bucket.lowest.toFixed(1)} of ${MESSAGE_BURST} tokens, ${bucket.queued} frames would be queued${bucket.queued ? ` (up to ${bucket.maxDelayMs.toFixed(0)} ms)` : ''}`
			);
		}
		await context.close();
	} finally {
		await browser.close();
		await server.dispose();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	await runDragRate(Number(process.argv[2] ?? 3));
	process.exit(0);
}
