/**
 * Reads the server's settings from the environment once, at startup, so a typo in a
 * deployment fails loudly instead of surfacing later as odd behavior.
 */
export interface AtlasConfig {
	port: number;
	host: string;
	dataDir: string;
	/**
	 * DATABASE_URL: a postgres:// URL selects the PostgreSQL store (several instances may
	 * share it); null (the default) keeps the embedded SQLite file in dataDir.
	 */
	databaseUrl: string | null;
	/**
	 * REDIS_URL: connects the instances that share DATABASE_URL (server/cluster/), so each
	 * one's updates, presence and replaced keys reach the clients of every other. Null: one
	 * instance per database (a second one is refused at start).
	 */
	redisUrl: string | null;
	/** REDIS_PREFIX: prepended to the Redis channels, so deployments sharing one Redis stay apart. */
	redisPrefix: string;
	/**
	 * SERVER_SECRET (64 hex characters): the server secret, instead of DATA_DIR/server-secret.
	 * Instances sharing a database must all have the same one.
	 */
	serverSecret: Uint8Array | null;
	/**
	 * The street style the server proxies under /basemap/ (its tiles, glyphs and sprites
	 * too); null when BASEMAP_UPSTREAM=none, and pages use the offline countries map.
	 */
	basemapUpstream: string | null;
	/** Disk the basemap cache may use beyond offline area packs. */
	basemapCacheMaxBytes: number;
	/** Largest offline area pack, in tiles and in bytes. */
	basemapPackMaxTiles: number;
	basemapPackMaxBytes: number;
	/**
	 * A Nominatim- or Photon-compatible search URL the server asks for places its offline
	 * gazetteer lacks; null (the default) for the gazetteer alone.
	 */
	geocoderUpstream: string | null;
	/** Extra browser origins allowed to open sockets and create maps (besides same-origin). */
	allowedOrigins: string[];
	/** When set, share links use it instead of the request's Host header (e.g. behind TLS). */
	publicOrigin: string | null;
	/**
	 * Behind a reverse proxy: the header that carries the client's address
	 * (`X-Forwarded-For`, `X-Real-IP`, `CF-Connecting-IP`…), as adapter-node's ADDRESS_HEADER.
	 * Without it, the socket's own address is the client's.
	 */
	addressHeader: string | null;
	/** With X-Forwarded-For: how many proxies you trust (the address is that many from the right). */
	xffDepth: number;
	/** `open`: anyone may create maps (rate-limited per address); `token`: only with CREATE_TOKEN. */
	mapCreation: 'open' | 'token';
	createToken: string | null;
	/** New maps per client address per hour (with a burst of a third of that, at least 20). */
	mapCreationsPerHour: number;
	/** Stored bytes one map may reach (since its last compaction). */
	maxMapBytes: number;
	/** Stored bytes all maps together may reach; null for no cap. */
	maxStoredBytes: number | null;
	/** Open sync sockets per client address (a workshop's phones share one router's address). */
	maxSocketsPerAddress: number;
	/** Open sync sockets per map key (everyone in a workshop shares the participant link). */
	maxSocketsPerKey: number;
}

export class ConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ConfigError';
	}
}

type Env = Record<string, string | undefined>;

function nonEmpty(env: Env, name: string): string | undefined {
	const value = env[name]?.trim();
	return value ? value : undefined;
}

function parsePort(raw: string | undefined): number {
	if (raw === undefined) return 3000;
	if (!/^\d+$/.test(raw)) throw new ConfigError(`PORT must be a whole number, got "${raw}"`);
	const port = Number(raw);
	if (port > 65535) throw new ConfigError(`PORT must be between 0 and 65535, got ${port}`);
	return port;
}

/** An origin is scheme://host[:port] with nothing after it; anything else is a mistake. */
function parseOrigin(name: string, raw: string): string {
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw new ConfigError(`${name} must be an origin like https://atlas.example.org, got "${raw}"`);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new ConfigError(`${name} must use http or https, got "${raw}"`);
	}
	if (url.origin !== raw.replace(/\/$/, '')) {
		throw new ConfigError(`${name} must be only scheme://host[:port] (no path), got "${raw}"`);
	}
	return url.origin;
}

