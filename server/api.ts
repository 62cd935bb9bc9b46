/**
 * The JSON API under /api. Keys arrive only in the Authorization header or request
 * bodies and leave only in response bodies; nothing here logs a URL or a header.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as Y from 'yjs';
import { isMapId, newMapId } from '../src/lib/doc/ids.ts';
import type { Role } from '../src/lib/doc/model.ts';
import { initMap } from '../src/lib/doc/mutations.ts';
import { InvalidInputError, isRecord, parseMapView } from '../src/lib/doc/validate.ts';
import type { MapView } from '../src/lib/doc/model.ts';
import { FIRST_GENERATIONS, deriveKey, hashKey, hashKeys, keysFor, newFacilitatorKey, roleForKey, type Keys } from './auth.ts';
import type { AtlasConfig } from './config.ts';
import { readJsonBody } from './http/body.ts';
import { sendError, sendJson } from './http/respond.ts';
import { JoinCodes } from './join-codes.ts';
import { addressBucket, clientAddress } from './http/client-address.ts';
import type { FailureLimiter, KeyedRate } from './limits.ts';
import { isAllowedOrigin, linkOrigin, type LinkOrigin } from './origin.ts';
import { JoinCodeTakenError, MapExistsError, type DocStore, type MapRecord } from './persistence/doc-store.ts';
import { AnswerRates, postAnonymousAnswer } from './anonymous-answers.ts';
import type { ServerWrite } from './room/core.ts';
import { JOURNAL_KINDS, type JournalKind } from './room/journal.ts';
import type { Logger } from './room/runner.ts';
import type { BasemapService } from './basemap/basemap-service.ts';
import { PACK_MAX_ZOOM, PackError, type PackManager } from './basemap/packs.ts';
import type { PackRecord } from './basemap/tile-cache.ts';
import { parseBbox } from './basemap/tile-math.ts';
import { PlaceQueryError } from './places/gazetteer.ts';
import { annotate, createSnapshot, filePicture, listSnapshots, snapshotJson } from './snapshots.ts';
import type { PlaceService } from './places/places.ts';
import { voicesCacheFor, VoicesBusy } from './voices.ts';

export const MAX_BODY_BYTES = 16 * 1024;
const SERVER_ORIGIN = 'asset-atlas:server';

export interface ApiContext {
	config: AtlasConfig;
	store: DocStore;
	logger: Logger;
	joinCodes: JoinCodes;
	/** Failed keys and join codes per address (server/limits.ts). */
	failures: FailureLimiter;
	/** Maps created per address. */
	creations: KeyedRate;
	/** Whether all maps together have reached MAX_STORED_BYTES. */
	storageFull(): boolean;
	/** This machine's addresses on the local network (server/http/lan.ts). */
	lanAddresses(): string[];
	/** Called after a role's key changed, to close every socket still using the old one. */
	onKeyRotated(mapId: string, role: Role, generation: number): void;
	basemap: BasemapService;
	/** Offline area packs (server/basemap/packs.ts). */
	packs: PackManager;
	/** Place search: the offline gazetteer and the optional upstream (server/places/). */
	places: PlaceService;
	/** Place searches per address. */
	placeSearches: KeyedRate;
	/** The open room's document as one update, or null when the map is not open (snapshots). */
	liveState(mapId: string): Uint8Array | null;
	/**
	 * A change the server makes itself to a map's document (room/registry.ts serverWrite):
	 * resolves once it is durable and sent.
	 */
	serverWrite<T>(mapId: string, write: ServerWrite<T>): Promise<T>;
	/** Anonymous answers per address and per map (anonymous-answers.ts). */
	answerRates: AnswerRates;
}

/** The unit per-address limits count (server/http/client-address.ts). */
export function requester(ctx: { config: AtlasConfig }, req: IncomingMessage): string {
	return addressBucket(clientAddress(req, ctx.config));
}

function tooManyGuesses(res: ServerResponse): void {
	sendError(res, 429, 'too many wrong keys or codes at once; wait a moment', { 'Retry-After': '5' });
}

