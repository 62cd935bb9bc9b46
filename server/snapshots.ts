/**
 * Citable snapshots (issue 11): freezing a map, listing its snapshots, the public JSON a
 * snapshot's page reads, its downloads under /s/<id>/export.<ext>, and annotations.
 *
 * A snapshot is the public face of the map (src/lib/export/snapshot.ts) at the moment it
 * was taken: everything the room has accepted (the stored log, merged with the open
 * room's document, which holds what is being committed right now). Its GeoJSON bytes are
 * stored as made and hashed; the citation carries the hash, and the download is exactly
 * those bytes. CSV and KML are made again from the stored state with the same pure
 * exporters, so they are the same every time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AFFILIATIONS, type Affiliation } from '../src/lib/doc/model.ts';
import { capMarks, cleanDisplayName, wellFormed } from '../src/lib/doc/names.ts';
import { isRecord } from '../src/lib/doc/validate.ts';
import { citation, type Citation } from '../src/lib/export/citation.ts';
import { isCompetency } from '../src/lib/export/competencies.ts';
import { exportFileName } from '../src/lib/export/map-data.ts';
import type { SnapshotMeta } from '../src/lib/export/snapshot.ts';
import type { Voices } from '../src/lib/voices/aggregate.ts';
import type { MadeFormat } from './snapshot-files.ts';
import { MAX_BODY_BYTES, authorize, authorizeWriter, bearerKey, requester, type ApiContext } from './api.ts';
import { hashKey, roleForKey } from './auth.ts';
import { readBinaryBody, readJsonBody } from './http/body.ts';
import { sendError, sendJson } from './http/respond.ts';
import { isAllowedOrigin, linkOrigin } from './origin.ts';
import { ReportBusyError, freezeInWorker, renderFile } from './pdf/render.ts';
import { pngInfo } from './png.ts';
import { journalVoices } from './voices.ts';
import {
	AnnotationLimitError,
	MAX_SNAPSHOTS_PER_MAP,
	SnapshotLimitError,
	type SnapshotAnnotation,
	type SnapshotAuthor,
	type SnapshotRecord,
	type SnapshotSummary
} from './persistence/doc-store.ts';

/** 128 random bits, base64url: a snapshot's id is its only address, so it must not be guessable. */
const SNAPSHOT_ID = /^[A-Za-z0-9_-]{22}$/;
export const MAX_ANNOTATION_CHARS = 4000;
/** A snapshot's picture: 2× a wide map with its legend is 2–6 MB of PNG; more is not a picture of a map. */
export const MAX_PNG_BYTES = 12 * 1024 * 1024;
/** Pixels on the longer side; the browser makes 2400 or so. */
const MAX_PNG_SIDE = 8192;
/** The browser's picture of a map is about 5.5 million pixels (2400 × 2300). */
const MAX_PNG_PIXELS = 16_000_000;
const MAX_NAME_CHARS = 80;

/** What the store keeps as a snapshot's meta: the counts and the address it is cited at. */
export interface StoredSnapshotMeta extends SnapshotMeta {
	url: string;
	/**
	 * Whose voices are on the map, frozen with it (src/lib/voices): from the history journal
	 * up to takenAt, or from the document when the map has none. Absent in snapshots taken
	 * before issue 13; their report counts the frozen document instead.
	 */
	voices?: Voices;
}

export function isSnapshotId(value: string): boolean {
	return SNAPSHOT_ID.test(value);
}

function newSnapshotId(): string {
	return randomBytes(16).toString('base64url');
}

const sha256Hex = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

function metaOf(record: Pick<SnapshotRecord, 'meta'>): StoredSnapshotMeta {
	return record.meta as StoredSnapshotMeta;
}

function citationOf(record: Pick<SnapshotRecord, 'meta' | 'takenAt' | 'sha256'>): Citation {
	const meta = metaOf(record);
	return citation({ title: meta.title, place: meta.place, takenAt: record.takenAt, url: meta.url, sha256: record.sha256, contributors: meta.counts.contributors });
}

