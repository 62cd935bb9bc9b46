/**
 * Capability keys. The facilitator key is random; the editor and viewer keys are derived
 * from the map's link secret, so a facilitator on any device can get every link back
 * while the server keeps nothing but hashes. The link secret is the map's first
 * facilitator key; when the facilitator key is replaced, the server files the link secret
 * sealed with its own secret (server/join-codes.ts), so participant links survive.
 * Bumping a role's generation (key rotation) changes that role's key alone.
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

export function deriveKey(linkSecret: string, role: 'editor' | 'viewer', mapId: string, generation: number): string {
	return createHmac('sha256', linkSecret).update(`${role}:${mapId}:${generation}`).digest('base64url');
}

/** Each role has its own generation, so replacing one link keeps the others. */
export interface Generations {
	facilitator: number;
	editor: number;
	viewer: number;
}

export const FIRST_GENERATIONS: Generations = { facilitator: 0, editor: 0, viewer: 0 };

/** Every role's key; `linkSecret` defaults to the facilitator key (a map whose facilitator key was never replaced). */
export function keysFor(facilitatorKey: string, mapId: string, generations: Generations, linkSecret = facilitatorKey): Keys {
	return {
		facilitator: facilitatorKey,
		editor: deriveKey(linkSecret, 'editor', mapId, generations.editor),
		viewer: deriveKey(linkSecret, 'viewer', mapId, generations.viewer)
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