/** `MAP_CREATION=token`: creating a map takes the deployment's creation token. */
function mayCreate(ctx: ApiContext, req: IncomingMessage): boolean {
	if (ctx.config.mapCreation === 'open') return true;
	const presented = bearerKey(req);
	const expected = ctx.config.createToken;
	if (!presented || !expected) return false;
	const a = Buffer.from(hashKey(presented), 'hex');
	const b = Buffer.from(hashKey(expected), 'hex');
	return timingSafeEqual(a, b);
}

function linksFor(origin: string, mapId: string, keys: Keys) {
	const link = (key: string) => `${origin}/m/${mapId}#key=${key}`;
	return { facilitator: link(keys.facilitator), editor: link(keys.editor), viewer: link(keys.viewer) };
}

export function bearerKey(req: IncomingMessage): string | null {
	const header = req.headers.authorization;
	const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
	return match ? match[1] : null;
}

async function createMap(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
	if (!isAllowedOrigin(req, ctx.config)) return sendError(res, 403, 'origin not allowed');
	const reach = linkOrigin(req, ctx.config, ctx.lanAddresses);
	if (!reach) return sendError(res, 400, 'missing or invalid Host header');
	const origin = reach.origin;
	const address = requester(ctx, req);
	if (!mayCreate(ctx, req)) {
		req.resume();
		if (!ctx.failures.mayTry(address)) return tooManyGuesses(res);
		await ctx.failures.failAndWait(address);
		return sendError(res, 401, 'this server creates maps only with its creation code', { 'WWW-Authenticate': 'Bearer' });
	}
	if (ctx.storageFull()) {
		req.resume();
		return sendError(res, 507, 'this server has no room for new maps; ask whoever runs it');
	}
	const wait = ctx.creations.take(address);
	if (wait > 0) {
		req.resume();
		return sendError(res, 429, `too many new maps from one address; try again in ${Math.ceil(wait / 60)} minutes`, { 'Retry-After': String(wait) });
	}
	const body = await readJsonBody(req, MAX_BODY_BYTES);
	if (!body.ok) return sendError(res, body.status, body.error, body.status === 413 ? { Connection: 'close' } : {});
	if (!isRecord(body.value)) return sendError(res, 400, 'request body must be a JSON object');
	const { title, place, view: chosenView } = body.value;
	if (typeof title !== 'string') return sendError(res, 400, 'title is required');
	if (place !== undefined && place !== null && typeof place !== 'string') {
		return sendError(res, 400, 'place must be text');
	}
	// A place picked from the suggestions comes with its own view; otherwise a place the
	// gazetteer knows by that exact name sets where everyone starts.
	let view: MapView | undefined;
	if (chosenView !== undefined && chosenView !== null) {
		const parsed = parseMapView(chosenView);
		if (!parsed) return sendError(res, 400, 'view must be { center: [longitude, latitude], zoom } with longitude -180..180, latitude -90..90, zoom 0..24');
		view = parsed;
	} else if (typeof place === 'string' && place.trim()) {
		const found = await ctx.places.lookup(place).catch((error: unknown) => {
			ctx.logger.warn(`place lookup failed: ${error instanceof Error ? error.message : String(error)}`);
			return null;
		});
		if (found) view = { center: [found.lon, found.lat], zoom: found.zoom };
	}

	// Validating by building the document first means a bad request creates nothing.
	const doc = new Y.Doc();
	const createdAt = Date.now();
	try {
		initMap(doc, { title, place: place ?? '', view }, createdAt, SERVER_ORIGIN);
	} catch (error) {
		if (error instanceof InvalidInputError) return sendError(res, 400, error.message);
		throw error;
	}
	const initialUpdate = Y.encodeStateAsUpdate(doc);
	const meta = doc.getMap<unknown>('meta');
	const facilitatorKey = newFacilitatorKey();

	for (let attempt = 0; attempt < 5; attempt++) {
		const id = newMapId();
		const keys = keysFor(facilitatorKey, id, FIRST_GENERATIONS);
		const record: MapRecord = {
			id,
			title: String(meta.get('title') ?? ''),
			place: String(meta.get('place') ?? ''),
			createdAt,
			keyHashes: hashKeys(keys),
			keyGenerations: { ...FIRST_GENERATIONS },
			linkSecret: null
		};
		try {
			await ctx.store.createMap(record);
		} catch (error) {
			if (error instanceof MapExistsError) continue;
			throw error;
		}
		await ctx.store.appendUpdate(id, initialUpdate);
		return sendJson(res, 201, { id, links: linksFor(origin, id, keys) });
	}
	throw new Error('could not find a free map id');
}

