/**
 * The one storage interface every backend implements (and tests/server/doc-store.contract.ts
 * checks). Methods are async even where SQLite is synchronous, so a networked backend
 * such as PostgreSQL can slot in without touching the rooms.
 */
import type { Affiliation, Role } from '../../src/lib/doc/model.ts';
import type { Generations, KeyHashes } from '../auth.ts';
import type { ClientOwner } from '../room/client-ids.ts';
import type { JournalKind, JournalRecord } from '../room/journal.ts';

export interface MapRecord {
	id: string;
	title: string;
	place: string;
	createdAt: number;
	keyHashes: KeyHashes;
	/** Bumped by key rotation, separately per role. */
	keyGenerations: Generations;
	/**
	 * The secret the editor and viewer keys are derived from, sealed with the server
	 * secret (server/auth.ts). Null while it is still the map's first facilitator key: it
	 * is sealed and stored the first time the facilitator key is replaced, so replacing the
	 * facilitator link keeps the participant links.
	 */
	linkSecret: Uint8Array | null;
}

/** A journal record as stored, with its place in the map's journal. */
export interface StoredJournalEntry extends JournalRecord {
	seq: number;
}

export interface JournalQuery {
	/** Only this entry's records. */
	entry?: string;
	kind?: JournalKind;
	/** Only records older than this seq (paging, newest first). */
	before?: number;
	limit: number;
}

/** What is stored together with an update, in the same transaction. */
export interface AppendExtras {
	journal?: JournalRecord[];
	/** Client ids first written by a device (server/room/client-ids.ts). */
	owners?: ClientOwner[];
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

/** Where a map's stored log stands (DocStore.logHeads). */
export interface LogHead {
	/** The highest seq stored, 0 for a map with no rows. */
	seq: number;
	/** Bytes of the map's update rows (what its size cap counts since the last compaction). */
	bytes: number;
	/**
	 * Each role's key generation (the map's record; all 0 for a map without one), read with
	 * the head: an instance that missed a replaced key's message learns it from the poll.
	 */
	generations: Generations;
}

/**
 * A compaction gave way to another instance's (several unloading one map at once): the rows
 * changed while it merged them, or the map's lock stayed taken past the wait, or the
 * database picked it as a conflict's loser. Nothing is lost: the log is complete as it is.
 */
export class CompactionConflict extends Error {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = 'CompactionConflict';
	}
}

export class MapExistsError extends Error {
	constructor(id: string) {
		super(`map ${id} already exists`);
		this.name = 'MapExistsError';
	}
}

/** Who froze a snapshot, as they typed it (cleaned by the API); never a key or an account. */
export interface SnapshotAuthor {
	name: string;
	affiliation: Affiliation | null;
}

/** A note on a snapshot: what it evidences. Annotations never change the snapshot's hash. */
export interface SnapshotAnnotation {
	id: string;
	at: number;
	text: string;
	competencies: string[];
	/** Which key wrote it: the snapshot's annotation key or the map's facilitator key. */
	by: 'annotator' | 'facilitator';
}

/**
 * A frozen, citable copy of a map. Immutable except `annotations` (and the PNG, filed once
 * by a later slice). `geojson` holds the exact bytes the citation's `sha256` is of.
 */
export interface SnapshotRecord {
	/** At least 128 random bits, base64url. */
	id: string;
	mapId: string;
	takenAt: number;
	takenBy: SnapshotAuthor | null;
	/** The public document as one Yjs update (no hidden or deleted entries, no names). */
	state: Uint8Array;
	geojson: Uint8Array;
	/** Hex SHA-256 of `geojson`. */
	sha256: string;
	/** Title, place, counts (src/lib/export/snapshot.ts SnapshotMeta); stored as JSON. */
	meta: unknown;
	annotationKeyHash: string;
	annotations: SnapshotAnnotation[];
	png: Uint8Array | null;
	pngSha256: string | null;
}

/** A snapshot without its blobs, for lists. */
export type SnapshotSummary = Pick<SnapshotRecord, 'id' | 'mapId' | 'takenAt' | 'takenBy' | 'sha256' | 'meta'>;

/** A map has as many snapshots as it may (MAX_SNAPSHOTS_PER_MAP). */
export class SnapshotLimitError extends Error {
	constructor(readonly limit: number) {
		super(`a map keeps at most ${limit} snapshots`);
		this.name = 'SnapshotLimitError';
	}
}

/** A snapshot has as many annotations as it may. */
export class AnnotationLimitError extends Error {
	constructor(readonly limit: number) {
		super(`a snapshot keeps at most ${limit} annotations`);
		this.name = 'AnnotationLimitError';
	}
}

export const MAX_SNAPSHOTS_PER_MAP = 200;
export const MAX_ANNOTATIONS_PER_SNAPSHOT = 100;

/** What one snapshot counts for toward MAX_STORED_BYTES (its blobs and JSON, plus row overhead). */
export function snapshotBytes(record: Pick<SnapshotRecord, 'state' | 'geojson' | 'png'> & { metaJson: string; annotationsJson: string }): number {
	return 256 + record.state.byteLength + record.geojson.byteLength + (record.png?.byteLength ?? 0) + record.metaJson.length + record.annotationsJson.length;
}

