/**
 * The street basemap as our origin serves it: the upstream style rewritten to local paths
 * (style-plan.ts), and every tile, glyph range and sprite fetched on first request,
 * cached on disk (tile-cache.ts) for as long as the upstream allows, and served stale
 * when the upstream cannot be reached. Packs (packs.ts) pin whole areas for offline use.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { buildPlan, upstreamGlyphUrl, upstreamSpriteUrl, upstreamTileUrl, type BasemapPlan } from './style-plan.ts';
import { TileCache, type CachedResource } from './tile-cache.ts';
import { tileCount, tileRange, type Bbox } from './tile-math.ts';
import { Upstream, UpstreamError, type UpstreamHealth } from './upstream.ts';
import type { Logger } from '../room/runner.ts';

export type BasemapResource =
	| { kind: 'tile'; source: string; z: number; x: number; y: number }
	| { kind: 'glyph'; fontstack: string; range: string }
	| { kind: 'sprite'; id: string; scale: '' | '@2x'; ext: 'json' | 'png' };

export type Served =
	| { kind: 'hit'; resource: CachedResource; stale: boolean }
	/** Not here and not to be had: unknown to the plan (404) or the upstream is out of reach (503). */
	| { kind: 'unavailable'; status: 404 | 503; reason: string };

export interface BasemapOptions {
	/** The upstream style URL, or null when BASEMAP_UPSTREAM=none. */
	upstream: string | null;
	dataDir: string;
	cacheMaxBytes: number;
	userAgent: string;
	logger: Logger;
	fetch?: typeof fetch;
	/** How long a page waits for a style we have never fetched before the client gives up. */
	styleTimeoutMs?: number;
}

export function resourceKey(resource: BasemapResource): string {
	switch (resource.kind) {
		case 'tile':
			return `t/${resource.source}/${resource.z}/${resource.x}/${resource.y}`;
		case 'glyph':
			return `g/${resource.fontstack}/${resource.range}`;
		case 'sprite':
			return `s/${resource.id}${resource.scale}.${resource.ext}`;
	}
}

const COMPRESSIBLE = /json|protobuf|pbf|mapbox-vector-tile|text|javascript|xml/i;
const PLAN_KEY = 'plan';
const PLAN_FRESH_MS = 6 * 60 * 60 * 1000;

interface StoredPlan {
	plan: BasemapPlan;
	fetchedAt: number;
}

export class BasemapService {
	private openedCache: TileCache | null = null;
	readonly upstream: Upstream | null;
	private stored: StoredPlan | null = null;
	private planning: Promise<BasemapPlan | null> | null = null;
	private readonly inFlight = new Map<string, Promise<Served>>();

	constructor(private readonly options: BasemapOptions) {
		this.upstream = options.upstream ? new Upstream({ userAgent: options.userAgent, fetch: options.fetch }) : null;
		// With the street map turned off nothing is served from /basemap/ and no file is made.
		const saved = this.upstream ? this.cache.setting(PLAN_KEY) : null;
		if (saved) {
			try {
				const parsed = JSON.parse(saved) as StoredPlan;
				// A plan made from another upstream is not this deployment's basemap.
				if (parsed.plan.upstream === options.upstream) this.stored = parsed;
			} catch {
				this.stored = null;
			}
		}
	}

	/** Opened on first use, so a server with the street map turned off never creates it. */
	get cache(): TileCache {
		this.openedCache ??= new TileCache(this.options.dataDir, this.options.cacheMaxBytes);
		return this.openedCache;
	}

	get enabled(): boolean {
		return this.upstream !== null;
	}

	get health(): UpstreamHealth | 'off' {
		return this.upstream ? this.upstream.health : 'off';
	}

	/** Fetches the style in the background at startup, so the first page gets it at once. */
	warm(): void {
		if (this.upstream && (!this.stored || Date.now() - this.stored.fetchedAt > PLAN_FRESH_MS)) void this.refreshPlan();
	}

	private refreshPlan(): Promise<BasemapPlan | null> {
		if (!this.upstream || !this.options.upstream) return Promise.resolve(null);
		const upstream = this.upstream;
		const url = this.options.upstream;
		this.planning ??= (async () => {
			try {
				const plan = await buildPlan(url, async (resourceUrl) => {
					const answer = await upstream.get(resourceUrl);
					if (answer.kind !== 'ok') throw new UpstreamError(`${resourceUrl} is not there`, false);
					return JSON.parse(answer.body.toString('utf8')) as unknown;
				});
				this.stored = { plan, fetchedAt: Date.now() };
				this.cache.setSetting(PLAN_KEY, JSON.stringify(this.stored));
				return plan;
			} catch (error) {
				this.options.logger.warn(`basemap: could not fetch the street style from ${url}: ${error instanceof Error ? error.message : String(error)}`);
				return this.stored?.plan ?? null;
			} finally {
				this.planning = null;
			}
		})();
		return this.planning;
	}

