/**
 * Headers every response gets, whoever writes it (our API, /j, the SvelteKit app, its
 * static files, a 404 or the "not built" 503):
 *
 * - `Referrer-Policy: no-referrer`. Keys travel in URL fragments, which browsers never
 *   send, but a page URL still names the map; no other site needs to learn it.
 * - The Content-Security-Policy that SvelteKit emits (svelte.config.js, kit.csp) is fixed at
 *   build time, with `connect-src 'self'` and `img-src 'self' data: blob:`. The basemap is
 *   chosen at run time (BASEMAP_STYLE_URL, BASEMAP_ORIGINS), and MapLibre fetches its
 *   style, tiles, glyphs and sprites with fetch() (connect-src) and may draw raster tiles
 *   as images (img-src). So we add the configured basemap origins to those two
 *   directives of whatever CSP header the app sets, and change nothing else: script-src
 *   keeps SvelteKit's hashes and never gains 'unsafe-inline'.
 *
 * The app handler (adapter-node's, or sirv for static files) sets headers with
 * res.setHeader and/or res.writeHead(status, headers). Node always ends up in
 * res.writeHead before the head goes out (res.write/end without it call
 * writeHead(statusCode) internally), so wrapping writeHead on the response object sees
 * every header, whichever way it was set.
 */
import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AtlasConfig } from '../config.ts';

/** Sources to add per CSP directive, e.g. { 'connect-src': ['https://tiles.example.org'] }. */
export type CspAdditions = Record<string, string[]>;

const CSP_HEADERS = new Set(['content-security-policy', 'content-security-policy-report-only']);

/** The origins the basemap is served from: the style URL's origin (unless it is a path here) and BASEMAP_ORIGINS. */
export function basemapOrigins(config: Pick<AtlasConfig, 'basemapStyleUrl' | 'basemapOrigins'>): string[] {
	const origins = new Set<string>();
	if (config.basemapStyleUrl && !config.basemapStyleUrl.startsWith('/')) origins.add(new URL(config.basemapStyleUrl).origin);
	for (const origin of config.basemapOrigins) origins.add(origin);
	return [...origins];
}

/** What to add to the app's CSP for this configuration; null when there is nothing to add. */
export function cspAdditionsFor(config: Pick<AtlasConfig, 'basemapStyleUrl' | 'basemapOrigins'>): CspAdditions | null {
	const origins = basemapOrigins(config);
	return origins.length > 0 ? { 'connect-src': origins, 'img-src': origins } : null;
}

/**
 * Adds sources to directives of one CSP header value. A directive that is missing falls
 * back to default-src in the browser, so it is created from default-src's sources plus
 * the additions (and left out if there is no default-src: then nothing restricts it). A
 * directive of 'none' is an explicit "never" and is kept as it is.
 */
export function extendCsp(policy: string, additions: CspAdditions): string {
	const directives = policy
		.split(';')
		.map((part) => part.trim())
		.filter(Boolean)
		.map((part) => {
			const [name, ...sources] = part.split(/\s+/);
			return { name: name.toLowerCase(), sources };
		});
	const find = (name: string) => directives.find((directive) => directive.name === name);
	for (const [name, extra] of Object.entries(additions)) {
		let directive = find(name);
		if (!directive) {
			const fallback = find('default-src');
			if (!fallback) continue;
			directive = { name, sources: [...fallback.sources] };
			directives.push(directive);
		}
		if (directive.sources.length === 1 && directive.sources[0] === "'none'") continue;
		for (const source of extra) if (!directive.sources.includes(source)) directive.sources.push(source);
	}
	return directives.map(({ name, sources }) => [name, ...sources].join(' ')).join('; ');
}

function rewriteValue(name: string, value: OutgoingHttpHeader, additions: CspAdditions | null): OutgoingHttpHeader {
	const lower = name.toLowerCase();
	if (lower === 'referrer-policy') return 'no-referrer';
	if (!additions || !CSP_HEADERS.has(lower)) return value;
	if (Array.isArray(value)) return value.map((item) => extendCsp(String(item), additions));
	return extendCsp(String(value), additions);
}

/** Rewrites headers given to writeHead in any of the forms Node accepts (object, flat or nested array). */
function rewriteHeaders(headers: unknown, additions: CspAdditions | null): unknown {
	if (Array.isArray(headers)) {
		if (headers.length > 0 && Array.isArray(headers[0])) {
			return (headers as [string, OutgoingHttpHeader][]).map(([name, value]) => [name, rewriteValue(name, value, additions)]);
		}
		const flat = [...(headers as OutgoingHttpHeader[])];
		for (let index = 0; index + 1 < flat.length; index += 2) flat[index + 1] = rewriteValue(String(flat[index]), flat[index + 1], additions);
		return flat;
	}
	if (headers && typeof headers === 'object') {
		const out: OutgoingHttpHeaders = {};
		for (const [name, value] of Object.entries(headers as OutgoingHttpHeaders)) {
			if (value !== undefined) out[name] = rewriteValue(name, value, additions);
		}
		return out;
	}
	return headers;
}

/**
 * Makes `res` carry Referrer-Policy: no-referrer and, when `additions` is given, extends
 * any CSP header it is sent with. Call once per response, before any handler runs.
 */
export function applySecurityHeaders(res: ServerResponse, additions: CspAdditions | null): void {
	res.setHeader('Referrer-Policy', 'no-referrer');
	const writeHead = res.writeHead;
	res.writeHead = function (this: ServerResponse, statusCode: number, ...rest: unknown[]) {
		if (this.headersSent) return Reflect.apply(writeHead, this, [statusCode, ...rest]) as ServerResponse;
		// A handler may have removed every header (SvelteKit does on a bad header value).
		this.setHeader('Referrer-Policy', 'no-referrer');
		for (const name of CSP_HEADERS) {
			const value = this.getHeader(name);
			if (value !== undefined && additions) this.setHeader(name, rewriteValue(name, value as OutgoingHttpHeader, additions) as string | string[]);
		}
		const last = rest.length - 1;
		if (last >= 0 && typeof rest[last] !== 'string') rest[last] = rewriteHeaders(rest[last], additions);
		return Reflect.apply(writeHead, this, [statusCode, ...rest]) as ServerResponse;
	} as ServerResponse['writeHead'];
}
