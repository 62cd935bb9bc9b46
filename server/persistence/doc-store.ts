/**
 * The one storage interface every backend implements (and tests/server/doc-store.contract.ts
 * checks). Methods are async even where SQLite is synchronous, so a networked backend
 * such as PostgreSQL can slot in without touching the rooms.
 */
import type { Generations, KeyHashes } from '../auth.ts';

export interface MapRecord {
	id: string;
	title: string;
	place: string;
	createdAt: number;
	keyHashes: KeyHashes;
	/** Bumped by key rotation, separately per shared role. */
	keyGenerations: Generations;
}

/** A short join code's row: the code itself is stored only as a hash. */
export interface JoinCodeRecord {
	mapId: string;
	/** The editor key, sealed with the server secret (server/join-codes.ts). */
	sealed: Uint8Array;
}

export class JoinCodeTakenError extends Error {
	constructor() {
		super('join code belongs to another map');
		this.name = 'JoinCodeTakenError';
	}
}

export interface StoredUpdate {
	/** Increases with every append for one map; compaction keeps the seq it merged up to. */
	seq: number;
	data: Uint8Array;
}

export class MapExistsError extends Error {
	constructor(id: string) {
		super(`map ${id} already exists`);
		this.name = 'MapExistsError';
	}
}

export interface DocStore {
	/** Throws MapExistsError when the id is taken. */
	createMap(record: MapRecord): Promise<void>;
	getMap(id: string): Promise<MapRecord | null>;
	/**
	 * Replaces one role's key hash and bumps its generation, only if the generation is still
	 * `fromGeneration` (two rotations at once must not both win). Resolves false otherwise.
	 */
	rotateKey(mapId: string, role: 'editor' | 'viewer', fromGeneration: number, keyHash: string): Promise<boolean>;
	/**
	 * Makes codeHash the map's one join code, replacing its previous one. Throws
	 * JoinCodeTakenError when another map holds that code.
	 */
	setJoinCode(mapId: string, codeHash: string, sealed: Uint8Array): Promise<void>;
	findJoinCode(codeHash: string): Promise<JoinCodeRecord | null>;
	/** Resolves once the update is durable; returns its seq. */
	appendUpdate(mapId: string, update: Uint8Array): Promise<number>;
	/** Every stored update of a map, oldest first. */
	loadUpdates(mapId: string): Promise<StoredUpdate[]>;
	/** Atomically replaces all rows with seq <= upToSeq by one row (seq = upToSeq) holding state. */
	compact(mapId: string, upToSeq: number, state: Uint8Array): Promise<void>;
	countUpdates(mapId: string): Promise<number>;
	close(): Promise<void>;
}