export async function authorize(
	ctx: ApiContext,
	req: IncomingMessage,
	res: ServerResponse,
	mapId: string
): Promise<{ record: MapRecord; role: Role; key: string } | null> {
	const record = isMapId(mapId) ? await ctx.store.getMap(mapId) : null;
	if (!record) {
		sendError(res, 404, 'no such map');
		return null;
	}
	const key = bearerKey(req);
	const role = roleForKey(record.keyHashes, key);
	if (!key || !role) {
		req.resume();
		const address = requester(ctx, req);
		if (!ctx.failures.mayTry(address)) {
			tooManyGuesses(res);
			return null;
		}
		await ctx.failures.failAndWait(address);
		sendError(res, 401, 'missing or invalid key', { 'WWW-Authenticate': 'Bearer' });
		return null;
	}
	return { record, role, key };
}

/**
 * authorize() for a request that changes the map: a view-only key is refused (403, with
 * `viewerRefusal` saying what it cannot do) and its body left unread.
 */
export async function authorizeWriter(
	ctx: ApiContext,
	req: IncomingMessage,
	res: ServerResponse,
	mapId: string,
	viewerRefusal: string
): Promise<{ record: MapRecord; role: Exclude<Role, 'viewer'>; key: string } | null> {
	const auth = await authorize(ctx, req, res, mapId);
	if (!auth) return null;
	if (auth.role === 'viewer') {
		req.resume();
		sendError(res, 403, viewerRefusal);
		return null;
	}
	return { ...auth, role: auth.role };
}

async function access(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string): Promise<void> {
	const auth = await authorize(ctx, req, res, mapId);
	if (auth) sendJson(res, 200, { role: auth.role, title: auth.record.title });
}

/**
 * Files the map's join code for its current editor key (idempotent: the code is derived
 * from the editor generation) and returns it.
 */
async function ensureJoinCode(ctx: ApiContext, record: MapRecord, editorKey: string): Promise<string> {
	for (let attempt = 0; attempt < 5; attempt++) {
		const code = ctx.joinCodes.codeFor(record.id, record.keyGenerations.editor, attempt);
		const codeHash = ctx.joinCodes.hashCode(code);
		const filed = await ctx.store.findJoinCode(codeHash);
		if (filed?.mapId === record.id && ctx.joinCodes.open(record.id, filed.sealed) === editorKey) return code;
		try {
			await ctx.store.setJoinCode(record.id, codeHash, ctx.joinCodes.seal(record.id, editorKey));
			return code;
		} catch (error) {
			if (error instanceof JoinCodeTakenError) continue;
			throw error;
		}
	}
	throw new Error('could not find a free join code');
}

/**
 * The secret the shared keys derive from: the map's first facilitator key, filed sealed
 * once the facilitator key has been replaced (server/auth.ts).
 */
function linkSecretOf(ctx: ApiContext, record: MapRecord, facilitatorKey: string): string {
	if (record.linkSecret === null) return facilitatorKey;
	const secret = ctx.joinCodes.openLinkSecret(record.id, record.linkSecret);
	if (secret === null) throw new Error('the link secret cannot be opened with this server secret');
	return secret;
}

/**
 * The links, the short join address, and how they reach phones (`reach.source`: the share
 * panel says whether phones on the Wi-Fi can use them).
 */
async function shareInfo(ctx: ApiContext, reach: LinkOrigin, record: MapRecord, facilitatorKey: string) {
	const keys = keysFor(facilitatorKey, record.id, record.keyGenerations, linkSecretOf(ctx, record, facilitatorKey));
	const code = await ensureJoinCode(ctx, record, keys.editor);
	return { links: linksFor(reach.origin, record.id, keys), join: { code, url: `${reach.origin}/j/${code}` }, reach };
}

async function links(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string): Promise<void> {
	const auth = await authorize(ctx, req, res, mapId);
	if (!auth) return;
	if (auth.role !== 'facilitator') return sendError(res, 403, 'only the facilitator can see all links');
	const reach = linkOrigin(req, ctx.config, ctx.lanAddresses);
	if (!reach) return sendError(res, 400, 'missing or invalid Host header');
	sendJson(res, 200, await shareInfo(ctx, reach, auth.record, auth.key));
}

