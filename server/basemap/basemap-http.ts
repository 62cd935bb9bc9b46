/**
 * GET /basemap/style.json, /basemap/status, /basemap/tiles/…, /basemap/glyphs/…,
 * /basemap/sprites/…: what MapLibre in the page asks for, answered from our origin only.
 * Other /basemap/ paths (the offline Natural Earth files) belong to the app.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError, sendJson } from '../http/respond.ts';
import { bodyFor, type BasemapResource, type BasemapService } from './basemap-service.ts';
import { isTileId, parseBbox } from './tile-math.ts';

const TILE_PATH = /^\/basemap\/tiles\/([A-Za-z0-9][A-Za-z0-9_.-]{0,63})\/(\d{1,2})\/(\d{1,8})\/(\d{1,8})$/;
const GLYPH_PATH = /^\/basemap\/glyphs\/([^/]{1,300})\/(\d{1,5})-(\d{1,5})\.pbf$/;
const SPRITE_PATH = /^\/basemap\/sprites\/([A-Za-z0-9][A-Za-z0-9_.-]{0,63}?)(@2x)?\.(json|png)$/;
const FONTSTACK = /^[A-Za-z0-9 ,_-]{1,200}$/;

export function isBasemapPath(pathname: string): boolean {
	return (
		pathname === '/basemap/style.json' ||
		pathname === '/basemap/status' ||
		pathname.startsWith('/basemap/tiles/') ||
		pathname.startsWith('/basemap/glyphs/') ||
		pathname.startsWith('/basemap/sprites/')
	);
}

/** Parses a resource path into what it names, or null when it names nothing we could serve. */
export function parseResourcePath(pathname: string): BasemapResource | null {
	const tile = TILE_PATH.exec(pathname);
	if (tile) {
		const [z, x, y] = [Number(tile[2]), Number(tile[3]), Number(tile[4])];
		return isTileId(z, x, y) ? { kind: 'tile', source: tile[1], z, x, y } : null;
	}
	const glyph = GLYPH_PATH.exec(pathname);
	if (glyph) {
		let fontstack: string;
		try {
			fontstack = decodeURIComponent(glyph[1]);
		} catch {
			return null;
		}
		const start = Number(glyph[2]);
		const end = Number(glyph[3]);
		if (!FONTSTACK.test(fontstack) || start % 256 !== 0 || end !== start + 255 || end > 65535) return null;
		return { kind: 'glyph', fontstack, range: `${start}-${end}` };
	}
	const sprite = SPRITE_PATH.exec(pathname);
	if (sprite) return { kind: 'sprite', id: sprite[1], scale: sprite[2] === '@2x' ? '@2x' : '', ext: sprite[3] as 'json' | 'png' };
	return null;
}

/**
 * The type we label a resource with comes from what it is, not from the upstream: a
 * page on our origin must never be served from /basemap/, whatever the upstream says.
 */
export function safeContentType(resource: BasemapResource, upstreamType: string): string {
	if (resource.kind === 'glyph') return 'application/x-protobuf';
	if (resource.kind === 'sprite') return resource.ext === 'json' ? 'application/json' : 'image/png';
	const image = /^image\/(png|jpeg|webp|avif)\b/i.exec(upstreamType);
	return image ? `image/${image[1].toLowerCase()}` : 'application/x-protobuf';
}

function acceptsGzip(req: IncomingMessage): boolean {
	return /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
}

export async function handleBasemap(service: BasemapService, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
	req.resume();
	if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
	const pathname = url.pathname;
	if (pathname === '/basemap/status') {
		const bbox = parseBbox(url.searchParams.get('bbox'));
		const zoom = Number(url.searchParams.get('zoom'));
		const coverage = bbox && Number.isFinite(zoom) ? service.coverage(bbox, Math.max(0, Math.min(24, zoom))) : null;
		return sendJson(res, 200, { upstream: service.health, streets: service.currentPlan !== null, coverage });
	}
	if (pathname === '/basemap/style.json') {
		const plan = await service.plan();
		if (!plan) return sendError(res, 503, service.health === 'off' ? 'the street map is turned off on this server' : 'the street map cannot be reached right now');
		const style = { ...plan.style, metadata: { ...(plan.style.metadata as object | undefined), 'atlas:attribution': plan.attribution, 'atlas:upstream': service.health } };
		// Revalidated each time: a changed upstream style reaches pages on their next load.
		return sendJson(res, 200, style, { 'Cache-Control': 'no-cache' });
	}
	const resource = parseResourcePath(pathname);
	if (!resource) return sendError(res, 404, 'not part of the basemap');
	const served = await service.get(resource);
	if (served.kind === 'unavailable') return sendError(res, served.status, served.reason);
	const { resource: cached, stale } = served;
	const remaining = Math.floor((cached.expiresAt - Date.now()) / 1000);
	// Browsers keep what we serve for at most a day; something served stale only briefly.
	const maxAge = stale ? 60 : Math.max(60, Math.min(86_400, remaining));
	const headers: Record<string, string | number> = {
		'Cache-Control': `public, max-age=${maxAge}`,
		'X-Content-Type-Options': 'nosniff',
		'Content-Security-Policy': "default-src 'none'; sandbox",
		Vary: 'Accept-Encoding'
	};
	if (cached.status === 204) {
		res.writeHead(204, headers);
		return void res.end();
	}
	const { body, gzipped } = bodyFor(cached, acceptsGzip(req));
	headers['Content-Type'] = safeContentType(resource, cached.contentType);
	headers['Content-Length'] = body.byteLength;
	if (gzipped) headers['Content-Encoding'] = 'gzip';
	res.writeHead(200, headers);
	res.end(req.method === 'HEAD' ? undefined : body);
}
