/**
 * What this device remembers: who you are (participants have no account) and which maps
 * you opened, with the role you had, so a reload works offline. Read defensively:
 * localStorage may be full, disabled, or hold values from an older version.
 */
import { newEntityId } from '../doc/ids.ts';
import { LIMITS, ROLES, type Contributor, type Role } from '../doc/model.ts';
import { cleanDisplayName } from '../doc/names.ts';
import { isRecord, parseContributor, text } from '../doc/validate.ts';

const PROFILE_KEY = 'asset-atlas:profile';
const DEVICE_KEY = 'asset-atlas:device';
const RECENT_KEY = 'asset-atlas:recent-maps';

function read(key: string): unknown {
	try {
		const raw = localStorage.getItem(key);
		return raw === null ? null : JSON.parse(raw);
	} catch {
		return null;
	}
}

function write(key: string, value: unknown): void {
	try {
		localStorage.setItem(key, JSON.stringify(value));
	} catch {
		// Private mode or a full disk: the session still works, it just won't be remembered.
	}
}

export function loadProfile(): Contributor | null {
	const profile = parseContributor(read(PROFILE_KEY));
	return profile && profile.name ? profile : null;
}

export function saveProfile(fields: Omit<Contributor, 'id'>): Contributor {
	const profile: Contributor = {
		id: loadProfile()?.id ?? newEntityId(),
		name: cleanDisplayName(fields.name, 80),
		affiliation: fields.affiliation
	};
	write(PROFILE_KEY, profile);
	return profile;
}

export interface RecentMap {
	id: string;
	title: string;
	role: Role;
	/** The key for this device's role, so the map reopens from the home page. */
	key: string;
	openedAt: number;
}

export function loadRecentMaps(): RecentMap[] {
	const raw = read(RECENT_KEY);
	if (!Array.isArray(raw)) return [];
	const maps: RecentMap[] = [];
	for (const item of raw) {
		if (!isRecord(item)) continue;
		const role = item.role;
		if (typeof item.id !== 'string' || typeof item.key !== 'string' || !(ROLES as readonly unknown[]).includes(role)) continue;
		maps.push({
			id: item.id,
			title: text(item.title, LIMITS.title),
			role: role as Role,
			key: item.key,
			openedAt: typeof item.openedAt === 'number' ? item.openedAt : 0
		});
	}
	return maps.sort((a, b) => b.openedAt - a.openedAt);
}

export function rememberMap(entry: Omit<RecentMap, 'openedAt'>): void {
	const others = loadRecentMaps().filter((map) => map.id !== entry.id);
	write(RECENT_KEY, [{ ...entry, openedAt: Date.now() }, ...others].slice(0, 20));
}

export function recentMap(id: string): RecentMap | undefined {
	return loadRecentMaps().find((map) => map.id === id);
}

/** 128 random bits, base64url. */
export function randomToken(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(16));
	return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * This device's secret token. The server binds the Yjs client ids this device writes
 * under to it (server/room/client-ids.ts), so nobody else can write under them, and a
 * reload that brings offline edits made under an old id still gets them in. Never shown,
 * never written into the map.
 */
export function deviceToken(): string {
	const stored = read(DEVICE_KEY);
	if (typeof stored === 'string' && /^[A-Za-z0-9_-]{16,64}$/.test(stored)) return stored;
	const token = randomToken();
	write(DEVICE_KEY, token);
	return token;
}
