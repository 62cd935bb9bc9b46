/**
 * The Atlas server mounted on a plain http.Server inside the test process, with the
 * memory store by default: fast, and lets tests look at rooms and the store directly.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAtlasServer, type AtlasServer, type AtlasServerOptions } from '../../server/app.ts';
import { loadConfig, type AtlasConfig } from '../../server/config.ts';
import { createMemoryStore } from '../../server/persistence/memory.ts';
import type { Logger } from '../../server/room/runner.ts';

export interface InProcessServer {
	atlas: AtlasServer;
	url: string;
	syncUrl: string;
	logs: string[];
	close(): Promise<void>;
}

/** Stands in for the SvelteKit handler: whatever the Atlas server passes on (next()). */
export type AppHandler = (req: IncomingMessage, res: ServerResponse) => void;

const notApi: AppHandler = (_req, res) => {
	res.writeHead(404).end('not api');
};

export async function startInProcess(
	config: Partial<AtlasConfig> = {},
	options: AtlasServerOptions = {},
	app: AppHandler = notApi
): Promise<InProcessServer> {
	const logs: string[] = [];
	const logger: Logger = {
		error: (m) => logs.push(`error: ${m}`),
		warn: (m) => logs.push(`warn: ${m}`),
		debug: (m) => logs.push(`debug: ${m}`)
	};
	const atlas = createAtlasServer(
		{ ...loadConfig({ DATA_DIR: '/nonexistent-unused', HOST: '127.0.0.1', MAP_CREATIONS_PER_HOUR: '1000000', BASEMAP_UPSTREAM: 'none' }), ...config },
		{ store: createMemoryStore(), logger, serverSecret: new Uint8Array(randomBytes(32)), ...options }
	);
	const http: Server = createServer((req, res) => atlas.handleHttp(req, res, () => app(req, res)));
	http.on('upgrade', (req, socket, head) => {
		if (atlas.isSyncRequest(req)) atlas.handleUpgrade(req, socket, head);
		else socket.destroy();
	});
	await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
	const { port } = http.address() as AddressInfo;
	return {
		atlas,
		url: `http://127.0.0.1:${port}`,
		syncUrl: `ws://127.0.0.1:${port}/sync`,
		logs,
		async close() {
			await atlas.close();
			http.closeAllConnections();
			await new Promise<void>((resolve) => http.close(() => resolve()));
		}
	};
}