/** `takenBy` as given: absent or null is fine; otherwise a name (cleaned) and an affiliation from the list. */
function parseTakenBy(value: unknown): SnapshotAuthor | null | string {
	if (value === undefined || value === null) return null;
	if (!isRecord(value)) return 'takenBy must be { name, affiliation }';
	if (typeof value.name !== 'string') return 'takenBy.name must be text';
	const name = cleanDisplayName(value.name, MAX_NAME_CHARS);
	if (!name) return 'takenBy.name must not be empty';
	let affiliation: Affiliation | null = null;
	if (value.affiliation !== undefined && value.affiliation !== null) {
		if (typeof value.affiliation !== 'string' || !(AFFILIATIONS as readonly string[]).includes(value.affiliation)) {
			return `takenBy.affiliation must be one of ${AFFILIATIONS.join(', ')}`;
		}
		affiliation = value.affiliation as Affiliation;
	}
	return { name, affiliation };
}

/** Everything the room has accepted: the stored log, and the open room's document (which holds what is being committed right now). */
async function acceptedUpdates(ctx: ApiContext, mapId: string): Promise<Uint8Array[]> {
	const live = ctx.liveState(mapId);
	const rows = (await ctx.store.loadUpdates(mapId)).map((row) => row.data);
	return live ? [...rows, live] : rows;
}

/** Maps with a snapshot being frozen right now: one at a time per map, so nobody can queue up a map's worth of work. */
const freezing = new Set<string>();
/** Snapshots whose picture is being uploaded: one body at a time per snapshot. */
const uploading = new Set<string>();

/** POST /api/maps/<id>/snapshots { takenBy? } (editor or facilitator). */
export async function createSnapshot(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string): Promise<void> {
	if (!isAllowedOrigin(req, ctx.config)) {
		req.resume();
		return sendError(res, 403, 'origin not allowed');
	}
	const auth = await authorizeWriter(ctx, req, res, mapId, 'a view-only link cannot take snapshots');
	if (!auth) return;
	const reach = linkOrigin(req, ctx.config, ctx.lanAddresses);
	if (!reach) {
		req.resume();
		return sendError(res, 400, 'missing or invalid Host header');
	}
	let takenBy: SnapshotAuthor | null = null;
	// The body is optional: no Content-Type and no bytes means nobody said who took it.
	const empty = req.headers['content-type'] === undefined && (req.headers['content-length'] === undefined || req.headers['content-length'] === '0') && req.headers['transfer-encoding'] === undefined;
	if (empty) req.resume();
	else {
		const body = await readJsonBody(req, MAX_BODY_BYTES);
		if (!body.ok) return sendError(res, body.status, body.error, body.status === 413 ? { Connection: 'close' } : {});
		if (!isRecord(body.value)) return sendError(res, 400, 'request body must be a JSON object');
		const parsed = parseTakenBy(body.value.takenBy);
		if (typeof parsed === 'string') return sendError(res, 400, parsed);
		takenBy = parsed;
	}
	if (ctx.storageFull()) return sendError(res, 507, 'this server has no room for new snapshots; ask whoever runs it');
	// Cheap refusals first: the work below is a map's worth of merging and exporting.
	if ((await ctx.store.listSnapshots(mapId)).length >= MAX_SNAPSHOTS_PER_MAP) {
		return sendError(res, 409, `this map already has ${MAX_SNAPSHOTS_PER_MAP} snapshots, the most it can keep`);
	}
	if (freezing.has(mapId)) return sendError(res, 429, 'a snapshot of this map is being taken; try again in a moment', { 'Retry-After': '2' });
	freezing.add(mapId);
	let made: Awaited<ReturnType<typeof freezeInWorker>>;
	let voices: Voices | null;
	const takenAt = Date.now();
	try {
		made = await freezeInWorker(await acceptedUpdates(ctx, mapId), takenAt);
		// The journal up to the freeze: every update the freeze holds was journaled when it was stored.
		voices = await journalVoices(ctx.store, mapId, takenAt);
	} catch (error) {
		freezing.delete(mapId);
		if (error instanceof ReportBusyError) return sendError(res, 503, 'the server is busy making snapshots and reports; try again in a moment', { 'Retry-After': '10' });
		throw error;
	}
	freezing.delete(mapId);
	const { state, geojson } = made;
	const sha256 = sha256Hex(geojson);
	const annotationKey = randomBytes(24).toString('base64url');
	for (let attempt = 0; attempt < 5; attempt++) {
		const id = newSnapshotId();
		const url = `${reach.origin}/s/${id}`;
		const meta: StoredSnapshotMeta = { ...made.meta, url, voices: voices ?? made.voices };
		const record: SnapshotRecord = {
			id,
			mapId,
			takenAt,
			takenBy,
			state,
			geojson,
			sha256,
			meta,
			annotationKeyHash: hashKey(annotationKey),
			annotations: [],
			png: null,
			pngSha256: null
		};
		if (await ctx.store.getSnapshot(id)) continue;
		try {
			await ctx.store.createSnapshot(record);
		} catch (error) {
			if (error instanceof SnapshotLimitError) return sendError(res, 409, `this map already has ${error.limit} snapshots, the most it can keep`);
			throw error;
		}
		return sendJson(res, 201, { id, url, sha256, citation: citationOf(record), annotationKey });
	}
	throw new Error('could not find a free snapshot id');
}

