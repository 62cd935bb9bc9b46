/**
 * Offline area packs: everything the street style needs to draw one area with no
 * internet (tiles of every source up to a zoom, the sprites, and the glyph ranges the
 * area's labels use), fetched once while online and pinned in the cache.
 *
 * One pack downloads at a time, four requests at once, through the same polite upstream
 * client as everything else. A pack interrupted by a restart resumes on the next start;
 * one stopped by an upstream failure can be resumed by the facilitator.
 */
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import type { BasemapService, BasemapResource } from './basemap-service.ts';
import { resourceKey } from './basemap-service.ts';
import type { BasemapPlan, SourcePlan } from './style-plan.ts';
import type { PackRecord, TileCache } from './tile-cache.ts';
import { tileCount, tilesIn, type Bbox } from './tile-math.ts';
import type { Logger } from '../room/runner.ts';

export const PACK_MAX_ZOOM = 16;
export const MAX_PACKS_PER_MAP = 10;
const CONCURRENCY = 4;
const ATTEMPTS = 3;
/** Used to estimate before anything of a source is cached: typical OpenMapTiles / raster sizes. */
const DEFAULT_TILE_BYTES: Record<SourcePlan['type'], number> = { vector: 40_000, raster: 25_000, 'raster-dem': 60_000 };
const GLYPH_RANGE_BYTES = 60_000;
const SPRITE_BYTES = 120_000;

export interface PackLimits {
	maxTiles: number;
	maxBytes: number;
}

export interface PackEstimate {
	tiles: number;
	bytes: number;
	maxZoom: number;
	withinLimits: boolean;
	limits: PackLimits;
}

export class PackError extends Error {
	constructor(
		message: string,
		readonly status: number
	) {
		super(message);
	}
}

/** The part of a bbox inside a source's bounds, or null if they do not meet. */
function clip(bbox: Bbox, bounds: Bbox | null): Bbox | null {
	if (!bounds) return bbox;
	const out: Bbox = [Math.max(bbox[0], bounds[0]), Math.max(bbox[1], bounds[1]), Math.min(bbox[2], bounds[2]), Math.min(bbox[3], bounds[3])];
	return out[0] < out[2] && out[1] < out[3] ? out : null;
}

function* tileResources(plan: BasemapPlan, bbox: Bbox, maxZoom: number): Generator<BasemapResource> {
	for (const [source, spec] of Object.entries(plan.sources)) {
		const area = clip(bbox, spec.bounds);
		if (!area) continue;
		for (const tile of tilesIn(area, spec.minzoom, Math.min(maxZoom, spec.maxzoom))) yield { kind: 'tile', source, ...tile };
	}
}

function spriteResources(plan: BasemapPlan): BasemapResource[] {
	return Object.keys(plan.sprites).flatMap((id) =>
		(['', '@2x'] as const).flatMap((scale) => (['json', 'png'] as const).map((ext): BasemapResource => ({ kind: 'sprite', id, scale, ext })))
	);
}

export function estimatePack(plan: BasemapPlan, cache: TileCache, bbox: Bbox, maxZoom: number, limits: PackLimits): PackEstimate {
	let tiles = 0;
	let bytes = spriteResources(plan).length * SPRITE_BYTES + plan.fontstacks.length * 2 * GLYPH_RANGE_BYTES;
	for (const [source, spec] of Object.entries(plan.sources)) {
		const area = clip(bbox, spec.bounds);
		if (!area) continue;
		for (let z = spec.minzoom; z <= Math.min(maxZoom, spec.maxzoom); z++) {
			const count = tileCount(area, z);
			tiles += count;
			bytes += count * (cache.averageTileBytes(source, z) ?? DEFAULT_TILE_BYTES[spec.type]);
		}
	}
	bytes = Math.round(bytes);
	return { tiles, bytes, maxZoom, withinLimits: tiles <= limits.maxTiles && bytes <= limits.maxBytes, limits };
}

/** Unicode blocks of 256 (MapLibre's glyph ranges) that the strings in a vector tile use. */
export function glyphRangesOf(tile: Buffer, ranges: Set<number>): void {
	const bytes = tile.length > 2 && tile[0] === 0x1f && tile[1] === 0x8b ? gunzipSync(tile) : tile;
	let decoded: VectorTile;
	try {
		decoded = new VectorTile(new PbfReader(bytes));
	} catch {
		return; // not a vector tile we can read: its labels fall back to the ranges we always fetch
	}
	for (const layer of Object.values(decoded.layers)) {
		for (let index = 0; index < layer.length; index++) {
			for (const value of Object.values(layer.feature(index).properties)) {
				if (typeof value !== 'string') continue;
				for (const char of value) ranges.add(char.codePointAt(0)! >> 8);
			}
		}
	}
}

function rangeName(block: number): string {
	return `${block * 256}-${block * 256 + 255}`;
}

export class PackManager {
	private readonly queue: string[] = [];
	private running: { id: string; abort: AbortController } | null = null;

	constructor(
		private readonly service: BasemapService,
		private readonly limits: PackLimits,
		private readonly logger: Logger
	) {
		// Downloads a restart interrupted carry on.
		if (service.enabled) for (const pack of service.cache.unfinishedPacks()) this.enqueue(pack.id);
	}

	private get cache(): TileCache {
		return this.service.cache;
	}

	async estimate(bbox: Bbox, maxZoom: number): Promise<PackEstimate> {
		const plan = await this.service.plan();
		if (!plan) throw new PackError('the street map is not available right now; connect this server to the internet first', 503);
		return estimatePack(plan, this.cache, bbox, maxZoom, this.limits);
	}

