/**
 * Browsers attach Origin to cross-site requests and WebSocket handshakes; a page on some
 * other site must not be able to open a map's socket or create maps with a visitor's
 * browser. Requests without Origin (curl, native clients, tests) carry no ambient
 * authority here, since keys are never cookies, so they pass.
 */
import type { IncomingMessage } from 'node:http';
import type { AtlasConfig } from './config.ts';
import { isLoopbackHost } from './http/lan.ts';

export function isAllowedOrigin(req: IncomingMessage, config: AtlasConfig): boolean {
	const origin = req.headers.origin;
	if (origin === undefined) return true;
	if (config.allowedOrigins.includes(origin) || origin === config.publicOrigin) return true;
	try {
		return new URL(origin).host === req.headers.host;
	} catch {
		return false;
	}
}

const HOST_PATTERN = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * How share links were built: PUBLIC_ORIGIN; the address the request came in on; this
 * machine's address on the local network (the page was opened as localhost, which a phone
 * cannot reach); or localhost after all (no network address: phones cannot join).
 */
export type LinkSource = 'public' | 'request' | 'lan' | 'loopback';

export interface LinkOrigin {
	origin: string;
	source: LinkSource;
}

/** Where share links point. `lan` lists this machine's network addresses (server/http/lan.ts). */
export function linkOrigin(req: IncomingMessage, config: AtlasConfig, lan: () => string[] = () => []): LinkOrigin | null {
	if (config.publicOrigin) return { origin: config.publicOrigin, source: 'public' };
	const host = req.headers.host;
	if (!host || !HOST_PATTERN.test(host)) return null;
	if (!isLoopbackHost(host)) return { origin: `http://${host}`, source: 'request' };
	const port = /:(\d+)$/.exec(host)?.[1];
	const address = lan()[0];
	if (!address) return { origin: `http://${host}`, source: 'loopback' };
	return { origin: `http://${address}${port ? `:${port}` : ''}`, source: 'lan' };
}