	/** The plan, fetching it if we never had one; a stale plan is served while a new one is fetched. */
	async plan(): Promise<BasemapPlan | null> {
		if (!this.upstream) return null;
		if (this.stored) {
			if (Date.now() - this.stored.fetchedAt > PLAN_FRESH_MS) void this.refreshPlan();
			return this.stored.plan;
		}
		const timeout = new Promise<null>((resolve) => (setTimeout(resolve, this.options.styleTimeoutMs ?? 3000) as unknown as NodeJS.Timeout).unref());
		return Promise.race([this.refreshPlan(), timeout]);
	}

	/** The plan if we have one now, without waiting. */
	get currentPlan(): BasemapPlan | null {
		return this.stored?.plan ?? null;
	}

	private upstreamUrl(plan: BasemapPlan, resource: BasemapResource): string | null {
		switch (resource.kind) {
			case 'tile': {
				const source = plan.sources[resource.source];
				if (!source || resource.z < source.minzoom || resource.z > source.maxzoom) return null;
				return upstreamTileUrl(source, resource.z, resource.x, resource.y);
			}
			case 'glyph':
				return plan.glyphs && plan.fontstacks.includes(resource.fontstack) ? upstreamGlyphUrl(plan.glyphs, resource.fontstack, resource.range) : null;
			case 'sprite': {
				const base = plan.sprites[resource.id];
				return base ? upstreamSpriteUrl(base, resource.scale, resource.ext) : null;
			}
		}
	}

	/** Serves one resource: fresh from the cache, else from the upstream (and cached), else stale. */
	async get(resource: BasemapResource): Promise<Served> {
		if (!this.upstream) return { kind: 'unavailable', status: 404, reason: 'the street map is turned off on this server' };
		const key = resourceKey(resource);
		const cached = this.cache.get(key);
		if (cached && cached.expiresAt > Date.now()) return { kind: 'hit', resource: cached, stale: false };
		const plan = this.currentPlan ?? (await this.plan());
		const url = plan ? this.upstreamUrl(plan, resource) : null;
		if (!url) {
			if (cached) return { kind: 'hit', resource: cached, stale: true };
			return plan ? { kind: 'unavailable', status: 404, reason: 'not part of the basemap' } : { kind: 'unavailable', status: 503, reason: 'the street map cannot be reached right now' };
		}
		let pending = this.inFlight.get(key);
		if (!pending) {
			pending = this.fetchAndStore(key, url, cached).finally(() => this.inFlight.delete(key));
			this.inFlight.set(key, pending);
		}
		return pending;
	}

	private async fetchAndStore(key: string, url: string, cached: CachedResource | null): Promise<Served> {
		try {
			const answer = await this.upstream!.get(url, { etag: cached?.etag, lastModified: cached?.lastModified });
			const now = Date.now();
			if (answer.kind === 'not-modified' && cached) {
				const expiresAt = now + answer.freshness.freshForMs;
				this.cache.extend(key, expiresAt, now);
				return { kind: 'hit', resource: { ...cached, expiresAt }, stale: false };
			}
			const resource: CachedResource =
				answer.kind === 'ok'
					? {
							status: 200,
							contentType: answer.contentType,
							gzipped: COMPRESSIBLE.test(answer.contentType),
							body: COMPRESSIBLE.test(answer.contentType) ? gzipSync(answer.body) : answer.body,
							etag: answer.etag,
							lastModified: answer.lastModified,
							fetchedAt: now,
							expiresAt: now + answer.freshness.freshForMs
						}
					: { status: 204, contentType: 'application/octet-stream', gzipped: false, body: Buffer.alloc(0), etag: null, lastModified: null, fetchedAt: now, expiresAt: now + answer.freshness.freshForMs };
			if (answer.freshness.store) this.cache.put(key, resource, now);
			return { kind: 'hit', resource, stale: false };
		} catch (error) {
			if (cached) return { kind: 'hit', resource: cached, stale: true };
			if (error instanceof UpstreamError) return { kind: 'unavailable', status: 503, reason: error.message };
			throw error;
		}
	}

	/**
	 * The share of the view's tiles we could serve right now without the upstream (from
	 * the cache or a pack), for the main source; null without a plan.
	 */
	coverage(bbox: Bbox, zoom: number): number | null {
		const plan = this.currentPlan;
		if (!plan) return null;
		const entries = Object.entries(plan.sources);
		const [id, source] = entries.find(([, candidate]) => candidate.type === 'vector') ?? entries[0];
		let z = Math.max(source.minzoom, Math.min(source.maxzoom, Math.floor(zoom)));
		// A huge view at a high zoom is judged at a lower zoom, where it is a few hundred tiles.
		while (z > source.minzoom && tileCount(bbox, z) > 400) z--;
		const range = tileRange(bbox, z);
		const keys: string[] = [];
		for (let x = range.minX; x <= range.maxX; x++) for (let y = range.minY; y <= range.maxY; y++) keys.push(`t/${id}/${z}/${x}/${y}`);
		return keys.length === 0 ? null : this.cache.countStored(keys) / keys.length;
	}

	close(): void {
		this.openedCache?.close();
		this.openedCache = null;
	}
}

/** The body as the client asked for it. */
export function bodyFor(resource: CachedResource, acceptsGzip: boolean): { body: Buffer; gzipped: boolean } {
	if (!resource.gzipped || acceptsGzip) return { body: resource.body, gzipped: resource.gzipped };
	return { body: gunzipSync(resource.body), gzipped: false };
}
