/**
 * What the browser benchmarks share: Chromium or a loud skip, a current build/, and a
 * map seeded through the real server.
 */
import * as Y from 'yjs';
import type { BrowserContext } from 'playwright-core';
import { findChromium } from '../tests/e2e/browser.ts';
import type { TestServer } from '../tests/helpers/test-server.ts';
import { connectClient, createMap, waitForDoc, type CreatedMap } from '../tests/helpers/sync-clients.ts';
import { ensureBuild } from '../scripts/ensure-build.js';
import { addAssetTo } from './fixtures.ts';

const SEED_CHUNK = 1_000;

/** True if Chromium is installed; otherwise prints one loud line naming the skipped bench. */
export function chromiumAvailable(bench: string): boolean {
	if (findChromium()) return true;
	console.error(`!!! ${bench} NOT RUN: no Chromium found (install Debian package "chromium" or set CHROMIUM_PATH) !!!`);
	return false;
}

/** Builds the app only when build/ is missing or older than its sources (scripts/ensure-build.js). */
export function ensureAppBuilt(): void {
	ensureBuild({ quiet: true });
}

/**
 * tsx compiles with esbuild's keepNames, which wraps inner named functions in __name(...);
 * a function serialized into the page (addInitScript, evaluate) then needs that helper.
 */
export async function allowCompiledFunctions(context: BrowserContext): Promise<void> {
	await context.addInitScript({ content: 'globalThis.__name ??= (fn) => fn;' });
}

/** A profile in localStorage, so an editor or facilitator link opens without the join dialog. */
export async function rememberProfile(context: BrowserContext, name = 'Bench'): Promise<void> {
	await context.addInitScript((profileName) => {
		localStorage.setItem('asset-atlas:profile', JSON.stringify({ id: 'benchbenchbench1', name: profileName, affiliation: 'other' }));
	}, name);
}

export interface SeededMap {
	map: CreatedMap;
	/** Bytes of the seeded map (one Y.encodeStateAsUpdate of it, as a second client holds it). */
	seedBytes: number;
	/** Facilitator client adds the assets in chunks -> a second client holds every asset. */
	uploadMs: number;
	/** A fresh client connects -> it holds every asset (the server's full state, decoded). */
	freshSyncMs: number;
}

/**
 * Creates a map and fills it with `count` fixture assets. The fixture writes `meta` too,
 * which server/rules.ts allows only a facilitator, so the seed goes in with that key.
 */
export async function seedMap(server: TestServer, count: number, title = `${count} assets`): Promise<SeededMap> {
	const map = await createMap(server.url, { title });
	const full = (doc: Y.Doc) => doc.getMap('assets').size === count;

	// Like an importer: connected first, then 1,000 assets per transaction (one update each).
	// One update may hold at most 50,000 structs (server/room/update-shape.ts), about 4,000 assets.
	const uploadStart = performance.now();
	const seeder = connectClient(server.syncUrl, map.id, map.keys.facilitator);
	const witness = connectClient(server.syncUrl, map.id, map.keys.viewer);
	try {
		await seeder.synced;
		seeder.doc.transact(() => {
			seeder.doc.getMap('meta').set('title', 'Benchmark map');
			seeder.doc.getMap('meta').set('schemaVersion', 1);
		});
		for (let start = 0; start < count; start += SEED_CHUNK) {
			seeder.doc.transact(() => {
				for (let n = start; n < Math.min(count, start + SEED_CHUNK); n++) addAssetTo(seeder.doc, n);
			});
		}
		await waitForDoc(witness.doc, full, 'the seed to reach a second client', 120_000);
		const uploadMs = performance.now() - uploadStart;
		const seedBytes = Y.encodeStateAsUpdate(witness.doc).byteLength;

		const freshStart = performance.now();
		const fresh = connectClient(server.syncUrl, map.id, map.keys.viewer);
		try {
			await waitForDoc(fresh.doc, full, 'a fresh client to sync the seeded map', 120_000);
			return { map, seedBytes, uploadMs, freshSyncMs: performance.now() - freshStart };
		} finally {
			fresh.destroy();
		}
	} finally {
		witness.destroy();
		seeder.destroy();
	}
}
