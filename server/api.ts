/**
 * The JSON API under /api. Keys arrive only in the Authorization header or request
 * bodies and leave only in response bodies; nothing here logs a URL or a header.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as Y from 'yjs';
import { isMapId, newMapId } from '../src/lib/doc/ids.ts';
import type { Role } from '../src/lib/doc/model.ts';
import { initMap } from '../src/lib/doc/mutations.ts';
import { InvalidInputError, isRecord } from '../src/lib/doc/validate.ts';
import { hashKeys, keysFor, newFacilitatorKey, roleForKey, type Keys } from './auth.ts';
import type { AtlasConfig } from './config.ts';
import { readJsonBody } from './http/body.ts';
import { sendError, sendJson } from './http/respond.ts';
import { isAllowedOrigin, linkOrigin } from './origin.ts';
import { MapExistsError, type DocStore, type MapRecord } from './persistence/doc-store.ts';
import type { Logger } from './rooms.ts';

export const MAX_BODY_BYTES = 16 * 1024;
const SERVER_ORIGIN = 'asset-atlas:server';

interface ApiContext {
	config: AtlasConfig;
	store: DocStore;
	logger: Logger;
}

function linksFor(origin: string, mapId: string, keys: Keys) {
	const link = (key: string) => `${origin}/m/${mapId}#key=${key}`;
	return { facilitator: link(keys.facilitator), editor: link(keys.editor), viewer: link(keys.viewer) };
}

function bearerKey(req: IncomingMessage): string | null {
	const header = req.headers.authorization;
	const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
	return match ? match[1] : null;
}

async function createMap(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
	if (!isAllowedOrigin(req, ctx.config)) return sendError(res, 403, 'origin not allowed');
	const origin = linkOrigin(req, ctx.config);
	if (!origin) return sendError(res, 400, 'missing or invalid Host header');
	const body = await readJsonBody(req, MAX_BODY_BYTES);
	if (!body.ok) return sendError(res, body.status, body.error, body.status === 413 ? { Connection: 'close' } : {});
	if (!isRecord(body.value)) return sendError(res, 400, 'request body must be a JSON object');
	const { title, place } = body.value;
	if (typeof title !== 'string') return sendError(res, 400, 'title is required');
	if (place !== undefined && place !== null && typeof place !== 'string') {
		return sendError(res, 400, 'place must be text');
	}

	// Validating by building the document first means a bad request creates nothing.
	const doc = new Y.Doc();
	const createdAt = Date.now();
	try {
		initMap(doc, { title, place: place ?? '' }, createdAt, SERVER_ORIGIN);
	} catch (error) {
		if (error instanceof InvalidInputError) return sendError(res, 400, error.message);
		throw error;
	}
	const initialUpdate = Y.encodeStateAsUpdate(doc);
	const meta = doc.getMap<unknown>('meta');
	const facilitatorKey = newFacilitatorKey();

	for (let attempt = 0; attempt < 5; attempt++) {
		const id = newMapId();
		const keys = keysFor(facilitatorKey, id, 0);
		const record: MapRecord = {
			id,
			title: String(meta.get('title') ?? ''),
			place: String(meta.get('place') ?? ''),
			createdAt,
			keyHashes: hashKeys(keys),
			keyGeneration: 0
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

async function authorize(
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
		sendError(res, 401, 'missing or invalid key', { 'WWW-Authenticate': 'Bearer' });
		return null;
	}
	return { record, role, key };
}

async function access(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string): Promise<void> {
	const auth = await authorize(ctx, req, res, mapId);
	if (auth) sendJson(res, 200, { role: auth.role, title: auth.record.title });
}

async function links(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string): Promise<void> {
	const auth = await authorize(ctx, req, res, mapId);
	if (!auth) return;
	if (auth.role !== 'facilitator') return sendError(res, 403, 'only the facilitator can see all links');
	const origin = linkOrigin(req, ctx.config);
	if (!origin) return sendError(res, 400, 'missing or invalid Host header');
	const keys = keysFor(auth.key, auth.record.id, auth.record.keyGeneration);
	sendJson(res, 200, { links: linksFor(origin, auth.record.id, keys) });
}

type Handler = (ctx: ApiContext, req: IncomingMessage, res: ServerResponse, mapId: string) => Promise<void>;

interface Route {
	pattern: RegExp;
	methods: Record<string, Handler>;
}

const ROUTES: Route[] = [
	{ pattern: /^\/api\/maps$/, methods: { POST: (ctx, req, res) => createMap(ctx, req, res) } },
	{ pattern: /^\/api\/maps\/([^/]+)\/access$/, methods: { GET: access } },
	{ pattern: /^\/api\/maps\/([^/]+)\/links$/, methods: { GET: links } },
	{
		pattern: /^\/api\/config$/,
		methods: { GET: async (ctx, _req, res) => sendJson(res, 200, { basemapStyleUrl: ctx.config.basemapStyleUrl }) }
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
			return await handler(ctx, req, res, match[1] ?? '');
		}
		req.resume();
		sendError(res, 404, 'not found');
	} catch (error) {
		ctx.logger.error(`${req.method} ${pathname.replace(/\/maps\/[^/]+/, '/maps/:id')} failed: ${error instanceof Error ? error.message : String(error)}`);
		if (!res.headersSent) sendError(res, 500, 'internal error');
		else res.destroy();
	}
}
