/**
 * Reads the server's settings from the environment once, at startup, so a typo in a
 * deployment fails loudly instead of surfacing later as odd behavior.
 */
export interface AtlasConfig {
	port: number;
	host: string;
	dataDir: string;
	basemapStyleUrl: string | null;
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
	const allowed = nonEmpty(env, 'ALLOWED_ORIGINS');
	const publicOrigin = nonEmpty(env, 'PUBLIC_ORIGIN');
	return {
		port: parsePort(nonEmpty(env, 'PORT')),
		host: nonEmpty(env, 'HOST') ?? '0.0.0.0',
		dataDir: nonEmpty(env, 'DATA_DIR') ?? './data',
		basemapStyleUrl: parseStyleUrl(nonEmpty(env, 'BASEMAP_STYLE_URL')),
		allowedOrigins: allowed
			? allowed
					.split(',')
					.map((item) => item.trim())
					.filter(Boolean)
					.map((item) => parseOrigin('ALLOWED_ORIGINS', item))
			: [],
		publicOrigin: publicOrigin ? parseOrigin('PUBLIC_ORIGIN', publicOrigin) : null
	};
}
