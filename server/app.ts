/**
 * Everything the server does, independent of who owns the HTTP server: production
 * (server/index.ts) and the Vite dev server both mount it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import * as Y from 'yjs';
import { handleApi, handleJoin, isApiPath, isJoinPath, type ApiContext } from './api.ts';
import { AnswerRates } from './anonymous-answers.ts';
import type { AtlasConfig } from './config.ts';
import { sendError } from './http/respond.ts';
import { applySecurityHeaders } from './http/security-headers.ts';
import { BasemapService } from './basemap/basemap-service.ts';
import { handleBasemap, isBasemapPath } from './basemap/basemap-http.ts';
import { PackManager } from './basemap/packs.ts';
import { JoinCodes, loadServerSecret } from './join-codes.ts';
import { reachableAddresses } from './http/lan.ts';
import { heapGauge, type MemoryGauge } from './memory.ts';
import { FailureLimiter, KeyedRate, MAP_CREATION_BURST, PLACE_SEARCHES_PER_HOUR, PLACE_SEARCH_BURST } from './limits.ts';
import { createPlaceService } from './places/places.ts';
import type { DocStore } from './persistence/doc-store.ts';
import { createPostgresStore } from './persistence/postgres.ts';
import { createSqliteStore } from './persistence/sqlite.ts';
import { RoomRegistry } from './room/registry.ts';
import type { Logger, Timing } from './room/runner.ts';
import { handleSnapshotExport, isSnapshotExportPath } from './snapshots.ts';
import { createSyncServer, isSyncPath, syncPathOf, type MessageBudget, type WorkBudget } from './sync-server.ts';
import { noCluster, type ClusterBus } from './cluster/bus.ts';
import { busIdentity, guardInstances } from './cluster/instance-guard.ts';
import { createRedisBus } from './cluster/redis-bus.ts';

export interface AtlasServerOptions {
	/**
	 * A store the caller owns (and closes, unless closeStore); by default a SQLite file in
	 * config.dataDir (startAtlasServer opens the PostgreSQL store when DATABASE_URL is set).
	 */
	store?: DocStore;
	/** Close `store` with the server, as if the server had opened it. */
	closeStore?: boolean;
	logger?: Logger;
	compactThreshold?: number;
	/** 32 bytes; by default read from (or created at) `${dataDir}/server-secret`. */
	serverSecret?: Uint8Array;
	maxDocBytes?: number;
	/** How often presence is relayed (room/runner.ts). */
	presenceTickMs?: number;
	/** How long a room stays loaded after its last connection leaves. */
	unloadGraceMs?: number;
	/** Per-connection message budget (server/limits.ts has the defaults and why). */
	messageBudget?: MessageBudget;
	/** This machine's LAN addresses, for share links opened from localhost (tests pass their own). */
	lanAddresses?: () => string[];
	/** Per-connection budget of room time (sync-server.ts has the defaults and why). */
	workBudget?: WorkBudget;
	heartbeatMs?: number;
	/** Told how long each message's handling and each commit took, in ms (diagnostics, tests). */
	onTiming?: Timing;
	/** How the basemap proxy reaches its upstream (tests count or break requests). */
	basemapFetch?: typeof fetch;
	/** Whether the heap is near its limit (server/memory.ts; tests pass their own). */
	memory?: MemoryGauge;
	/** How place search reaches GEOCODER_UPSTREAM. */
	geocoderFetch?: typeof fetch;
	/** The other instances serving the same database (server/cluster/); none by default. */
	cluster?: ClusterBus;
	/** With a cluster: how often loaded rooms compare their place with the store's head (room/registry.ts). */
	clusterPollMs?: number;
	/** Run once everything else is closed (the cluster bus and instance lock startAtlasServer opened). */
	onClose?: () => Promise<void>;
}

const USER_AGENT = 'AssetAtlas/0.1 (self-hosted community asset mapping server; basemap proxy for workshop participants)';