/**
 * Replaces one role's key; sockets on the old key are closed at once (4401). A new
 * facilitator key is random (the answer is the only place it is ever shown); the shared
 * keys keep deriving from the link secret, so replacing it leaves participant links alone.
 */
async function rotate(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string): Promise<void> {
	if (!isAllowedOrigin(req, ctx.config)) {
		req.resume();
		return sendError(res, 403, 'origin not allowed');
	}
	const auth = await authorize(ctx, req, res, mapId);
	if (!auth) return;
	if (auth.role !== 'facilitator') {
		req.resume();
		return sendError(res, 403, 'only the facilitator can replace links');
	}
	const reach = linkOrigin(req, ctx.config, ctx.lanAddresses);
	if (!reach) return sendError(res, 400, 'missing or invalid Host header');
	const body = await readJsonBody(req, MAX_BODY_BYTES);
	if (!body.ok) return sendError(res, body.status, body.error, body.status === 413 ? { Connection: 'close' } : {});
	const role = isRecord(body.value) ? body.value.role : undefined;
	if (role !== 'facilitator' && role !== 'editor' && role !== 'viewer') {
		return sendError(res, 400, 'role must be "facilitator", "editor" or "viewer"');
	}
	const record = auth.record;
	const from = record.keyGenerations[role];
	const linkSecret = linkSecretOf(ctx, record, auth.key);
	const newKey = role === 'facilitator' ? newFacilitatorKey() : deriveKey(linkSecret, role, record.id, from + 1);
	const sealed = role === 'facilitator' && record.linkSecret === null ? ctx.joinCodes.sealLinkSecret(record.id, linkSecret) : undefined;
	if (!(await ctx.store.rotateKey(record.id, role, from, hashKey(newKey), sealed))) {
		return sendError(res, 409, 'the link was replaced at the same time; try again');
	}
	ctx.onKeyRotated(record.id, role, from + 1);
	const updated: MapRecord = {
		...record,
		keyHashes: { ...record.keyHashes, [role]: hashKey(newKey) },
		keyGenerations: { ...record.keyGenerations, [role]: from + 1 },
		linkSecret: record.linkSecret ?? sealed ?? null
	};
	sendJson(res, 200, await shareInfo(ctx, reach, updated, role === 'facilitator' ? newKey : auth.key));
}

const MAX_HISTORY_LIMIT = 200;
const DEFAULT_HISTORY_LIMIT = 50;
/**
 * A page ends early past this many bytes of fields (a record's values are capped at 64 KiB
 * each, server/room/journal.ts), so
 * anyone with a link asking for many pages at once cannot make the server build
 * megabytes of JSON per request. The cursor still lets a reader go on.
 */
const MAX_HISTORY_PAGE_BYTES = 256 * 1024;

/**
 * GET /api/maps/<id>/history?entry=&kind=&before=&limit= (any role): the journal, newest
 * first. `next` is the cursor for the following page (records never move between pages:
 * the cursor is a position in the journal, not an offset).
 */
async function history(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string): Promise<void> {
	const auth = await authorize(ctx, req, res, mapId);
	if (!auth) return;
	const params = new URL(req.url ?? '/', 'http://placeholder').searchParams;
	const entry = params.get('entry') ?? undefined;
	if (entry !== undefined && (entry.length === 0 || entry.length > 200)) return sendError(res, 400, 'entry must be an id');
	const kind = params.get('kind') ?? undefined;
	if (kind !== undefined && !(JOURNAL_KINDS as readonly string[]).includes(kind)) return sendError(res, 400, `kind must be one of ${JOURNAL_KINDS.join(', ')}`);
	const before = params.get('before');
	if (before !== null && !/^[1-9]\d{0,15}$/.test(before)) return sendError(res, 400, 'before must be a cursor from "next"');
	const limitText = params.get('limit');
	if (limitText !== null && !/^\d{1,4}$/.test(limitText)) return sendError(res, 400, 'limit must be a number');
	const limit = Math.min(MAX_HISTORY_LIMIT, Math.max(1, limitText === null ? DEFAULT_HISTORY_LIMIT : Number(limitText)));
	const rows = await ctx.store.readJournal(mapId, {
		entry,
		kind: kind as JournalKind | undefined,
		before: before === null ? undefined : Number(before),
		limit: limit + 1
	});
	let page = rows.slice(0, limit);
	let bytes = 0;
	const fits = page.findIndex((row) => (bytes += JSON.stringify(row.fields).length + 200) > MAX_HISTORY_PAGE_BYTES);
	// At least one record per page, however large, so the cursor always moves on.
	if (fits >= 0) page = page.slice(0, Math.max(1, fits));
	const more = rows.length > page.length;
	sendJson(res, 200, {
		entries: page.map(({ at, role, name, affiliation, collection, entry: id, kind: what, fields }) => ({
			at,
			role,
			// An anonymous answer's record never has either (journal.ts); said here once more.
			name: role === 'anonymous' ? '' : name,
			affiliation: role === 'anonymous' ? null : affiliation,
			collection,
			entry: id,
			kind: what,
			fields
		})),
		next: more && page.length > 0 ? String(page[page.length - 1].seq) : null
	});
}