function parseList(raw: string | undefined, parse: (item: string) => string): string[] {
	if (raw === undefined) return [];
	return raw
		.split(',')
		.map((item) => item.trim())
		.filter(Boolean)
		.map(parse);
}

export const DEFAULT_BASEMAP_UPSTREAM = 'https://tiles.openfreemap.org/styles/liberty';

/** BASEMAP_UPSTREAM: an http(s) style URL, or `none`. BASEMAP_STYLE_URL is its former name. */
function parseUpstream(env: Env): string | null {
	const raw = nonEmpty(env, 'BASEMAP_UPSTREAM') ?? nonEmpty(env, 'BASEMAP_STYLE_URL');
	if (raw === undefined) return DEFAULT_BASEMAP_UPSTREAM;
	if (raw.toLowerCase() === 'none') return null;
	try {
		const url = new URL(raw);
		if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
	} catch {
		// fall through to the error below
	}
	throw new ConfigError(`BASEMAP_UPSTREAM must be an http(s) URL of a MapLibre style, or "none", got "${raw}"`);
}

/** GEOCODER_UPSTREAM: an http(s) search URL (e.g. https://nominatim.openstreetmap.org/search), or none. */
function parseGeocoder(env: Env): string | null {
	const raw = nonEmpty(env, 'GEOCODER_UPSTREAM');
	if (raw === undefined || raw.toLowerCase() === 'none') return null;
	try {
		const url = new URL(raw);
		if ((url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password) return url.href;
	} catch {
		// fall through to the error below
	}
	throw new ConfigError(`GEOCODER_UPSTREAM must be an http(s) URL of a Nominatim or Photon search, or "none", got "${raw}"`);
}

function parseCount(env: Env, name: string, fallback: number, min = 1): number {
	const raw = nonEmpty(env, name);
	if (raw === undefined) return fallback;
	if (!/^\d+$/.test(raw) || Number(raw) < min || !Number.isSafeInteger(Number(raw))) {
		throw new ConfigError(`${name} must be a whole number of at least ${min}, got "${raw}"`);
	}
	return Number(raw);
}

/** Sizes like 64MiB, 10GB, 500000. */
function parseBytes(env: Env, name: string): number | null {
	const raw = nonEmpty(env, name);
	if (raw === undefined) return null;
	const match = /^(\d+(?:\.\d+)?)\s*(|b|kb|kib|mb|mib|gb|gib|tb|tib)$/i.exec(raw);
	if (!match) throw new ConfigError(`${name} must be a size like 64MiB or 10GB, got "${raw}"`);
	const units: Record<string, number> = { '': 1, b: 1, kb: 1e3, kib: 2 ** 10, mb: 1e6, mib: 2 ** 20, gb: 1e9, gib: 2 ** 30, tb: 1e12, tib: 2 ** 40 };
	const bytes = Math.floor(Number(match[1]) * units[match[2].toLowerCase()]);
	if (bytes < 64 * 1024) throw new ConfigError(`${name} must be at least 64KiB, got "${raw}"`);
	return bytes;
}

/** DATABASE_URL: postgres:// or postgresql://, with a host or a socket directory. */
function parseDatabaseUrl(env: Env): string | null {
	const raw = nonEmpty(env, 'DATABASE_URL');
	if (raw === undefined) return null;
	let url: URL | null = null;
	try {
		url = new URL(raw);
	} catch {
		// reported below
	}
	if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')) {
		// Never echo the value: it may hold a password.
		const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1];
		throw new ConfigError(
			`DATABASE_URL must be a PostgreSQL URL like postgres://user:password@host:5432/atlas${scheme ? `, got a ${scheme}: URL` : ', got something that is not a URL'}`
		);
	}
	return raw;
}

/** REDIS_URL: redis:// or rediss://; needs DATABASE_URL (the instances share it). */
function parseRedisUrl(env: Env, databaseUrl: string | null): string | null {
	const raw = nonEmpty(env, 'REDIS_URL');
	if (raw === undefined) return null;
	let url: URL | null = null;
	try {
		url = new URL(raw);
	} catch {
		// reported below
	}
	if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
		// Never echo the value: it may hold a password.
		throw new ConfigError('REDIS_URL must be a Redis URL like redis://127.0.0.1:6379 (or rediss:// for TLS)');
	}
	if (databaseUrl === null) {
		throw new ConfigError('REDIS_URL connects several instances that share one PostgreSQL database: set DATABASE_URL too');
	}
	return raw;
}

