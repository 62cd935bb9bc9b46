/**
 * Production entry: `node --import tsx server/index.ts`. One port serves the SvelteKit
 * app, the JSON API and the sync sockets.
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { configuredServerSecret, createAtlasServer, openConfiguredCluster, openConfiguredStore, type OpenedCluster } from './app.ts';
import { InstanceConflict } from './cluster/instance-guard.ts';
import { describeRedis } from './cluster/redis-bus.ts';
import { ConfigError, loadConfig, type AtlasConfig } from './config.ts';
import { addressBucket } from './http/client-address.ts';
import { readMaxConnections } from './http/fd-limit.ts';
import { reachableAddresses } from './http/lan.ts';
import type { DocStore } from './persistence/doc-store.ts';
import { describeDatabase } from './persistence/postgres.ts';
import { OpenCounter } from './limits.ts';
import { guardVanishedAssets } from './http/static-guard.ts';

type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

const BUILD_HANDLER = new URL('../build/handler.js', import.meta.url);
const SHUTDOWN_DEADLINE_MS = 10_000;
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
/**
 * Open TCP connections per client address, before any HTTP is read (so slow-header floods
 * cannot use up the process's file descriptors). Above the sync socket cap, for a
 * workshop's phones behind one router. Behind a reverse proxy every connection comes from
 * the proxy, and the per-address limits use ADDRESS_HEADER instead.
 */
const MAX_CONNECTIONS_PER_ADDRESS = 512;

function limitConnectionsPerAddress(server: Server, config: AtlasConfig): void {
	if (config.addressHeader) return;
	const open = new OpenCounter();
	server.on('connection', (socket) => {
		const address = addressBucket(socket.remoteAddress ?? 'unknown');
		if (open.get(address) >= MAX_CONNECTIONS_PER_ADDRESS) {
			socket.destroy();
			return;
		}
		open.add(address);
		socket.once('close', () => open.remove(address));
	});
}

/** The SvelteKit app is optional so the API and sync server run (and test) without a build. */
async function loadAppHandler(): Promise<NodeHandler | null> {
	if (!existsSync(fileURLToPath(BUILD_HANDLER))) return null;
	const module: { handler?: unknown } = await import(BUILD_HANDLER.href);
	if (typeof module.handler !== 'function') throw new Error('build/handler.js does not export a handler');
	return module.handler as NodeHandler;
}

function notBuilt(_req: IncomingMessage, res: ServerResponse): void {
	res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
	res.end('App not built: run npm run build');
}

function readConfig(): AtlasConfig {
	try {
		return loadConfig(process.env);
	} catch (error) {
		if (error instanceof ConfigError) {
			console.error(`Configuration error: ${error.message}`);
			process.exit(1);
		}
		throw error;
	}
}

async function main(): Promise<void> {
	const config = readConfig();
	let store: DocStore;
	try {
		store = await openConfiguredStore(config);
	} catch (error) {
		// An unreachable or refused DATABASE_URL, an unwritable DATA_DIR: say which, plainly.
		console.error(`Storage error: ${error instanceof Error ? error.message : String(error)}`);
		process.exit(1);
	}
	if (config.databaseUrl) console.log(`Maps are stored in PostgreSQL at ${describeDatabase(config.databaseUrl)}`);
	const serverSecret = configuredServerSecret(config);
	let cluster: OpenedCluster;
	try {
		cluster = await openConfiguredCluster(config, serverSecret, console);
	} catch (error) {
		// Another instance in the way, a different server secret, Redis not answering: say which.
		const message = error instanceof Error ? error.message : String(error);
		console.error(error instanceof InstanceConflict ? `Refusing to start: ${message}` : `Cluster error: ${message}`);
		await store.close().catch(() => {});
		process.exit(1);
	}
	if (config.redisUrl) {
		console.log(`Several instances: connected through Redis at ${describeRedis(config.redisUrl)} (channels ${config.redisPrefix}…), this one is ${cluster.bus.instanceId}`);
	}
	const atlas = createAtlasServer(config, { store, closeStore: true, serverSecret, cluster: cluster.bus, onClose: cluster.close });
	const built = await loadAppHandler();
	const app = built ? guardVanishedAssets(built, fileURLToPath(new URL('../build/client', import.meta.url))) : notBuilt;

	const server = createServer(
		{
			// A request must send its headers within 10 s and finish within 30 s; an idle
			// keep-alive connection is closed after 5 s. Checked every second, so thousands
			// of connections that trickle headers byte by byte are dropped, not collected.
			headersTimeout: HEADERS_TIMEOUT_MS,
			requestTimeout: REQUEST_TIMEOUT_MS,
			keepAliveTimeout: 5_000,
			connectionsCheckingInterval: 1_000
		},
		(req, res) => atlas.handleHttp(req, res, () => app(req, res))
	);
	limitConnectionsPerAddress(server, config);
	// All addresses together (server/http/fd-limit.ts); past it Node drops new connections.
	server.maxConnections = readMaxConnections();
	server.on('upgrade', (req, socket, head) => {
		if (atlas.isSyncRequest(req)) return atlas.handleUpgrade(req, socket, head);
		socket.on('error', () => {});
		socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nReferrer-Policy: no-referrer\r\nContent-Length: 0\r\n\r\n');
	});
	server.on('clientError', (_error, socket) => {
		if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nReferrer-Policy: no-referrer\r\nContent-Length: 0\r\n\r\n');
		else socket.destroy();
	});

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(config.port, config.host, () => resolve());
	});
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : config.port;
	// Listening on every interface: the address to open is this machine's own.
	const everywhere = config.host === '0.0.0.0' || config.host === '::';
	const host = everywhere ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
	console.log(`Asset Atlas listening on http://${host}:${port}`);
	// What phones on the same Wi-Fi type or scan (share links use it, or PUBLIC_ORIGIN).
	const phones = reachableAddresses(config.host);
	if (config.publicOrigin) console.log(`Phones join at ${config.publicOrigin}`);
	else if (phones.length > 0) for (const address of phones) console.log(`Phones on this network can join at http://${address}:${port}`);
	else console.log('Phones cannot reach this address: set HOST=0.0.0.0 (the default) or PUBLIC_ORIGIN');

	let stopping = false;
	const stop = async (signal: string) => {
		if (stopping) return;
		stopping = true;
		setTimeout(() => {
			console.error(`Shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting`);
			process.exit(1);
		}, SHUTDOWN_DEADLINE_MS).unref();
		console.log(`Received ${signal}, saving and closing`);
		server.close();
		server.closeIdleConnections();
		try {
			await atlas.close();
			process.exit(0);
		} catch (error) {
			console.error(`Shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
			process.exit(1);
		}
	};
	process.on('SIGTERM', () => void stop('SIGTERM'));
	process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
	console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
	process.exit(1);
});
