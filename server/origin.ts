/**
 * Browsers attach Origin to cross-site requests and WebSocket handshakes; a page on some
 * other site must not be able to open a map's socket or create maps with a visitor's
 * browser. Requests without Origin (curl, native clients, tests) carry no ambient
 * authority here, since keys are never cookies, so they pass.
 */
import type { IncomingMessage } from 'node:http';
import type { AtlasConfig } from './config.ts';

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

/** Where share links point: the configured public origin, else the Host the request used. */
export function linkOrigin(req: IncomingMessage, config: AtlasConfig): string | null {
	if (config.publicOrigin) return config.publicOrigin;
	const host = req.headers.host;
	return host && HOST_PATTERN.test(host) ? `http://${host}` : null;
}
