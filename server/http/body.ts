import type { IncomingMessage } from 'node:http';

export type BodyResult = { ok: true; value: unknown } | { ok: false; status: number; error: string };

/**
 * Past the limit we keep reading (and discarding) up to this much, so a client that is
 * still uploading gets to read our 413 instead of a reset connection; beyond it we stop.
 */
const DISCARD_LIMIT = 1024 * 1024;

/**
 * Reads a JSON body of at most `limit` bytes, buffering nothing past the limit.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
	const tooLarge: BodyResult = { ok: false, status: 413, error: `request body is larger than ${limit} bytes` };
	const type = req.headers['content-type'] ?? '';
	// Requiring JSON also keeps cross-site HTML forms (which cannot send it) from posting here.
	if (!/^application\/json\s*(;|$)/i.test(type)) {
		req.resume();
		return Promise.resolve({ ok: false, status: 415, error: 'Content-Type must be application/json' });
	}
	const declared = Number(req.headers['content-length']);
	if (Number.isFinite(declared) && declared > DISCARD_LIMIT) return Promise.resolve(tooLarge);
	return new Promise((resolve) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let settled = false;
		const settle = (result: BodyResult) => {
			if (settled) return;
			settled = true;
			resolve(result);
		};
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > limit) {
				chunks.length = 0;
				if (size > DISCARD_LIMIT) {
					req.pause();
					settle(tooLarge);
				}
				return;
			}
			chunks.push(chunk);
		});
		req.on('error', () => settle({ ok: false, status: 400, error: 'request body could not be read' }));
		req.on('end', () => {
			if (size > limit) return settle(tooLarge);
			try {
				settle({ ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
			} catch {
				settle({ ok: false, status: 400, error: 'request body is not valid JSON' });
			}
		});
	});
}
