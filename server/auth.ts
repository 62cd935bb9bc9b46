/**
 * Capability keys. Only the facilitator key is random; the editor and viewer keys are
 * derived from it, so a facilitator on any device can get every link back while the
 * server keeps nothing but hashes. Bumping the generation (key rotation) changes the
 * derived keys without touching the facilitator key.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '../src/lib/doc/model.ts';

export type KeyHashes = Record<Role, string>;
export type Keys = Record<Role, string>;

/** Longer than any key we issue; stops hashing of arbitrarily large input. */
const MAX_KEY_LENGTH = 128;

export function newFacilitatorKey(): string {
	return randomBytes(24).toString('base64url');
}

export function deriveKey(facilitatorKey: string, role: 'editor' | 'viewer', mapId: string, generation: number): string {
	return createHmac('sha256', facilitatorKey).update(`${role}:${mapId}:${generation}`).digest('base64url');
}

/** Each shared role has its own generation, so replacing the viewer link keeps the editor link. */
export interface Generations {
	editor: number;
	viewer: number;
}

export function keysFor(facilitatorKey: string, mapId: string, generation: number | Generations): Keys {
	const generations = typeof generation === 'number' ? { editor: generation, viewer: generation } : generation;
	return {
		facilitator: facilitatorKey,
		editor: deriveKey(facilitatorKey, 'editor', mapId, generations.editor),
		viewer: deriveKey(facilitatorKey, 'viewer', mapId, generations.viewer)
	};
}

export function hashKey(key: string): string {
	return createHash('sha256').update(key).digest('hex');
}

export function hashKeys(keys: Keys): KeyHashes {
	return { facilitator: hashKey(keys.facilitator), editor: hashKey(keys.editor), viewer: hashKey(keys.viewer) };
}

const ROLES_BY_POWER: Role[] = ['facilitator', 'editor', 'viewer'];

/** The role a presented key grants, or null. Compares against every hash so timing says nothing. */
export function roleForKey(hashes: KeyHashes, key: unknown): Role | null {
	if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) return null;
	const presented = Buffer.from(hashKey(key), 'hex');
	let found: Role | null = null;
	for (const role of ROLES_BY_POWER) {
		const stored = Buffer.from(hashes[role], 'hex');
		if (stored.length === presented.length && timingSafeEqual(stored, presented) && found === null) found = role;
	}
	return found;
}
