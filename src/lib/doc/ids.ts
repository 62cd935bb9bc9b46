/**
 * Identifiers shared by the browser and the server. Map ids use an alphabet without
 * look-alike characters (no 0/o, 1/l/i) so a short join address can be read aloud or
 * typed from a projector.
 */

export const MAP_ID_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';
export const MAP_ID_LENGTH = 10;
const MAP_ID_PATTERN = new RegExp(`^[${MAP_ID_ALPHABET}]{${MAP_ID_LENGTH}}$`);

const ENTITY_ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ENTITY_ID_LENGTH = 16;
const ENTITY_ID_PATTERN = /^[0-9A-Za-z_-]{1,64}$/;

function randomString(alphabet: string, length: number): string {
	// Rejection sampling keeps every character equally likely.
	const limit = 256 - (256 % alphabet.length);
	let out = '';
	while (out.length < length) {
		const bytes = crypto.getRandomValues(new Uint8Array(length * 2));
		for (const byte of bytes) {
			if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
		}
	}
	return out;
}

export function newMapId(): string {
	return randomString(MAP_ID_ALPHABET, MAP_ID_LENGTH);
}

export function isMapId(value: unknown): value is string {
	return typeof value === 'string' && MAP_ID_PATTERN.test(value);
}

/** Ids for assets, goals and contributors: 16 characters of 62 (~95 bits). */
export function newEntityId(): string {
	return randomString(ENTITY_ID_ALPHABET, ENTITY_ID_LENGTH);
}

/** Peers may write any string as a key; only these shapes are treated as ids. */
export function isEntityId(value: unknown): value is string {
	return typeof value === 'string' && ENTITY_ID_PATTERN.test(value);
}

/** Derived so that two people making the same link at once make one link. */
export function supportsLinkId(assetId: string, goalId: string): string {
	return `supports:${assetId}:${goalId}`;
}

export function connectsLinkId(assetA: string, assetB: string): string {
	const [first, second] = [assetA, assetB].sort();
	return `connects:${first}:${second}`;
}

/** The derived id of a link of either kind, or null for an unknown kind. */
export function linkId(kind: string, from: string, to: string): string | null {
	if (kind === 'supports') return supportsLinkId(from, to);
	if (kind === 'connects') return connectsLinkId(from, to);
	return null;
}
