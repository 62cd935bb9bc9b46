/**
 * Debian's Chromium driven by playwright-core (no browser download). Launch flags keep it
 * from reaching for the network, which this machine does not have.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function findChromium(): string | null {
	return CANDIDATES.find((path): path is string => !!path && existsSync(path)) ?? null;
}

export const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--no-first-run'
];

export async function launchChromium(): Promise<Browser> {
	const executablePath = findChromium();
	if (!executablePath) throw new Error('Chromium not found (set CHROMIUM_PATH or install Debian chromium)');
	return chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
}