function summaryView(summary: SnapshotSummary) {
	const meta = metaOf(summary);
	return { id: summary.id, url: meta.url, takenAt: summary.takenAt, takenBy: summary.takenBy, sha256: summary.sha256, counts: meta.counts };
}

/** GET /api/maps/<id>/snapshots (any role): newest first. */
export async function listSnapshots(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string): Promise<void> {
	const auth = await authorize(ctx, req, res, mapId);
	if (!auth) return;
	sendJson(res, 200, { snapshots: (await ctx.store.listSnapshots(mapId)).map(summaryView) });
}

function annotationView({ id, at, text, competencies, by }: SnapshotAnnotation) {
	return { id, at, text, competencies, by };
}

/** GET /api/snapshots/<id> (no key): what the snapshot's page shows. */
export async function snapshotJson(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
	req.resume();
	const record = isSnapshotId(id) ? await ctx.store.getSnapshot(id) : null;
	if (!record) return sendError(res, 404, 'no such snapshot');
	const meta = metaOf(record);
	const head = JSON.stringify({
		id: record.id,
		url: meta.url,
		takenAt: record.takenAt,
		takenBy: record.takenBy,
		sha256: record.sha256,
		pngSha256: record.pngSha256,
		meta,
		citation: citationOf(record),
		annotations: record.annotations.map(annotationView)
	});
	// The stored GeoJSON is JSON already (we wrote it): spliced in as it is, not parsed and written again for every reader.
	const body = Buffer.concat([Buffer.from(`${head.slice(0, -1)},"geojson":`), storedBlob(record, 'geojson') ?? Buffer.from('null'), Buffer.from('}')]);
	res.setTimeout(STALLED_DOWNLOAD_MS, () => res.destroy());
	res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.byteLength, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff' }).end(body);
}

