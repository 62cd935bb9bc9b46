import type { ServerResponse } from 'node:http';

/** API answers are per-user and carry capability-bearing links: never cache, never leak a Referer. */
export function sendJson(res: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
	const payload = JSON.stringify(body);
	res.writeHead(status, {
		'Content-Type': 'application/json; charset=utf-8',
		'Content-Length': Buffer.byteLength(payload),
		'Cache-Control': 'no-store',
		'Referrer-Policy': 'no-referrer',
		'X-Content-Type-Options': 'nosniff',
		...extraHeaders
	});
	res.end(payload);
}

export function sendError(res: ServerResponse, status: number, error: string, extraHeaders: Record<string, string> = {}): void {
	sendJson(res, status, { error }, extraHeaders);
}
