/**
 * One end-to-end session: the real server on port 0, Debian's Chromium, and every browser
 * context opened for the test, so each file starts and tears down the same way.
 */
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './browser.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, type Client } from '../helpers/sync-clients.ts';

type ContextOptions = Parameters<Browser['newContext']>[0];

export const DESKTOP: ContextOptions = { viewport: { width: 1280, height: 800 } };
export const PHONE: ContextOptions = { viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true };

export interface BrowserSession {
	server: TestServer;
	browser: Browser;
	/** Any alert/confirm/prompt on any page: user text that ran as code, or an unexpected prompt. */
	dialogs: string[];
	newContext(options?: ContextOptions): Promise<BrowserContext>;
	newPage(options?: ContextOptions): Promise<Page>;
	/** A stock y-websocket client on the map a share link points at, with that link's key. */
	connectByLink(link: string): Client;
	/** Screenshots of every open page into test-results/, for a failed step. */
	screenshotAll(prefix: string): Promise<void>;
	dispose(): Promise<void>;
}

/** The map id and key of a share link (`/m/<id>#key=<key>`). */
export function linkParts(link: string): { mapId: string; key: string } {
	const url = new URL(link);
	return { mapId: url.pathname.split('/').at(-1)!, key: new URLSearchParams(url.hash.slice(1)).get('key') ?? '' };
}

/** `env`: extra server settings (e.g. BASEMAP_UPSTREAM pointing at a fake upstream). */
export async function openSession(env: Record<string, string> = {}): Promise<BrowserSession> {
	const server = await startTestServer(env);
	const browser = await launchChromium();
	const contexts: BrowserContext[] = [];
	const dialogs: string[] = [];

	const newContext = async (options: ContextOptions = {}) => {
		const context = await browser.newContext({ ...DESKTOP, ...options });
		contexts.push(context);
		context.on('page', (page) =>
			page.on('dialog', (dialog) => {
				dialogs.push(dialog.message());
				void dialog.dismiss();
			})
		);
		return context;
	};

	return {
		server,
		browser,
		dialogs,
		newContext,
		async newPage(options) {
			return (await newContext(options)).newPage();
		},
		connectByLink(link) {
			const { mapId, key } = linkParts(link);
			return connectClient(server.syncUrl, mapId, key);
		},
		async screenshotAll(prefix) {
			mkdirSync('test-results', { recursive: true });
			let index = 0;
			for (const context of contexts) {
				for (const page of context.pages()) await page.screenshot({ path: `test-results/${prefix}-${index++}.png` }).catch(() => {});
			}
		},
		async dispose() {
			for (const context of contexts) await context.close().catch(() => {});
			await browser.close();
			await server.dispose();
		}
	};
}