/** Whether `key` is the snapshot's annotation key (compared as hashes, in constant time). */
function isAnnotationKey(record: SnapshotRecord, key: string): boolean {
	const a = Buffer.from(hashKey(key), 'hex');
	const b = Buffer.from(record.annotationKeyHash, 'hex');
	return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Who may annotate a snapshot or file its picture: the holder of its annotation key or the
 * map's facilitator. Anyone else gets 401 (after the usual wait for a wrong key) and null.
 */
async function annotator(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, record: SnapshotRecord): Promise<SnapshotAnnotation['by'] | null> {
	const key = bearerKey(req);
	if (key && isAnnotationKey(record, key)) return 'annotator';
	if (key) {
		const map = await ctx.store.getMap(record.mapId);
		if (map && roleForKey(map.keyHashes, key) === 'facilitator') return 'facilitator';
	}
	req.resume();
	const address = requester(ctx, req);
	if (!ctx.failures.mayTry(address)) {
		sendError(res, 429, 'too many wrong keys or codes at once; wait a moment', { 'Retry-After': '5' });
		return null;
	}
	await ctx.failures.failAndWait(address);
	sendError(res, 401, 'only the snapshot’s annotation key or the map’s facilitator key can do this', { 'WWW-Authenticate': 'Bearer' });
	return null;
}

/**
 * The snapshot a write (an annotation, its picture) is for, and who is writing: the origin
 * allowed, the snapshot there, the key its annotation key or the facilitator's. Otherwise
 * the answer is sent and null returned.
 */
async function snapshotWriter(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, id: string): Promise<{ record: SnapshotRecord; by: SnapshotAnnotation['by'] } | null> {
	if (!isAllowedOrigin(req, ctx.config)) {
		req.resume();
		sendError(res, 403, 'origin not allowed');
		return null;
	}
	const record = isSnapshotId(id) ? await ctx.store.getSnapshot(id) : null;
	if (!record) {
		req.resume();
		sendError(res, 404, 'no such snapshot');
		return null;
	}
	const by = await annotator(ctx, req, res, record);
	return by ? { record, by } : null;
}

/**
 * PUT /api/snapshots/<id>/png (image/png) with the annotation key or the facilitator key:
 * the picture the browser made of the snapshot when it was frozen. Filed once; a snapshot's
 * picture is as fixed as the rest of it, so a second one gets 409.
 */
export async function filePicture(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
	const writer = await snapshotWriter(ctx, req, res, id);
	if (!writer) return;
	const { record } = writer;
	if (record.png) {
		req.resume();
		return sendError(res, 409, 'this snapshot already has its picture');
	}
	if (uploading.has(record.id)) {
		req.resume();
		return sendError(res, 409, 'this snapshot’s picture is being uploaded already', { Connection: 'close' });
	}
	if (ctx.storageFull()) {
		req.resume();
		return sendError(res, 507, 'this server has no room for new pictures; ask whoever runs it', { Connection: 'close' });
	}
	uploading.add(record.id);
	const body = await readBinaryBody(req, MAX_PNG_BYTES, 'image/png').finally(() => uploading.delete(record.id));
	if (!body.ok) return sendError(res, body.status, body.error, body.status === 413 ? { Connection: 'close' } : {});
	// Decoded here, as every PDF report will decode it: a small file may declare a huge or deep image.
	const size = pngInfo(body.bytes, MAX_PNG_PIXELS);
	if (!size) return sendError(res, 400, `the body is not a whole PNG file of at most ${MAX_PNG_PIXELS / 1e6} million pixels`);
	if (size.width > MAX_PNG_SIDE || size.height > MAX_PNG_SIDE) return sendError(res, 400, `a picture may be at most ${MAX_PNG_SIDE} pixels on a side`);
	if (size.depth > 8) return sendError(res, 400, 'a picture may have at most 8 bits per sample');
	if (ctx.storageFull()) return sendError(res, 507, 'this server has no room for new pictures; ask whoever runs it');
	const sha256 = sha256Hex(body.bytes);
	const outcome = await ctx.store.setSnapshotPng(record.id, body.bytes, sha256);
	if (outcome === 'missing') return sendError(res, 404, 'no such snapshot');
	if (outcome === 'exists') return sendError(res, 409, 'this snapshot already has its picture');
	sendJson(res, 201, { pngSha256: sha256, width: size.width, height: size.height });
}

function cleanText(raw: string): string {
	return capMarks(wellFormed(raw))
		.normalize('NFC')
		.replace(/\r\n?/g, '\n')
		.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '')
		.trim();
}

/** POST /api/snapshots/<id>/annotations { text, competencies } with the annotation key or the map's facilitator key. */
export async function annotate(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
	const writer = await snapshotWriter(ctx, req, res, id);
	if (!writer) return;
	const { record, by } = writer;
	const body = await readJsonBody(req, MAX_BODY_BYTES * 2);
	if (!body.ok) return sendError(res, body.status, body.error, body.status === 413 ? { Connection: 'close' } : {});
	if (!isRecord(body.value)) return sendError(res, 400, 'request body must be a JSON object');
	const { text, competencies } = body.value;
	if (typeof text !== 'string') return sendError(res, 400, 'text is required');
	const cleaned = cleanText(text);
	if (!cleaned) return sendError(res, 400, 'text must not be empty');
	if ([...cleaned].length > MAX_ANNOTATION_CHARS) return sendError(res, 400, `text must be at most ${MAX_ANNOTATION_CHARS} characters`);
	const list = competencies ?? [];
	if (!Array.isArray(list) || !list.every(isCompetency)) return sendError(res, 400, 'competencies must be a list of competency ids');
	const annotation: SnapshotAnnotation = {
		id: randomBytes(9).toString('base64url'),
		at: Date.now(),
		text: cleaned,
		competencies: [...new Set(list)],
		by
	};
	try {
		if (!(await ctx.store.addAnnotation(record.id, annotation))) return sendError(res, 404, 'no such snapshot');
	} catch (error) {
		if (error instanceof AnnotationLimitError) return sendError(res, 409, `this snapshot already has ${error.limit} annotations, the most it can keep`);
		throw error;
	}
	sendJson(res, 201, { annotation: annotationView(annotation) });
}

const EXPORT_PATH = /^\/s\/([^/]*)\/export\.([a-z]+)$/;
const EXPORT_TYPES: Record<string, string> = {
	geojson: 'application/geo+json',
	csv: 'text/csv; charset=utf-8',
	kml: 'application/vnd.google-earth.kml+xml; charset=utf-8',
	png: 'image/png',
	pdf: 'application/pdf'
};

