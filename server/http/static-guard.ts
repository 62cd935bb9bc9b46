/**
 * adapter-node serves the built client with sirv, which lists the files once at start. A
 * rebuild under a running server removes hashed files sirv still lists; the read stream it
 * then opens fails with ENOENT, nothing handles that error, and the whole process exits,
 * dropping every workshop on it. A hashed asset no longer on disk answers 404 instead, and
 * the page that asked for it reloads into the new build.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, normalize, sep } from 'node:path';

type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

const IMMUTABLE = '/_app/immutable/';

export function guardVanishedAssets(handler: NodeHandler, clientDir: string): NodeHandler {
	const root = normalize(clientDir);
	return (req, res, next) => {
		const path = (req.url ?? '/').split('?')[0];
		if (path.startsWith(IMMUTABLE)) {
			let decoded = path;
			try {
				decoded = decodeURIComponent(path);
			} catch {
				/* sirv will not find it either */
			}
			const file = join(root, normalize(decoded));
			if (!file.startsWith(root + sep) || !existsSync(file)) {
				res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end('not found');
				return;
			}
		}
		handler(req, res, next);
	};
}
