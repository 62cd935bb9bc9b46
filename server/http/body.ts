import type { IncomingMessage } from 'node:http';

export type BodyResult = { ok: true; value: unknown } | { ok: false; status: number; error: string };

/**
 * Past the limit we keep reading (and discarding) up to this much, so a client that is
 * still uploading gets to read our 413 instead of a reset connection; beyond it we stop.
 */
const DISCARD_LIMIT = 1024 * 1024;

type BytesResult = { ok: true; bytes: Buffer } | { ok: false; status: number; error: string };

/** Reads a body of at most `limit` bytes, buffering nothing past the limit. */
function readLimitedBody(req: IncomingMessage, limit: number): Promise<BytesResult> {
	const tooLarge: BytesResult = { ok: false, status: 413, error: `request body is larger than ${limit} bytes` };
	const discardLimit = limit + DISCARD_LIMIT;
	const declared = Number(req.headers['content-length']);
	if (Number.isFinite(declared) && declared > discardLimit) return Promise.resolve(tooLarge);
	return new Promise((resolve) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let settled = false;
		const settle = (result: BytesResult) => {
			if (settled) return;
			settled = true;
			resolve(result);
		};
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > limit) {
				chunks.length = 0;
				if (size > discardLimit) {
					req.pause();
					settle(tooLarge);
				}
				return;
			}
			chunks.push(chunk);
		});
		req.on('error', () => settle({ ok: false, status: 400, error: 'request body could not be read' }));
		req.on('end', () => settle(size > limit ? tooLarge : { ok: true, bytes: Buffer.concat(chunks) }));
	});
}

/**
 * Reads a JSON body of at most `limit` bytes, buffering nothing past the limit.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
	const type = req.headers['content-type'] ?? '';
	// Requiring JSON also keeps cross-site HTML forms (which cannot send it) from posting here.
	if (!/^application\/json\s*(;|$)/i.test(type)) {
		req.resume();
		return { ok: false, status: 415, error: 'Content-Type must be application/json' };
	}
	const body = await readLimitedBody(req, limit);
	if (!body.ok) return body;
	try {
		return { ok: true, value: JSON.parse(body.bytes.toString('utf8')) as unknown };
	} catch {
		return { ok: false, status: 400, error: 'request body is not valid JSON' };
	}
}

/** Reads a body of one exact Content-Type (e.g. image/png) as bytes, at most `limit` of them. */
export async function readBinaryBody(req: IncomingMessage, limit: number, contentType: string): Promise<BytesResult> {
	const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
	if (type !== contentType) {
		req.resume();
		return { ok: false, status: 415, error: `Content-Type must be ${contentType}` };
	}
	return readLimitedBody(req, limit);
}