export function isSnapshotExportPath(pathname: string): boolean {
	return pathname.startsWith('/s/') && pathname.includes('/export.');
}

function notFound(res: ServerResponse): void {
	res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' }).end('no such snapshot or file');
}

/**
 * The bytes of one download: the stored GeoJSON and picture as they are, CSV, KML and the
 * PDF report from the stored state; null when there is no picture yet.
 */
async function exportBytes(record: SnapshotRecord, format: string): Promise<Uint8Array | null> {
	if (format === 'geojson' || format === 'png') return storedBlob(record, format);
	return renderFile(record, format as MadeFormat);
}

/** Stored blobs recently served, shared: a hundred slow downloads of one picture hold one copy, not a hundred. */
const blobs = new Map<string, Uint8Array>();
let blobBytes = 0;
const BLOB_CACHE_BYTES = 64 * 1024 * 1024;

function storedBlob(record: SnapshotRecord, format: 'geojson' | 'png'): Uint8Array | null {
	const key = `${record.id}:${format}`;
	const cached = blobs.get(key);
	if (cached) {
		blobs.delete(key);
		blobs.set(key, cached);
		return cached;
	}
	const bytes = format === 'geojson' ? record.geojson : record.png;
	if (!bytes || bytes.byteLength > BLOB_CACHE_BYTES / 4) return bytes;
	blobs.set(key, bytes);
	blobBytes += bytes.byteLength;
	for (const [oldest, old] of blobs) {
		if (blobBytes <= BLOB_CACHE_BYTES) break;
		blobs.delete(oldest);
		blobBytes -= old.byteLength;
	}
	return bytes;
}

/** A download that makes no progress for this long is dropped: a client that never reads must not hold its bytes. */
const STALLED_DOWNLOAD_MS = 30_000;

/** GET|HEAD /s/<id>/export.<geojson|csv|kml|pdf> (no key): a download that never changes. */
export async function handleSnapshotExport(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
	req.resume();
	try {
		if (req.method !== 'GET' && req.method !== 'HEAD') {
			res.writeHead(405, { Allow: 'GET, HEAD', 'Cache-Control': 'no-store' }).end();
			return;
		}
		const match = EXPORT_PATH.exec(pathname);
		// A path that is not a snapshot download never reaches the store.
		if (!match || !isSnapshotId(match[1]) || !Object.hasOwn(EXPORT_TYPES, match[2])) return notFound(res);
		const [, id, format] = match;
		const record = await ctx.store.getSnapshot(id);
		if (!record) return notFound(res);
		const bytes = await exportBytes(record, format);
		if (!bytes) return notFound(res);
		const etag = `"${format === 'geojson' ? record.sha256 : format === 'png' && record.pngSha256 ? record.pngSha256 : sha256Hex(bytes)}"`;
		const day = new Date(record.takenAt).toISOString().slice(0, 10);
		const filename = exportFileName(metaOf(record).title, format, `-snapshot-${day}`);
		const headers = {
			'Content-Type': EXPORT_TYPES[format],
			'Content-Disposition': `attachment; filename="${filename}"`,
			// A picture (or a file someone renamed) is never a page that could run script.
			'Content-Security-Policy': "default-src 'none'; sandbox",
			ETag: etag,
			// The content of a snapshot never changes; the report also shows its annotations, added later.
			'Cache-Control': format === 'pdf' ? 'public, no-cache' : 'public, max-age=31536000, immutable',
			'X-Content-Type-Options': 'nosniff',
			'Referrer-Policy': 'no-referrer'
		};
		if (req.headers['if-none-match'] === etag) {
			res.writeHead(304, headers).end();
			return;
		}
		res.setTimeout(STALLED_DOWNLOAD_MS, () => res.destroy());
		res.writeHead(200, { ...headers, 'Content-Length': bytes.byteLength });
		if (req.method === 'HEAD') res.end();
		else res.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
	} catch (error) {
		if (error instanceof ReportBusyError && !res.headersSent) return sendError(res, 503, 'the server is making many reports at once; try again in a moment', { 'Retry-After': '10' });
		ctx.logger.error(`GET /s/:id/export failed: ${error instanceof Error ? error.message : String(error)}`);
		if (!res.headersSent) sendError(res, 500, 'internal error');
		else res.destroy();
	}
}