	list(mapId: string): PackRecord[] {
		return this.service.enabled ? this.cache.packsOf(mapId) : [];
	}

	async create(mapId: string, name: string, bbox: Bbox, maxZoom: number): Promise<{ pack: PackRecord; estimate: PackEstimate }> {
		const estimate = await this.estimate(bbox, maxZoom);
		if (!estimate.withinLimits) throw new PackError('this area is bigger than the server allows for one offline pack; zoom in or lower the detail', 413);
		if (this.cache.packsOf(mapId).length >= MAX_PACKS_PER_MAP) throw new PackError(`a map can keep at most ${MAX_PACKS_PER_MAP} offline areas; remove one first`, 409);
		const pack = this.cache.createPack({ id: randomBytes(8).toString('hex'), mapId, name, bbox, maxZoom, createdAt: Date.now() });
		this.cache.updatePack(pack.id, { total: estimate.tiles + spriteResources((await this.service.plan())!).length });
		this.enqueue(pack.id);
		return { pack: this.cache.pack(pack.id)!, estimate };
	}

	resume(mapId: string, id: string): PackRecord {
		const pack = this.owned(mapId, id);
		if (pack.state === 'failed') {
			this.cache.updatePack(id, { state: 'queued', error: null });
			this.enqueue(id);
		}
		return this.cache.pack(id)!;
	}

	remove(mapId: string, id: string): void {
		this.owned(mapId, id);
		if (this.running?.id === id) this.running.abort.abort();
		const queued = this.queue.indexOf(id);
		if (queued >= 0) this.queue.splice(queued, 1);
		this.cache.removePack(id);
	}

	private owned(mapId: string, id: string): PackRecord {
		const pack = this.cache.pack(id);
		if (!pack || pack.mapId !== mapId) throw new PackError('no such offline area', 404);
		return pack;
	}

	private enqueue(id: string): void {
		if (!this.queue.includes(id) && this.running?.id !== id) this.queue.push(id);
		if (!this.running) void this.next();
	}

	private async next(): Promise<void> {
		const id = this.queue.shift();
		if (!id) return;
		const abort = new AbortController();
		this.running = { id, abort };
		try {
			await this.download(id, abort.signal);
		} catch (error) {
			this.logger.error(`basemap: offline area ${id} failed: ${error instanceof Error ? error.message : String(error)}`);
			if (this.cache.pack(id)) this.cache.updatePack(id, { state: 'failed', error: 'the download stopped unexpectedly' });
		} finally {
			this.running = null;
			void this.next();
		}
	}

	/** Stops everything; a pack being downloaded resumes on the next start. */
	close(): void {
		this.queue.length = 0;
		this.running?.abort.abort();
	}

	private async download(id: string, signal: AbortSignal): Promise<void> {
		const pack = this.cache.pack(id);
		if (!pack) return;
		const plan = await this.service.plan();
		if (!plan) {
			this.cache.updatePack(id, { state: 'failed', error: 'the street map server could not be reached' });
			return;
		}
		this.cache.updatePack(id, { state: 'downloading', error: null });
		const ranges = new Set<number>([0]);
		const vectorSources = new Set(Object.entries(plan.sources).filter(([, spec]) => spec.type === 'vector').map(([source]) => source));
		const resources: BasemapResource[] = [...spriteResources(plan), ...tileResources(plan, pack.bbox, pack.maxZoom)];
		let total = resources.length;
		let done = 0;
		let failure: string | null = null;
		let bytes = pack.bytes;
		let lastReport = 0;
		const report = (force = false) => {
			if (!force && Date.now() - lastReport < 250) return;
			lastReport = Date.now();
			this.cache.updatePack(id, { done, total });
		};

		const fetchOne = async (resource: BasemapResource) => {
			const key = resourceKey(resource);
			for (let attempt = 1; ; attempt++) {
				const served = this.cache.isInPack(id, key) ? null : await this.service.get(resource);
				if (served?.kind === 'unavailable') {
					if (served.status === 404) break; // not part of the style (e.g. beyond a source's zooms): nothing to keep
					if (attempt >= ATTEMPTS) throw new PackError(served.reason, 503);
					await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
					continue;
				}
				const body = served?.resource.body ?? this.cache.get(key)?.body;
				if (served && this.cache.has(key)) {
					this.cache.pin(id, key);
					bytes += body?.byteLength ?? 0;
				}
				if (resource.kind === 'tile' && vectorSources.has(resource.source) && body && body.length > 0) glyphRangesOf(body, ranges);
				break;
			}
			done++;
			report();
		};

		const run = async (list: BasemapResource[]) => {
			let next = 0;
			const worker = async () => {
				while (next < list.length && !signal.aborted && failure === null) {
					const resource = list[next++];
					try {
						await fetchOne(resource);
					} catch (error) {
						failure = error instanceof Error ? error.message : String(error);
					}
					if (bytes > this.limits.maxBytes) failure = 'this area turned out bigger than the server allows for one offline pack';
				}
			};
			await Promise.all(Array.from({ length: CONCURRENCY }, worker));
		};

		await run(resources);
		if (!signal.aborted && failure === null && plan.glyphs) {
			const glyphs: BasemapResource[] = plan.fontstacks.flatMap((fontstack) => [...ranges].sort((a, b) => a - b).map((block): BasemapResource => ({ kind: 'glyph', fontstack, range: rangeName(block) })));
			total += glyphs.length;
			report(true);
			await run(glyphs);
		}
		if (signal.aborted || !this.cache.pack(id)) return;
		report(true);
		if (failure !== null) this.cache.updatePack(id, { state: 'failed', error: failure });
		else this.cache.updatePack(id, { state: 'ready', done: total, total });
	}
}
