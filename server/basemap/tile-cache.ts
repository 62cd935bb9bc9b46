/**
 * The basemap's disk cache and offline area packs: one SQLite file beside the maps
 * (`DATA_DIR/basemap.sqlite`), apart from them so a large cache never slows map writes
 * and can be deleted without losing anything of value.
 *
 * Everything the browser gets from /basemap/ is a resource under a key (`t/<source>/<z>/<x>/<y>`,
 * `g/<fontstack>/<range>`, `s/<sprite><@2x>.<ext>`, `plan`). Resources a pack holds are
 * pinned: kept past their expiry and never evicted. The rest is a cache, evicted least
 * recently used when it outgrows its cap.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Bbox } from './tile-math.ts';

export interface CachedResource {
	/** 200, or 204 for "the upstream has nothing here" (an empty tile). */
	status: 200 | 204;
	contentType: string;
	/** The body is stored gzip-compressed. */
	gzipped: boolean;
	body: Buffer;
	etag: string | null;
	lastModified: string | null;
	fetchedAt: number;
	expiresAt: number;
}

export type PackState = 'queued' | 'downloading' | 'ready' | 'failed';

export interface PackRecord {
	id: string;
	mapId: string;
	name: string;
	bbox: Bbox;
	maxZoom: number;
	createdAt: number;
	state: PackState;
	/** Resources to fetch so far (glyph ranges are added once the tiles say which scripts they hold). */
	total: number;
	done: number;
	/** Bytes of the resources the pack holds, as stored. */
	bytes: number;
	error: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS resources (
	key TEXT PRIMARY KEY,
	status INTEGER NOT NULL,
	content_type TEXT NOT NULL,
	gzipped INTEGER NOT NULL,
	body BLOB NOT NULL,
	etag TEXT,
	last_modified TEXT,
	fetched_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at INTEGER NOT NULL,
	bytes INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS resources_used ON resources (used_at);
CREATE TABLE IF NOT EXISTS packs (
	id TEXT PRIMARY KEY,
	map_id TEXT NOT NULL,
	name TEXT NOT NULL,
	bbox TEXT NOT NULL,
	max_zoom INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	state TEXT NOT NULL,
	total INTEGER NOT NULL,
	done INTEGER NOT NULL,
	error TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS packs_map ON packs (map_id);
CREATE TABLE IF NOT EXISTS pack_resources (
	pack_id TEXT NOT NULL,
	key TEXT NOT NULL,
	PRIMARY KEY (pack_id, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pack_resources_key ON pack_resources (key);
CREATE TABLE IF NOT EXISTS settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;
`;

/** A hit refreshes `used_at` at most this often, so reads rarely become writes. */
const TOUCH_EVERY_MS = 60 * 60 * 1000;

interface ResourceRow {
	status: number;
	content_type: string;
	gzipped: number;
	body: Buffer;
	etag: string | null;
	last_modified: string | null;
	fetched_at: number;
	expires_at: number;
	used_at: number;
}

interface PackRow {
	id: string;
	map_id: string;
	name: string;
	bbox: string;
	max_zoom: number;
	created_at: number;
	state: string;
	total: number;
	done: number;
	error: string | null;
	bytes: number | null;
}

function packOf(row: PackRow): PackRecord {
	return {
		id: row.id,
		mapId: row.map_id,
		name: row.name,
		bbox: JSON.parse(row.bbox) as Bbox,
		maxZoom: row.max_zoom,
		createdAt: row.created_at,
		state: row.state as PackState,
		total: row.total,
		done: row.done,
		bytes: row.bytes ?? 0,
		error: row.error
	};
}

export class TileCache {
	private readonly db: Database.Database;
	/** Bytes of resources no pack holds, kept current so eviction needs no scan. */
	private looseBytes: number;

	constructor(
		dataDir: string,
		private readonly maxLooseBytes: number
	) {
		mkdirSync(dataDir, { recursive: true });
		this.db = new Database(join(dataDir, 'basemap.sqlite'));
		this.db.pragma('journal_mode = WAL');
		// Losing the last cached tiles in a power cut costs a refetch, nothing more.
		this.db.pragma('synchronous = NORMAL');
		this.db.exec(SCHEMA);
		this.looseBytes = this.computeLooseBytes();
	}

	private computeLooseBytes(): number {
		const row = this.db
			.prepare('SELECT COALESCE(SUM(bytes), 0) AS total FROM resources WHERE key NOT IN (SELECT key FROM pack_resources)')
			.get() as { total: number };
		return row.total;
	}

	get(key: string, now = Date.now()): CachedResource | null {
		const row = this.db
			.prepare('SELECT status, content_type, gzipped, body, etag, last_modified, fetched_at, expires_at, used_at FROM resources WHERE key = ?')
			.get(key) as ResourceRow | undefined;
		if (!row) return null;
		if (now - row.used_at > TOUCH_EVERY_MS) this.db.prepare('UPDATE resources SET used_at = ? WHERE key = ?').run(now, key);
		return {
			status: row.status === 204 ? 204 : 200,
			contentType: row.content_type,
			gzipped: row.gzipped === 1,
			body: row.body,
			etag: row.etag,
			lastModified: row.last_modified,
			fetchedAt: row.fetched_at,
			expiresAt: row.expires_at
		};
	}

	has(key: string): boolean {
		return this.db.prepare('SELECT 1 FROM resources WHERE key = ?').get(key) !== undefined;
	}

	/** How many of `keys` are stored. */
	countStored(keys: string[]): number {
		const has = this.db.prepare('SELECT 1 FROM resources WHERE key = ?');
		let count = 0;
		for (const key of keys) if (has.get(key) !== undefined) count++;
		return count;
	}

	put(key: string, resource: CachedResource, now = Date.now()): void {
		const bytes = resource.body.byteLength;
		const pinned = this.isPinned(key);
		const previous = this.db.prepare('SELECT bytes FROM resources WHERE key = ?').get(key) as { bytes: number } | undefined;
		this.db
			.prepare(
				`INSERT INTO resources (key, status, content_type, gzipped, body, etag, last_modified, fetched_at, expires_at, used_at, bytes)
				 VALUES (@key, @status, @contentType, @gzipped, @body, @etag, @lastModified, @fetchedAt, @expiresAt, @now, @bytes)
				 ON CONFLICT (key) DO UPDATE SET status = excluded.status, content_type = excluded.content_type, gzipped = excluded.gzipped,
				 body = excluded.body, etag = excluded.etag, last_modified = excluded.last_modified, fetched_at = excluded.fetched_at,
				 expires_at = excluded.expires_at, used_at = excluded.used_at, bytes = excluded.bytes`
			)
			.run({ key, ...resource, gzipped: resource.gzipped ? 1 : 0, now, bytes });
		if (!pinned) this.looseBytes += bytes - (previous?.bytes ?? 0);
		if (this.looseBytes > this.maxLooseBytes) this.evict();
	}

	/** A revalidated resource (304) stays as it is, fresh for longer. */
	extend(key: string, expiresAt: number, now = Date.now()): void {
		this.db.prepare('UPDATE resources SET expires_at = ?, fetched_at = ?, used_at = ? WHERE key = ?').run(expiresAt, now, now, key);
	}

	private isPinned(key: string): boolean {
		return this.db.prepare('SELECT 1 FROM pack_resources WHERE key = ? LIMIT 1').get(key) !== undefined;
	}

	/** Least recently used first, down to 90% of the cap; pinned resources are never evicted. */
	private evict(): void {
		const target = this.maxLooseBytes * 0.9;
		const victims = this.db.prepare(
			'SELECT key, bytes FROM resources WHERE key NOT IN (SELECT key FROM pack_resources) ORDER BY used_at LIMIT 500'
		);
		const remove = this.db.prepare('DELETE FROM resources WHERE key = ?');
		while (this.looseBytes > target) {
			const batch = victims.all() as { key: string; bytes: number }[];
			if (batch.length === 0) break;
			this.db.transaction(() => {
				for (const victim of batch) {
					if (this.looseBytes <= target) break;
					remove.run(victim.key);
					this.looseBytes -= victim.bytes;
				}
			})();
		}
	}

	/** The average stored size of a source's tiles at one zoom, if any are stored. */
	averageTileBytes(source: string, z: number): number | null {
		const row = this.db
			.prepare("SELECT AVG(bytes) AS average, COUNT(*) AS n FROM resources WHERE key GLOB ? AND status = 200")
			.get(`t/${source}/${z}/*`) as { average: number | null; n: number };
		return row.n >= 3 && row.average !== null ? row.average : null;
	}

	// --- settings (the current style plan) ---

	setting(key: string): string | null {
		const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
		return row?.value ?? null;
	}

	setSetting(key: string, value: string): void {
		this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
	}

	// --- packs ---

	createPack(pack: Omit<PackRecord, 'bytes' | 'error' | 'done' | 'total' | 'state'>): PackRecord {
		this.db
			.prepare(
				`INSERT INTO packs (id, map_id, name, bbox, max_zoom, created_at, state, total, done, error)
				 VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, 0, NULL)`
			)
			.run(pack.id, pack.mapId, pack.name, JSON.stringify(pack.bbox), pack.maxZoom, pack.createdAt);
		return this.pack(pack.id)!;
	}

	private readonly packSelect = `SELECT p.*, (SELECT SUM(r.bytes) FROM pack_resources pr JOIN resources r ON r.key = pr.key WHERE pr.pack_id = p.id) AS bytes FROM packs p`;

	pack(id: string): PackRecord | null {
		const row = this.db.prepare(`${this.packSelect} WHERE p.id = ?`).get(id) as PackRow | undefined;
		return row ? packOf(row) : null;
	}

	packsOf(mapId: string): PackRecord[] {
		return (this.db.prepare(`${this.packSelect} WHERE p.map_id = ? ORDER BY p.created_at`).all(mapId) as PackRow[]).map(packOf);
	}

	unfinishedPacks(): PackRecord[] {
		return (this.db.prepare(`${this.packSelect} WHERE p.state IN ('queued', 'downloading') ORDER BY p.created_at`).all() as PackRow[]).map(packOf);
	}

	updatePack(id: string, fields: Partial<Pick<PackRecord, 'state' | 'total' | 'done' | 'error'>>): void {
		const current = this.db.prepare('SELECT state, total, done, error FROM packs WHERE id = ?').get(id) as
			| { state: string; total: number; done: number; error: string | null }
			| undefined;
		if (!current) return;
		const next = { ...current, ...fields };
		this.db.prepare('UPDATE packs SET state = ?, total = ?, done = ?, error = ? WHERE id = ?').run(next.state, next.total, next.done, next.error, id);
	}

	isInPack(packId: string, key: string): boolean {
		return this.db.prepare('SELECT 1 FROM pack_resources WHERE pack_id = ? AND key = ?').get(packId, key) !== undefined;
	}

	/** Pins a stored resource to a pack. */
	pin(packId: string, key: string): void {
		const wasPinned = this.isPinned(key);
		const inserted = this.db.prepare('INSERT OR IGNORE INTO pack_resources (pack_id, key) VALUES (?, ?)').run(packId, key);
		if (inserted.changes > 0 && !wasPinned) {
			const row = this.db.prepare('SELECT bytes FROM resources WHERE key = ?').get(key) as { bytes: number } | undefined;
			this.looseBytes -= row?.bytes ?? 0;
		}
	}

	/** Forgets a pack; what only it held becomes ordinary cache (and may be evicted). */
	removePack(id: string): void {
		this.db.transaction(() => {
			this.db.prepare('DELETE FROM pack_resources WHERE pack_id = ?').run(id);
			this.db.prepare('DELETE FROM packs WHERE id = ?').run(id);
		})();
		this.looseBytes = this.computeLooseBytes();
		if (this.looseBytes > this.maxLooseBytes) this.evict();
	}

	/** Whether any pack's area contains this point. */
	packsCovering(lng: number, lat: number): PackRecord[] {
		return (this.db.prepare(`${this.packSelect} WHERE p.state = 'ready'`).all() as PackRow[])
			.map(packOf)
			.filter((pack) => lng >= pack.bbox[0] && lng <= pack.bbox[2] && lat >= pack.bbox[1] && lat <= pack.bbox[3]);
	}

	close(): void {
		this.db.close();
	}
}