export interface AtlasServer {
	handleHttp(req: IncomingMessage, res: ServerResponse, next: () => void): void;
	isSyncRequest(req: IncomingMessage): boolean;
	handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
	/** Compacts and closes every room, then the store if we opened it. */
	close(): Promise<void>;
	readonly store: DocStore;
	/** Open rooms, for tests and diagnostics. */
	readonly rooms: Pick<RoomRegistry, 'size' | 'has' | 'room'>;
}

function pathnameOf(req: IncomingMessage): string | null {
	try {
		return new URL(req.url ?? '/', 'http://placeholder').pathname;
	} catch {
		return null;
	}
}

/** The store the configuration asks for: PostgreSQL with DATABASE_URL, else the SQLite file in DATA_DIR. */
export async function openConfiguredStore(config: AtlasConfig): Promise<DocStore> {
	return config.databaseUrl ? createPostgresStore(config.databaseUrl) : createSqliteStore(config.dataDir);
}

/** The server secret: SERVER_SECRET, else DATA_DIR/server-secret (created on first start). */
export function configuredServerSecret(config: AtlasConfig): Uint8Array {
	return config.serverSecret ?? loadServerSecret(config.dataDir);
}

export interface OpenedCluster {
	bus: ClusterBus;
	close(): Promise<void>;
}

/**
 * With DATABASE_URL: the checks that let instances share the database (cluster/
 * instance-guard.ts: one instance alone unless every one has REDIS_URL; one server
 * secret; one REDIS_PREFIX), and with REDIS_URL the bus that connects them. Rejects with a clear message
 * when another instance is in the way, the secret differs, or Redis does not answer.
 * Without DATABASE_URL: one process, nothing to open.
 */
export async function openConfiguredCluster(config: AtlasConfig, serverSecret: Uint8Array, logger: Logger): Promise<OpenedCluster> {
	if (!config.databaseUrl) return { bus: noCluster, close: () => Promise.resolve() };
	const guard = await guardInstances(config.databaseUrl, {
		clustered: config.redisUrl !== null,
		bus: config.redisUrl !== null ? busIdentity(config.redisPrefix) : undefined,
		serverSecret,
		logger
	});
	if (!config.redisUrl) return { bus: noCluster, close: () => guard.close() };
	let bus: ClusterBus;
	try {
		bus = await createRedisBus({ url: config.redisUrl, prefix: config.redisPrefix, secret: serverSecret, logger });
	} catch (error) {
		await guard.close();
		throw error;
	}
	return {
		bus,
		async close() {
			await bus.close();
			await guard.close();
		}
	};
}

/**
 * createAtlasServer with the store (and, with DATABASE_URL, the instance checks and
 * REDIS_URL's bus) the configuration asks for, which open asynchronously; the server
 * closes them.
 */
export async function startAtlasServer(config: AtlasConfig, options: AtlasServerOptions = {}): Promise<AtlasServer> {
	if (options.store) return createAtlasServer(config, options);
	const store = await openConfiguredStore(config);
	const serverSecret = options.serverSecret ?? configuredServerSecret(config);
	let cluster: OpenedCluster;
	try {
		cluster = await openConfiguredCluster(config, serverSecret, options.logger ?? console);
	} catch (error) {
		await store.close();
		throw error;
	}
	return createAtlasServer(config, { ...options, store, closeStore: true, serverSecret, cluster: cluster.bus, onClose: cluster.close });
}

