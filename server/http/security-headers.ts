/**
 * Headers every response gets, whoever writes it (our API, /j, /basemap, the SvelteKit
 * app, its static files, a 404 or the "not built" 503):
 *
 * - `Referrer-Policy: no-referrer`. Keys travel in URL fragments, which browsers never
 *   send, but a page URL still names the map; no other site needs to learn it.
 *
 * The Content-Security-Policy is SvelteKit's (svelte.config.js, kit.csp), fixed at build
 * time with `connect-src 'self'`: the basemap comes through our own /basemap/, so pages
 * never need another origin and nothing here widens it.
 *
 * The app handler (adapter-node's, or sirv for static files) may remove headers
 * (SvelteKit does on a bad header value); wrapping writeHead on the response object puts
 * ours back just before the head goes out, whichever way the handler set its own.
 */
import type { ServerResponse } from 'node:http';

export function applySecurityHeaders(res: ServerResponse): void {
	res.setHeader('Referrer-Policy', 'no-referrer');
	const writeHead = res.writeHead;
	res.writeHead = function (this: ServerResponse, statusCode: number, ...rest: unknown[]) {
		if (!this.headersSent) {
			this.setHeader('Referrer-Policy', 'no-referrer');
			const last = rest.length - 1;
			if (last >= 0 && typeof rest[last] !== 'string') rest[last] = withoutReferrerPolicy(rest[last]);
		}
		return Reflect.apply(writeHead, this, [statusCode, ...rest]) as ServerResponse;
	} as ServerResponse['writeHead'];
}

/** Headers passed to writeHead win over setHeader; drop any Referrer-Policy among them. */
function withoutReferrerPolicy(headers: unknown): unknown {
	const isPolicy = (name: unknown) => String(name).toLowerCase() === 'referrer-policy';
	if (Array.isArray(headers)) {
		if (headers.length > 0 && Array.isArray(headers[0])) return (headers as [string, unknown][]).filter(([name]) => !isPolicy(name));
		const out: unknown[] = [];
		for (let index = 0; index + 1 < headers.length; index += 2) if (!isPolicy(headers[index])) out.push(headers[index], headers[index + 1]);
		return out;
	}
	if (headers && typeof headers === 'object') return Object.fromEntries(Object.entries(headers).filter(([name]) => !isPolicy(name)));
	return headers;
}