/**
 * GET /api/maps/<id>/voices (any role): whose voices are on the map (src/lib/voices),
 * counted from the history journal, or from the document when the map has none. Kept per
 * map: the same answer for a second, then one record read to see whether the journal grew,
 * and only the newer records read when it did (server/voices.ts), so dashboards polling on
 * shared screens and phones cost little.
 */
async function voices(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string): Promise<void> {
	const auth = await authorize(ctx, req, res, mapId);
	if (!auth) return;
	const documentUpdates = async () => {
		const live = ctx.liveState(mapId);
		const rows = (await ctx.store.loadUpdates(mapId)).map((row) => row.data);
		return live ? [...rows, live] : rows;
	};
	try {
		sendJson(res, 200, await voicesCacheFor(ctx.store).voices(mapId, documentUpdates));
	} catch (error) {
		if (!(error instanceof VoicesBusy)) throw error;
		sendError(res, 503, error.message, { 'Retry-After': '2' });
	}
}

/** The body of the 404 for an unknown join code: plain, tiny, no scripts. */
/**
 * The 404 for an unknown join code: plain and tiny (status 404 for scripts and tests), and
 * sends a browser straight on to the join page, which says what happened and lets the
 * person type the code again.
 */
function unknownCodePage(code: string): string {
	const target = `/join?unknown=${encodeURIComponent(code.slice(0, 16))}`;
	return (
		'<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
		`<meta http-equiv="refresh" content="0; url=${target}"><title>Unknown join code</title>` +
		'<p>This join address is unknown or has been replaced. Ask the facilitator for the current one, or ' +
		`<a href="${target}">type the code again</a>.</p>`
	);
}

