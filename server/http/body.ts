import type { IncomingMessage } from 'node:http';

export type BodyResult = { ok: true; value: unknown } | { ok: false; status: number; error: string };

/**
 * Reads a JSON body of at most `limit` bytes. Stops buffering as soon as the limit is
 * crossed, so a large upload costs us nothing but the bytes already received.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
	const type = req.headers['content-type'] ?? '';
	// Requiring JSON also keeps cross-site HTML forms (which cannot send it) from posting here.
	if (!/^application\/json\s*(;|$)/i.test(type)) {
		req.resume();
		return Promise.resolve({ ok: false, status: 415, error: 'Content-Type must be application/json' });
	}
	const declared = Number(req.headers['content-length']);
	if (Number.isFinite(declared) && declared > limit) {
		req.resume();
		return Promise.resolve({ ok: false, status: 413, error: `request body is larger than ${limit} bytes` });
	}
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
			if (settled) return;
			size += chunk.length;
			if (size > limit) {
				chunks.length = 0;
				settle({ ok: false, status: 413, error: `request body is larger than ${limit} bytes` });
				return;
			}
			chunks.push(chunk);
		});
		req.on('error', () => settle({ ok: false, status: 400, error: 'request body could not be read' }));
		req.on('end', () => {
			try {
				settle({ ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
			} catch {
				settle({ ok: false, status: 400, error: 'request body is not valid JSON' });
			}
		});
	});
}
