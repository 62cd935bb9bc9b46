/**
 * Reads the server's settings from the environment once, at startup, so a typo in a
 * deployment fails loudly instead of surfacing later as odd behavior.
 */
export interface AtlasConfig {
	port: number;
	host: string;
	dataDir: string;
	basemapStyleUrl: string | null;
	/**
	 * Extra origins the basemap loads from (tiles, glyphs, sprites on other hosts than the
	 * style), added to the app's Content-Security-Policy with the style URL's own origin.
	 */
	basemapOrigins: string[];
	/** Extra browser origins allowed to open sockets and create maps (besides same-origin). */
	allowedOrigins: string[];
	/** When set, share links use it instead of the request's Host header (e.g. behind TLS). */
	publicOrigin: string | null;
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

/**
 * BASEMAP_ORIGINS entries go into a CSP header, so only plain origins pass (no paths,
 * spaces or semicolons); `https://*.tiles.example.org` is allowed for subdomain tile servers.
 */
function parseSourceOrigin(name: string, raw: string): string {
	const wildcard = /^(https?:\/\/)\*\.(.+)$/.exec(raw);
	let origin: string;
	try {
		origin = parseOrigin(name, wildcard ? `${wildcard[1]}${wildcard[2]}` : raw);
	} catch {
		throw new ConfigError(`${name} must list origins like https://tiles.example.org or https://*.example.org, got "${raw}"`);
	}
	const { hostname } = new URL(origin);
	if (!/^[a-z0-9.-]+$|^\[[0-9a-f:.]+\]$/.test(hostname)) {
		throw new ConfigError(`${name} must list origins like https://tiles.example.org or https://*.example.org, got "${raw}"`);
	}
	return wildcard ? origin.replace('://', '://*.') : origin;
}

function parseList(raw: string | undefined, parse: (item: string) => string): string[] {
	if (raw === undefined) return [];
	return raw
		.split(',')
		.map((item) => item.trim())
		.filter(Boolean)
		.map(parse);
}

function parseStyleUrl(raw: string | undefined): string | null {
	if (raw === undefined) return null;
	// A path on this server (e.g. a self-hosted style under /basemap/) is allowed too.
	if (raw.startsWith('/') && !raw.startsWith('//')) return raw;
	try {
		const url = new URL(raw);
		if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
	} catch {
		// fall through to the error below
	}
	throw new ConfigError(`BASEMAP_STYLE_URL must be an http(s) URL or a path starting with /, got "${raw}"`);
}

export function loadConfig(env: Env): AtlasConfig {
	const publicOrigin = nonEmpty(env, 'PUBLIC_ORIGIN');
	return {
		port: parsePort(nonEmpty(env, 'PORT')),
		host: nonEmpty(env, 'HOST') ?? '0.0.0.0',
		dataDir: nonEmpty(env, 'DATA_DIR') ?? './data',
		basemapStyleUrl: parseStyleUrl(nonEmpty(env, 'BASEMAP_STYLE_URL')),
		basemapOrigins: parseList(nonEmpty(env, 'BASEMAP_ORIGINS'), (item) => parseSourceOrigin('BASEMAP_ORIGINS', item)),
		allowedOrigins: parseList(nonEmpty(env, 'ALLOWED_ORIGINS'), (item) => parseOrigin('ALLOWED_ORIGINS', item)),
		publicOrigin: publicOrigin ? parseOrigin('PUBLIC_ORIGIN', publicOrigin) : null
	};
}