/** GET /j/<code>: redirects to the map with the editor key in the fragment (browsers keep it). */
export async function handleJoin(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
	const headers = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff' };
	req.resume();
	try {
		if (req.method !== 'GET' && req.method !== 'HEAD') {
			res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
			return;
		}
		const address = requester(ctx, req);
		if (!ctx.failures.mayTry(address)) {
			res.writeHead(429, { ...headers, 'Retry-After': '5', 'Content-Type': 'text/plain; charset=utf-8' }).end('Too many tries at once. Wait a moment and type the address again.');
			return;
		}
		const code = pathname.slice('/j/'.length).toLowerCase();
		const found = JoinCodes.isCode(code) ? await ctx.store.findJoinCode(ctx.joinCodes.hashCode(code)) : null;
		const editorKey = found ? ctx.joinCodes.open(found.mapId, found.sealed) : null;
		const record = found && editorKey ? await ctx.store.getMap(found.mapId) : null;
		// A code filed for an editor key that was since replaced is dead, even if its row remains.
		if (!found || !editorKey || !record || roleForKey(record.keyHashes, editorKey) !== 'editor') {
			await ctx.failures.failAndWait(address);
			res.writeHead(404, { ...headers, 'Content-Type': 'text/html; charset=utf-8' }).end(unknownCodePage(JoinCodes.isCode(code) ? code : ''));
			return;
		}
		res.writeHead(302, { ...headers, Location: `/m/${found.mapId}#key=${editorKey}`, 'Content-Length': 0 }).end();
	} catch (error) {
		ctx.logger.error(`GET /j/:code failed: ${error instanceof Error ? error.message : String(error)}`);
		if (!res.headersSent) res.writeHead(500, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('internal error');
	}
}

export function isJoinPath(pathname: string): boolean {
	return pathname.startsWith('/j/');
}

/**
 * GET /api/places?q=<text>: places by name, for anyone (a place name is not a secret).
 * Only the text is passed on to an upstream geocoder; its address is the server's setting.
 */
async function searchPlaces(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
	const wait = ctx.placeSearches.take(requester(ctx, req));
	if (wait > 0) return sendError(res, 429, 'too many place searches from one address; wait a moment', { 'Retry-After': String(wait) });
	const q = new URL(req.url ?? '/', 'http://placeholder').searchParams.get('q');
	try {
		sendJson(res, 200, { places: await ctx.places.search(q ?? undefined) });
	} catch (error) {
		if (error instanceof PlaceQueryError) return sendError(res, 400, error.message);
		throw error;
	}
}

const MAX_PACK_NAME = 80;

interface PackRequest {
	bbox: [number, number, number, number];
	maxZoom: number;
	name: string;
}

function parsePackRequest(value: unknown): PackRequest | string {
	if (!isRecord(value)) return 'the body must be a JSON object';
	const bbox = parseBbox(value.bbox);
	if (!bbox) return 'bbox must be [west, south, east, north] in degrees';
	const maxZoom = value.maxZoom ?? PACK_MAX_ZOOM;
	if (typeof maxZoom !== 'number' || !Number.isInteger(maxZoom) || maxZoom < 0 || maxZoom > PACK_MAX_ZOOM) return `maxZoom must be a whole number from 0 to ${PACK_MAX_ZOOM}`;
	const name = typeof value.name === 'string' ? value.name.replace(/\s+/g, ' ').trim().slice(0, MAX_PACK_NAME) : '';
	return { bbox, maxZoom, name };
}

function packView(pack: PackRecord) {
	const { mapId: _mapId, ...rest } = pack;
	return rest;
}

/** Offline areas are the facilitator's: they spend the server's disk and the upstream's goodwill. */
async function facilitatorOnly(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string) {
	const auth = await authorize(ctx, req, res, mapId);
	if (!auth) return null;
	if (auth.role !== 'facilitator') {
		req.resume();
		sendError(res, 403, 'only the facilitator can manage offline areas');
		return null;
	}
	if (!ctx.basemap.enabled) {
		req.resume();
		sendError(res, 404, 'the street map is turned off on this server');
		return null;
	}
	return auth;
}

function sendPackError(res: ServerResponse, error: unknown): void {
	if (error instanceof PackError) return sendError(res, error.status, error.message);
	throw error;
}

async function listPacks(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string): Promise<void> {
	if (!(await facilitatorOnly(ctx, req, res, mapId))) return;
	sendJson(res, 200, { packs: ctx.packs.list(mapId).map(packView), upstream: ctx.basemap.health, maxZoom: PACK_MAX_ZOOM });
}

async function packBody(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string): Promise<PackRequest | null> {
	if (!isAllowedOrigin(req, ctx.config)) {
		req.resume();
		sendError(res, 403, 'origin not allowed');
		return null;
	}
	if (!(await facilitatorOnly(ctx, req, res, mapId))) return null;
	const body = await readJsonBody(req, MAX_BODY_BYTES);
	if (!body.ok) {
		sendError(res, body.status, body.error, body.status === 413 ? { Connection: 'close' } : {});
		return null;
	}
	const parsed = parsePackRequest(body.value);
	if (typeof parsed === 'string') {
		sendError(res, 400, parsed);
		return null;
	}
	return parsed;
}

async function estimatePack(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string): Promise<void> {
	const request = await packBody(ctx, req, res, mapId);
	if (!request) return;
	try {
		sendJson(res, 200, await ctx.packs.estimate(request.bbox, request.maxZoom));
	} catch (error) {
		sendPackError(res, error);
	}
}

async function createPack(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string): Promise<void> {
	const request = await packBody(ctx, req, res, mapId);
	if (!request) return;
	try {
		const { pack, estimate } = await ctx.packs.create(mapId, request.name || 'Offline area', request.bbox, request.maxZoom);
		sendJson(res, 202, { pack: packView(pack), estimate });
	} catch (error) {
		sendPackError(res, error);
	}
}

async function resumePack(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string, packId = ''): Promise<void> {
	if (!isAllowedOrigin(req, ctx.config)) {
		req.resume();
		return sendError(res, 403, 'origin not allowed');
	}
	if (!(await facilitatorOnly(ctx, req, res, mapId))) return;
	try {
		sendJson(res, 200, { pack: packView(ctx.packs.resume(mapId, packId)) });
	} catch (error) {
		sendPackError(res, error);
	}
}

async function removePack(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string, packId = ''): Promise<void> {
	if (!isAllowedOrigin(req, ctx.config)) {
		req.resume();
		return sendError(res, 403, 'origin not allowed');
	}
	if (!(await facilitatorOnly(ctx, req, res, mapId))) return;
	try {
		ctx.packs.remove(mapId, packId);
		res.writeHead(204, { 'Cache-Control': 'no-store' }).end();
	} catch (error) {
		sendPackError(res, error);
	}
}

type Handler = (ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string, second?: string) => Promise<void>;

interface Route {
	pattern: RegExp;
	methods: Record<string, Handler>;
}

const ROUTES: Route[] = [
	{ pattern: /^\/api\/maps$/, methods: { POST: (ctx, req, res) => createMap(ctx, req, res) } },
	{ pattern: /^\/api\/places$/, methods: { GET: (ctx, req, res) => searchPlaces(ctx, req, res) } },
	{ pattern: /^\/api\/maps\/([^/]+)\/access$/, methods: { GET: access } },
	{ pattern: /^\/api\/maps\/([^/]+)\/links$/, methods: { GET: links } },
	{ pattern: /^\/api\/maps\/([^/]+)\/rotate$/, methods: { POST: rotate } },
	{ pattern: /^\/api\/maps\/([^/]+)\/history$/, methods: { GET: history } },
	{ pattern: /^\/api\/maps\/([^/]+)\/rounds\/([^/]+)\/responses$/, methods: { POST: postAnonymousAnswer } },
	{ pattern: /^\/api\/maps\/([^/]+)\/voices$/, methods: { GET: voices } },
	{ pattern: /^\/api\/maps\/([^/]+)\/snapshots$/, methods: { GET: listSnapshots, POST: createSnapshot } },
	{ pattern: /^\/api\/snapshots\/([^/]+)$/, methods: { GET: snapshotJson } },
	{ pattern: /^\/api\/snapshots\/([^/]+)\/annotations$/, methods: { POST: annotate } },
	{ pattern: /^\/api\/snapshots\/([^/]+)\/png$/, methods: { PUT: filePicture } },
	{ pattern: /^\/api\/maps\/([^/]+)\/packs$/, methods: { GET: listPacks, POST: createPack } },
	{ pattern: /^\/api\/maps\/([^/]+)\/packs\/estimate$/, methods: { POST: estimatePack } },
	{ pattern: /^\/api\/maps\/([^/]+)\/packs\/([0-9a-f]{16})$/, methods: { DELETE: removePack } },
	{ pattern: /^\/api\/maps\/([^/]+)\/packs\/([0-9a-f]{16})\/resume$/, methods: { POST: resumePack } },
	{
		pattern: /^\/api\/config$/,
		methods: {
			GET: async (ctx, _req, res) => sendJson(res, 200, { streets: ctx.basemap.enabled, mapCreation: ctx.config.mapCreation })
		}
	}
];

export function isApiPath(pathname: string): boolean {
	return pathname === '/api' || pathname.startsWith('/api/');
}

/** Answers every /api request, including unknown paths (404) and wrong methods (405). */
export async function handleApi(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
	try {
		for (const route of ROUTES) {
			const match = route.pattern.exec(pathname);
			if (!match) continue;
			const handler = route.methods[req.method ?? 'GET'];
			if (!handler) {
				req.resume();
				return sendError(res, 405, 'method not allowed', { Allow: Object.keys(route.methods).join(', ') });
			}
			return await handler(ctx, req, res, match[1] ?? '', match[2]);
		}
		req.resume();
		sendError(res, 404, 'not found');
	} catch (error) {
		ctx.logger.error(`${req.method} ${pathname.replace(/\/maps\/[^/]+/, '/maps/:id')} failed: ${error instanceof Error ? error.message : String(error)}`);
		if (!res.headersSent) sendError(res, 500, 'internal error');
		else res.destroy();
	}
}