export interface DocStore {
	/** Throws MapExistsError when the id is taken. */
	createMap(record: MapRecord): Promise<void>;
	getMap(id: string): Promise<MapRecord | null>;
	/**
	 * Replaces one role's key hash and bumps its generation, only if the generation is still
	 * `fromGeneration` (two rotations at once must not both win). Resolves false otherwise.
	 * Replacing the facilitator key also files `linkSecret` if the map has none yet.
	 */
	rotateKey(mapId: string, role: Role, fromGeneration: number, keyHash: string, linkSecret?: Uint8Array): Promise<boolean>;
	/**
	 * Makes codeHash the map's one join code, replacing its previous one. Throws
	 * JoinCodeTakenError when another map holds that code.
	 */
	setJoinCode(mapId: string, codeHash: string, sealed: Uint8Array): Promise<void>;
	findJoinCode(codeHash: string): Promise<JoinCodeRecord | null>;
	/** Resolves once the update (and its journal records and client owners) is durable; returns its seq. */
	appendUpdate(mapId: string, update: Uint8Array, extras?: AppendExtras): Promise<number>;
	/** Every client id bound to a device in this map. */
	loadOwners(mapId: string): Promise<ClientOwner[]>;
	/** Binds client ids to devices without an update (a presence id); the first binding of an id stays. */
	addOwners(mapId: string, owners: ClientOwner[]): Promise<void>;
	/** Journal records, newest first. Compaction never removes any. */
	readJournal(mapId: string, query: JournalQuery): Promise<StoredJournalEntry[]>;
	/** Every stored update of a map, oldest first. */
	loadUpdates(mapId: string): Promise<StoredUpdate[]>;
	/**
	 * What a document that holds every row up to `afterSeq` lacks, oldest first, read in one
	 * snapshot: the rows with seq > afterSeq; or, when a compaction has since merged rows
	 * past afterSeq (its rows then stand for seqs the caller holds only some of), every row.
	 * Several instances on one database catch up with this (server/cluster/).
	 */
	loadUpdatesSince(mapId: string, afterSeq: number): Promise<StoredUpdate[]>;
	/** Each named map's highest seq, update bytes and key generations (maps without rows: seq 0, bytes 0). */
	logHeads(mapIds: string[]): Promise<Map<string, LogHead>>;
	/** Atomically replaces all rows with seq <= upToSeq by one row (seq = upToSeq) holding state. */
	compact(mapId: string, upToSeq: number, state: Uint8Array): Promise<void>;
	/**
	 * Like compact, but merges the stored rows itself, where it does not hold the server's
	 * event loop (the SQLite store uses a worker thread), into rows that are each quick to
	 * apply, in order (server/persistence/state-chunks.js), the last at upToSeq. Resolves
	 * with their total size and count.
	 */
	compactStored(mapId: string, upToSeq: number): Promise<{ bytes: number; rows: number }>;
	countUpdates(mapId: string): Promise<number>;
	/**
	 * Files a snapshot. Throws SnapshotLimitError when the map already has `maxPerMap`
	 * (checked and inserted atomically), and an Error when the id is taken.
	 */
	createSnapshot(record: SnapshotRecord, maxPerMap?: number): Promise<void>;
	getSnapshot(id: string): Promise<SnapshotRecord | null>;
	/** A map's snapshots, newest first. */
	listSnapshots(mapId: string): Promise<SnapshotSummary[]>;
	/**
	 * Appends an annotation; the only change a snapshot ever takes. Resolves false when
	 * there is no such snapshot; throws AnnotationLimitError past `maxAnnotations`.
	 */
	addAnnotation(snapshotId: string, annotation: SnapshotAnnotation, maxAnnotations?: number): Promise<boolean>;
	/**
	 * Files a snapshot's picture, once: 'stored', or 'exists' when it already has one (which
	 * is never replaced), or 'missing' when there is no such snapshot.
	 */
	setSnapshotPng(snapshotId: string, png: Uint8Array, sha256: string): Promise<'stored' | 'exists' | 'missing'>;
	/** Bytes of update rows, history and snapshots all maps hold now (for MAX_STORED_BYTES). */
	storedBytes(): number;
	close(): Promise<void>;
}

/**
 * The history of one map may hold this many bytes; past it the oldest records are
 * dropped. Updates are compacted, the history is not: a few people overwriting a long
 * description all afternoon would otherwise grow it without bound. 32 MiB is hundreds of
 * thousands of ordinary edits.
 */
export const MAX_JOURNAL_BYTES_PER_MAP = 32 * 1024 * 1024;

/** What one history record counts for (its JSON and text, plus the row's own overhead). */
export function journalRecordBytes(entry: { name: string; collection: string; entry: string; kind: string; fieldsJson: string }): number {
	return 48 + entry.name.length + entry.collection.length + entry.entry.length + entry.kind.length + entry.fieldsJson.length;
}
