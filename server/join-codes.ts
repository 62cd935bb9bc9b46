/**
 * Short join addresses (/j/<code>) for people who cannot scan a QR code.
 *
 * The server never knows the editor key on its own (it is derived from the facilitator
 * key, and only hashes are stored), so when a facilitator asks for links we seal the
 * editor key under a server secret and file it under a keyed hash of the code. A stolen
 * database alone then reveals neither codes nor keys; the secret lives in its own file.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAP_ID_ALPHABET } from '../src/lib/doc/ids.ts';

export const JOIN_CODE_LENGTH = 8;
const JOIN_CODE_PATTERN = new RegExp(`^[${MAP_ID_ALPHABET}]{${JOIN_CODE_LENGTH}}$`);
export const SECRET_FILE = 'server-secret';
const SECRET_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Reads `${dataDir}/server-secret`, creating it (32 random bytes, mode 0600) on first start. */
export function loadServerSecret(dataDir: string): Uint8Array {
	mkdirSync(dataDir, { recursive: true });
	const file = join(dataDir, SECRET_FILE);
	try {
		// 'wx' fails if the file exists, so two processes starting at once cannot overwrite each other.
		writeFileSync(file, randomBytes(SECRET_BYTES), { flag: 'wx', mode: 0o600 });
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
	}
	const secret = readFileSync(file);
	if (secret.length !== SECRET_BYTES) throw new Error(`${file} must hold exactly ${SECRET_BYTES} bytes`);
	try {
		chmodSync(file, 0o600);
	} catch {
		// A read-only mount: the mode it has is what we get.
	}
	return new Uint8Array(secret);
}

export class JoinCodes {
	private readonly codeKey: Buffer;
	private readonly sealKey: Buffer;

	constructor(secret: Uint8Array) {
		if (secret.length !== SECRET_BYTES) throw new Error('server secret must be 32 bytes');
		// Separate keys per purpose, both from the one secret.
		this.codeKey = createHmac('sha256', secret).update('asset-atlas join code').digest();
		this.sealKey = createHmac('sha256', secret).update('asset-atlas seal').digest();
	}

	static isCode(value: string): boolean {
		return JOIN_CODE_PATTERN.test(value);
	}

	/**
	 * The code for a map's current editor generation: deterministic, so asking for links
	 * twice gives the same code, and a new editor key gives a new one. `attempt` picks
	 * another code in the (rare) event of a clash with a different map.
	 */
	codeFor(mapId: string, editorGeneration: number, attempt = 0): string {
		const limit = 256 - (256 % MAP_ID_ALPHABET.length);
		let out = '';
		for (let round = 0; out.length < JOIN_CODE_LENGTH; round++) {
			const bytes = createHmac('sha256', this.codeKey).update(`${mapId}:${editorGeneration}:${attempt}:${round}`).digest();
			for (const byte of bytes) {
				if (byte < limit && out.length < JOIN_CODE_LENGTH) out += MAP_ID_ALPHABET[byte % MAP_ID_ALPHABET.length];
			}
		}
		return out;
	}

	/** Keyed, so the 8-character codes cannot be brute-forced from a copy of the database. */
	hashCode(code: string): string {
		return createHmac('sha256', this.codeKey).update(`code:${code}`).digest('hex');
	}

	seal(mapId: string, editorKey: string): Uint8Array {
		return this.sealFor(mapId, editorKey);
	}

	/** The sealed editor key, or null if it was not sealed by us for this map. */
	open(mapId: string, sealed: Uint8Array): string | null {
		return this.openFor(mapId, sealed);
	}

	/** Seals a map's link secret (server/auth.ts); bound to the map and to this purpose. */
	sealLinkSecret(mapId: string, secret: string): Uint8Array {
		return this.sealFor(`link-secret:${mapId}`, secret);
	}

	openLinkSecret(mapId: string, sealed: Uint8Array): string | null {
		return this.openFor(`link-secret:${mapId}`, sealed);
	}

	private sealFor(context: string, text: string): Uint8Array {
		const iv = randomBytes(IV_BYTES);
		const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
		cipher.setAAD(Buffer.from(context));
		const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
		return new Uint8Array(Buffer.concat([iv, cipher.getAuthTag(), body]));
	}

	private openFor(context: string, sealed: Uint8Array): string | null {
		if (sealed.length <= IV_BYTES + TAG_BYTES) return null;
		try {
			const bytes = Buffer.from(sealed);
			const decipher = createDecipheriv('aes-256-gcm', this.sealKey, bytes.subarray(0, IV_BYTES));
			decipher.setAAD(Buffer.from(context));
			decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
			return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
		} catch {
			return null;
		}
	}
}