export function createAtlasServer(config: AtlasConfig, options: AtlasServerOptions = {}): AtlasServer {
	if (options.store === undefined && config.databaseUrl) {
		throw new Error('DATABASE_URL is set: open the server with startAtlasServer (the PostgreSQL store opens asynchronously)');
	}
	const ownsStore = options.store === undefined || options.closeStore === true;
	const store = options.store ?? createSqliteStore(config.dataDir);
	const logger = options.logger ?? console;
	const memory = options.memory ?? heapGauge();
	const storageFull = () => config.maxStoredBytes !== null && store.storedBytes() >= config.maxStoredBytes;
	const cluster = options.cluster ?? noCluster;
	const rooms = new RoomRegistry({
		cluster,
		clusterPollMs: options.clusterPollMs,
		store,
		logger,
		compactThreshold: options.compactThreshold,
		maxDocBytes: options.maxDocBytes ?? config.maxMapBytes,
		storageFull,
		memoryTight: () => memory.tight(),
		presenceTickMs: options.presenceTickMs,
		unloadGraceMs: options.unloadGraceMs,
		onTiming: options.onTiming
	});
	// One limiter for bad keys and bad join codes, over HTTP and WebSocket alike.
	const failures = new FailureLimiter();
	const sync = createSyncServer({
		config,
		store,
		rooms,
		logger,
		failures,
		messageBudget: options.messageBudget,
		workBudget: options.workBudget,
		heartbeatMs: options.heartbeatMs
	});
	const basemap = new BasemapService({
		upstream: config.basemapUpstream,
		dataDir: config.dataDir,
		cacheMaxBytes: config.basemapCacheMaxBytes,
		userAgent: USER_AGENT,
		logger,
		fetch: options.basemapFetch
	});
	basemap.warm();
	const packs = new PackManager(basemap, { maxTiles: config.basemapPackMaxTiles, maxBytes: config.basemapPackMaxBytes }, logger);
	const api: ApiContext = {
		config,
		store,
		logger,
		failures,
		lanAddresses: options.lanAddresses ?? (() => reachableAddresses(config.host)),
		creations: new KeyedRate(config.mapCreationsPerHour, Math.min(config.mapCreationsPerHour, Math.max(MAP_CREATION_BURST, config.mapCreationsPerHour / 3))),
		storageFull,
		joinCodes: new JoinCodes(options.serverSecret ?? configuredServerSecret(config)),
		// Closes the old key's sockets here and, through the cluster bus, on every instance.
		onKeyRotated: (mapId, role, generation) => rooms.keyReplaced(mapId, role, generation),
		basemap,
		packs,
		places: createPlaceService({ upstream: config.geocoderUpstream, logger, fetch: options.geocoderFetch }),
		placeSearches: new KeyedRate(PLACE_SEARCHES_PER_HOUR, PLACE_SEARCH_BURST),
		liveState(mapId) {
			const doc = rooms.has(mapId) ? rooms.room(mapId)?.doc : null;
			return doc ? Y.encodeStateAsUpdate(doc) : null;
		},
		serverWrite: (mapId, write) => rooms.serverWrite(mapId, write),
		answerRates: new AnswerRates()
	};
	let closed: Promise<void> | null = null;

	return {
		store,
		rooms,
		handleHttp(req, res, next) {
			// Every response, including the app's pages, static files and errors (security-headers.ts).
			applySecurityHeaders(res);
			const pathname = pathnameOf(req);
			if (pathname !== null && isBasemapPath(pathname)) {
				return void handleBasemap(basemap, req, res, new URL(req.url ?? '/', 'http://placeholder')).catch((error: unknown) => {
					logger.error(`basemap: ${error instanceof Error ? error.message : String(error)}`);
					if (!res.headersSent) sendError(res, 500, 'internal error');
					else res.destroy();
				});
			}
			if (pathname !== null && isJoinPath(pathname)) return void handleJoin(api, req, res, pathname);
			if (pathname !== null && isSnapshotExportPath(pathname)) return void handleSnapshotExport(api, req, res, pathname);
			// A plain GET of a sync URL carries ?key=; answer it here rather than let it reach
			// the app (whose 404 would log the path) or anything else that might log it.
			if (pathname !== null && isSyncPath(pathname)) {
				req.resume();
				return sendError(res, 426, 'this address only speaks WebSocket', { Upgrade: 'websocket' });
			}
			if (pathname === null || !isApiPath(pathname)) return next();
			void handleApi(api, req, res, pathname);
		},
		isSyncRequest(req) {
			try {
				return isSyncPath(syncPathOf(req).pathname);
			} catch {
				return false;
			}
		},
		handleUpgrade(req, socket, head) {
			sync.handleUpgrade(req, socket, head);
		},
		close() {
			closed ??= (async () => {
				packs.close();
				await rooms.closeAll();
				await sync.close();
				basemap.close();
				if (ownsStore) await store.close();
				await options.onClose?.();
			})();
			return closed;
		}
	};
}