function parseRedisPrefix(env: Env): string {
	const raw = nonEmpty(env, 'REDIS_PREFIX') ?? 'atlas:';
	if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(raw)) throw new ConfigError(`REDIS_PREFIX must be 1 to 64 letters, digits or ":_.-", got "${raw}"`);
	return raw;
}

/** SERVER_SECRET: 32 bytes as 64 hexadecimal characters (never echoed). */
function parseServerSecret(env: Env): Uint8Array | null {
	const raw = nonEmpty(env, 'SERVER_SECRET');
	if (raw === undefined) return null;
	if (!/^[0-9a-fA-F]{64}$/.test(raw)) throw new ConfigError('SERVER_SECRET must be 64 hexadecimal characters (32 bytes; `openssl rand -hex 32` makes one)');
	return new Uint8Array(Buffer.from(raw, 'hex'));
}

/** A header name as it may appear in a request (letters, digits, dashes). */
function parseHeaderName(raw: string | undefined): string | null {
	if (raw === undefined) return null;
	if (!/^[A-Za-z0-9-]+$/.test(raw)) throw new ConfigError(`ADDRESS_HEADER must be a header name like X-Forwarded-For, got "${raw}"`);
	return raw.toLowerCase();
}

export const DEFAULT_MAX_MAP_BYTES = 16 * 1024 * 1024;

export function loadConfig(env: Env): AtlasConfig {
	const publicOrigin = nonEmpty(env, 'PUBLIC_ORIGIN');
	const mapCreation = nonEmpty(env, 'MAP_CREATION') ?? 'open';
	if (mapCreation !== 'open' && mapCreation !== 'token') throw new ConfigError(`MAP_CREATION must be "open" or "token", got "${mapCreation}"`);
	const createToken = nonEmpty(env, 'CREATE_TOKEN') ?? null;
	if (mapCreation === 'token' && (createToken === null || createToken.length < 16)) {
		throw new ConfigError('MAP_CREATION=token needs CREATE_TOKEN of at least 16 characters');
	}
	const databaseUrl = parseDatabaseUrl(env);
	return {
		port: parsePort(nonEmpty(env, 'PORT')),
		host: nonEmpty(env, 'HOST') ?? '0.0.0.0',
		dataDir: nonEmpty(env, 'DATA_DIR') ?? './data',
		databaseUrl,
		redisUrl: parseRedisUrl(env, databaseUrl),
		redisPrefix: parseRedisPrefix(env),
		serverSecret: parseServerSecret(env),
		basemapUpstream: parseUpstream(env),
		basemapCacheMaxBytes: parseBytes(env, 'BASEMAP_CACHE_MAX_BYTES') ?? 2 * 2 ** 30,
		basemapPackMaxTiles: parseCount(env, 'BASEMAP_PACK_MAX_TILES', 25_000),
		basemapPackMaxBytes: parseBytes(env, 'BASEMAP_PACK_MAX_BYTES') ?? 500 * 2 ** 20,
		geocoderUpstream: parseGeocoder(env),
		allowedOrigins: parseList(nonEmpty(env, 'ALLOWED_ORIGINS'), (item) => parseOrigin('ALLOWED_ORIGINS', item)),
		publicOrigin: publicOrigin ? parseOrigin('PUBLIC_ORIGIN', publicOrigin) : null,
		addressHeader: parseHeaderName(nonEmpty(env, 'ADDRESS_HEADER')),
		xffDepth: parseCount(env, 'XFF_DEPTH', 1),
		mapCreation,
		createToken,
		mapCreationsPerHour: parseCount(env, 'MAP_CREATIONS_PER_HOUR', 60),
		maxMapBytes: parseBytes(env, 'MAX_MAP_BYTES') ?? DEFAULT_MAX_MAP_BYTES,
		maxStoredBytes: parseBytes(env, 'MAX_STORED_BYTES'),
		maxSocketsPerAddress: parseCount(env, 'MAX_SOCKETS_PER_ADDRESS', 200),
		maxSocketsPerKey: parseCount(env, 'MAX_SOCKETS_PER_KEY', 500)
	};
}
