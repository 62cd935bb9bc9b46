/**
 * Default store: one SQLite file. WAL with synchronous=FULL makes every committed append
 * survive a power cut, which is what lets rooms broadcast an update only after it is on disk.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Affiliation, Role } from '../../src/lib/doc/model.ts';
import type { ClientOwner } from '../room/client-ids.ts';
import type { JournalCollection, JournalKind } from '../room/journal.ts';
import {
	JoinCodeTakenError,
	MAX_JOURNAL_BYTES_PER_MAP,
	MapExistsError,
	journalRecordBytes,
	AnnotationLimitError,
	MAX_ANNOTATIONS_PER_SNAPSHOT,
	MAX_SNAPSHOTS_PER_MAP,
	SnapshotLimitError,
	snapshotBytes,
	type AppendExtras,
	type DocStore,
	type SnapshotAnnotation,
	type SnapshotRecord,
	type SnapshotSummary,
	type MapRecord,
	type StoredJournalEntry,
	type StoredUpdate
} from './doc-store.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS maps (
	id TEXT PRIMARY KEY,
	title TEXT NOT NULL,
	place TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	facilitator_key_hash TEXT NOT NULL,
	editor_key_hash TEXT NOT NULL,
	viewer_key_hash TEXT NOT NULL,
	key_generation INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS doc_updates (
	map_id TEXT NOT NULL,
	seq INTEGER NOT NULL,
	data BLOB NOT NULL,
	PRIMARY KEY (map_id, seq)
) STRICT, WITHOUT ROWID;
`;

/**
 * Schema migrations, applied in order on open; PRAGMA user_version records how many ran.
 * Files written before migrations existed have user_version 0 and the base schema above.
 */
const MIGRATIONS: string[] = [
	// 1: one key generation per shared role (rotating the viewer link keeps the editor link),
	// and short join codes. key_generation stays as it was, unused, so older rows keep meaning.
	`ALTER TABLE maps ADD COLUMN editor_generation INTEGER NOT NULL DEFAULT 0;
	 ALTER TABLE maps ADD COLUMN viewer_generation INTEGER NOT NULL DEFAULT 0;
	 UPDATE maps SET editor_generation = key_generation, viewer_generation = key_generation;
	 CREATE TABLE join_codes (
		code_hash TEXT PRIMARY KEY,
		map_id TEXT NOT NULL UNIQUE,
		sealed BLOB NOT NULL
	 ) STRICT;`,
	// 2: the facilitator key can be replaced (its own generation; the link secret the shared
	// keys derive from, sealed); Yjs client ids bound to devices; the history journal.
	`ALTER TABLE maps ADD COLUMN facilitator_generation INTEGER NOT NULL DEFAULT 0;
	 ALTER TABLE maps ADD COLUMN link_secret BLOB;
	 CREATE TABLE client_owners (
		map_id TEXT NOT NULL,
		client INTEGER NOT NULL,
		device TEXT NOT NULL,
		PRIMARY KEY (map_id, client)
	 ) STRICT, WITHOUT ROWID;
	 CREATE TABLE journal (
		map_id TEXT NOT NULL,
		seq INTEGER NOT NULL,
		at INTEGER NOT NULL,
		role TEXT NOT NULL,
		name TEXT NOT NULL,
		affiliation TEXT,
		collection TEXT NOT NULL,
		entry TEXT NOT NULL,
		kind TEXT NOT NULL,
		fields TEXT NOT NULL,
		PRIMARY KEY (map_id, seq)
	 ) STRICT, WITHOUT ROWID;
	 CREATE INDEX journal_by_entry ON journal (map_id, entry, seq);`,
	// 3: citable snapshots (issue 11). Immutable but for their annotations and a PNG filed
	// once: the trigger refuses any other change, whatever code runs against the file.
	`CREATE TABLE snapshots (
		id TEXT PRIMARY KEY,
		map_id TEXT NOT NULL,
		taken_at INTEGER NOT NULL,
		taken_by TEXT,
		state BLOB NOT NULL,
		geojson BLOB NOT NULL,
		sha256 TEXT NOT NULL,
		meta TEXT NOT NULL,
		annotation_key_hash TEXT NOT NULL,
		annotations TEXT NOT NULL DEFAULT '[]',
		png BLOB,
		png_sha256 TEXT
	 ) STRICT;
	 CREATE INDEX snapshots_by_map ON snapshots (map_id, taken_at);
	 CREATE TRIGGER snapshots_immutable BEFORE UPDATE ON snapshots
	 WHEN NEW.id IS NOT OLD.id OR NEW.map_id IS NOT OLD.map_id OR NEW.taken_at IS NOT OLD.taken_at
		OR NEW.taken_by IS NOT OLD.taken_by OR NEW.state IS NOT OLD.state OR NEW.geojson IS NOT OLD.geojson
		OR NEW.sha256 IS NOT OLD.sha256 OR NEW.meta IS NOT OLD.meta OR NEW.annotation_key_hash IS NOT OLD.annotation_key_hash
		OR (OLD.png IS NOT NULL AND (NEW.png IS NOT OLD.png OR NEW.png_sha256 IS NOT OLD.png_sha256))
	 BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;`,
	// 4: the seq each map's last compaction merged up to: rows at or below it stand for the
	// whole log up to there, so catching up from a seq below it takes all of them
	// (loadUpdatesSince).
	`CREATE TABLE compactions (
		map_id TEXT PRIMARY KEY,
		up_to INTEGER NOT NULL
	 ) STRICT, WITHOUT ROWID;`
];

function migrate(db: Database.Database): void {
	const version = Number(db.pragma('user_version', { simple: true }));
	for (let index = version; index < MIGRATIONS.length; index++) {
		db.transaction(() => {
			db.exec(MIGRATIONS[index]);
			db.pragma(`user_version = ${index + 1}`);
		})();
	}
}

interface MapRow {
	id: string;
	title: string;
	place: string;
	created_at: number;
	facilitator_key_hash: string;
	editor_key_hash: string;
	viewer_key_hash: string;
	facilitator_generation: number;
	editor_generation: number;
	viewer_generation: number;
	link_secret: Buffer | null;
}

interface JournalRow {
	seq: number;
	at: number;
	role: string;
	name: string;
	affiliation: string | null;
	collection: string;
	entry: string;
	kind: string;
	fields: string;
}

interface SnapshotRow {
	id: string;
	map_id: string;
	taken_at: number;
	taken_by: string | null;
	state: Buffer;
	geojson: Buffer;
	sha256: string;
	meta: string;
	annotation_key_hash: string;
	annotations: string;
	png: Buffer | null;
	png_sha256: string | null;
}

function snapshotOf(row: SnapshotRow): SnapshotRecord {
	return {
		id: row.id,
		mapId: row.map_id,
		takenAt: row.taken_at,
		takenBy: row.taken_by === null ? null : (JSON.parse(row.taken_by) as SnapshotRecord['takenBy']),
		state: new Uint8Array(row.state),
		geojson: new Uint8Array(row.geojson),
		sha256: row.sha256,
		meta: JSON.parse(row.meta) as unknown,
		annotationKeyHash: row.annotation_key_hash,
		annotations: JSON.parse(row.annotations) as SnapshotAnnotation[],
		png: row.png ? new Uint8Array(row.png) : null,
		pngSha256: row.png_sha256
	};
}

interface UpdateRow {
	seq: number;
	data: Buffer;
}

export const SQLITE_FILE = 'atlas.sqlite';
/** How long appends keep trying while the database is busy before they fail (4503). */
const BUSY_RETRY_MS = 5000;

function isBusy(error: unknown): boolean {
	const code = (error as { code?: unknown } | null)?.code;
	return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED';
}

export interface SqliteOptions {
	/**
	 * How long one write waits for the lock. better-sqlite3 waits synchronously (blocking
	 * the event loop), so this is short; the compaction worker holds the lock while it swaps
	 * a big map's rows, so a busy append is tried again on a timer (BUSY_RETRY_MS), and only
	 * a lock held longer than that is a failure to report.
	 */
	busyTimeoutMs?: number;
	/** History bytes one map may hold before its oldest records go (doc-store.ts). */
	maxJournalBytesPerMap?: number;
}

const toBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

type CompactReply = { id: number; bytes: number; rows: number; removed: number } | { id: number; error: string };

/** The compaction worker (compactor-worker.js): one per store, started on first use. */
class CompactorWorker {
	private readonly worker: Worker;
	private readonly waiting = new Map<number, { resolve(reply: { bytes: number; rows: number; removed: number }): void; reject(error: Error): void }>();
	private next = 0;

	constructor(file: string) {
		this.worker = new Worker(new URL('./compactor-worker.js', import.meta.url), { workerData: { file } });
		this.worker.unref();
		this.worker.on('message', (reply: CompactReply) => {
			const waiting = this.waiting.get(reply.id);
			this.waiting.delete(reply.id);
			if (!waiting) return;
			if ('error' in reply) waiting.reject(new Error(`compaction failed: ${reply.error}`));
			else waiting.resolve(reply);
		});
		this.worker.on('error', (error) => this.failAll(error));
		this.worker.on('exit', () => this.failAll(new Error('compaction worker exited')));
	}

	run(mapId: string, upToSeq: number): Promise<{ bytes: number; rows: number; removed: number }> {
		const id = ++this.next;
		return new Promise((resolve, reject) => {
			this.waiting.set(id, { resolve, reject });
			this.worker.postMessage({ id, mapId, upToSeq });
		});
	}

	private failAll(error: Error): void {
		for (const waiting of this.waiting.values()) waiting.reject(error);
		this.waiting.clear();
	}

	async close(): Promise<void> {
		await this.worker.terminate();
	}
}

/** snapshotBytes (doc-store.ts) in SQL. */
const SNAPSHOT_ROW_BYTES = '256 + length(state) + length(geojson) + COALESCE(length(png), 0) + length(meta) + length(annotations)';

/** journalRecordBytes (doc-store.ts) in SQL. */
const JOURNAL_ROW_BYTES = '48 + length(name) + length(collection) + length(entry) + length(kind) + length(fields)';

export function createSqliteStore(dataDir: string, options: SqliteOptions = {}): DocStore {
	const maxJournalBytes = options.maxJournalBytesPerMap ?? MAX_JOURNAL_BYTES_PER_MAP;
	mkdirSync(dataDir, { recursive: true });
	const db = new Database(join(dataDir, SQLITE_FILE), { timeout: options.busyTimeoutMs ?? 200 });
	db.pragma('journal_mode = WAL');
	db.pragma('synchronous = FULL');
	db.pragma('foreign_keys = ON');
	db.exec(SCHEMA);
	migrate(db);

	const insertMap = db.prepare<[string, string, string, number, string, string, string, number, number, number, Buffer | null]>(
		`INSERT INTO maps (id, title, place, created_at, facilitator_key_hash, editor_key_hash, viewer_key_hash,
		   key_generation, facilitator_generation, editor_generation, viewer_generation, link_secret)
		 VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`
	);
	const rotateEditor = db.prepare<[string, string, number]>(
		'UPDATE maps SET editor_key_hash = ?, editor_generation = editor_generation + 1 WHERE id = ? AND editor_generation = ?'
	);
	const rotateViewer = db.prepare<[string, string, number]>(
		'UPDATE maps SET viewer_key_hash = ?, viewer_generation = viewer_generation + 1 WHERE id = ? AND viewer_generation = ?'
	);
	const rotateFacilitator = db.prepare<[string, Buffer | null, string, number]>(
		`UPDATE maps SET facilitator_key_hash = ?, facilitator_generation = facilitator_generation + 1,
		   link_secret = COALESCE(link_secret, ?) WHERE id = ? AND facilitator_generation = ?`
	);
	const insertOwner = db.prepare<[string, number, string]>('INSERT OR IGNORE INTO client_owners (map_id, client, device) VALUES (?, ?, ?)');
	const selectOwners = db.prepare<[string], { client: number; device: string }>('SELECT client, device FROM client_owners WHERE map_id = ?');
	const insertJournal = db.prepare<[string, string, number, string, string, string | null, string, string, string, string]>(
		`INSERT INTO journal (map_id, seq, at, role, name, affiliation, collection, entry, kind, fields)
		 VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM journal WHERE map_id = ?), ?, ?, ?, ?, ?, ?, ?, ?)`
	);
	const selectCode = db.prepare<[string], { map_id: string; sealed: Buffer }>('SELECT map_id, sealed FROM join_codes WHERE code_hash = ?');
	const deleteCodesOf = db.prepare<[string]>('DELETE FROM join_codes WHERE map_id = ?');
	const insertCode = db.prepare<[string, string, Buffer]>('INSERT INTO join_codes (code_hash, map_id, sealed) VALUES (?, ?, ?)');
	const setCodeTx = db.transaction((mapId: string, codeHash: string, sealed: Buffer) => {
		const holder = selectCode.get(codeHash);
		if (holder && holder.map_id !== mapId) throw new JoinCodeTakenError();
		deleteCodesOf.run(mapId);
		insertCode.run(codeHash, mapId, sealed);
	});
	const selectMap = db.prepare<[string], MapRow>('SELECT * FROM maps WHERE id = ?');
	const insertUpdate = db.prepare<[string, string, Buffer], { seq: number }>(
		`INSERT INTO doc_updates (map_id, seq, data)
		 VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM doc_updates WHERE map_id = ?), ?)
		 RETURNING seq`
	);
	const selectUpdates = db.prepare<[string], UpdateRow>(
		'SELECT seq, data FROM doc_updates WHERE map_id = ? ORDER BY seq'
	);
	const deleteUpTo = db.prepare<[string, number]>('DELETE FROM doc_updates WHERE map_id = ? AND seq <= ?');
	const insertAt = db.prepare<[string, number, Buffer]>('INSERT INTO doc_updates (map_id, seq, data) VALUES (?, ?, ?)');
	const countRows = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM doc_updates WHERE map_id = ?');

	const appendTx = db.transaction((mapId: string, update: Buffer, extras: AppendExtras) => {
		const row = insertUpdate.get(mapId, mapId, update);
		if (!row) throw new Error('append returned no seq');
		for (const { client, device } of extras.owners ?? []) insertOwner.run(mapId, client, device);
		let journalAdded = 0;
		for (const entry of extras.journal ?? []) {
			const fieldsJson = JSON.stringify(entry.fields);
			insertJournal.run(mapId, mapId, entry.at, entry.role, entry.name, entry.affiliation, entry.collection, entry.entry, entry.kind, fieldsJson);
			journalAdded += journalRecordBytes({ ...entry, fieldsJson });
		}
		if (journalAdded > 0) journalAdded -= trimJournal(mapId, journalAdded);
		return { seq: row.seq, journalAdded };
	});
	/** History bytes per map, read from the table the first time a map writes. */
	const journalBytesOf = new Map<string, number>();
	const sumJournal = db.prepare<[string], { n: number }>(`SELECT COALESCE(SUM(${JOURNAL_ROW_BYTES}), 0) AS n FROM journal WHERE map_id = ?`);
	const oldestJournal = db.prepare<[string], { seq: number; n: number }>(
		`SELECT seq, ${JOURNAL_ROW_BYTES} AS n FROM journal WHERE map_id = ? ORDER BY seq LIMIT 500`
	);
	const deleteJournalUpTo = db.prepare<[string, number]>('DELETE FROM journal WHERE map_id = ? AND seq <= ?');
	/** Counts `added` bytes of history for a map, drops its oldest past the cap; returns bytes dropped. */
	const trimJournal = (mapId: string, added: number): number => {
		let bytes = (journalBytesOf.get(mapId) ?? sumJournal.get(mapId)?.n ?? 0) + (journalBytesOf.has(mapId) ? added : 0);
		let dropped = 0;
		// Down to 90% of the cap, so trimming happens now and then, not on every write.
		while (bytes > maxJournalBytes) {
			const target = bytes - maxJournalBytes * 0.9;
			let freed = 0;
			let upTo = -1;
			for (const row of oldestJournal.all(mapId)) {
				if (freed >= target) break;
				freed += row.n;
				upTo = row.seq;
			}
			if (upTo < 0) break;
			deleteJournalUpTo.run(mapId, upTo);
			bytes -= freed;
			dropped += freed;
		}
		journalBytesOf.set(mapId, bytes);
		return dropped;
	};
	/**
	 * Group commit: appends made in one turn of the event loop (every room that drained in
	 * it) go into one transaction, so many maps written at once cost one fsync, not one each.
	 * Each caller still resolves only once its update is durable.
	 */
	interface PendingAppend {
		mapId: string;
		update: Buffer;
		extras: AppendExtras;
		resolve(seq: number): void;
		reject(error: unknown): void;
	}
	let pendingAppends: PendingAppend[] = [];
	/** While appends wait out a busy lock: when the wait began, and the next try's timer. */
	let busySince: number | null = null;
	let busyTimer: NodeJS.Timeout | null = null;
	const appendGroupTx = db.transaction((group: PendingAppend[]) => {
		const results = group.map((append) => appendTx(append.mapId, append.update, append.extras));
		return results;
	});
	const flushAppends = () => {
		busyTimer = null;
		if (!db.open) return;
		const group = pendingAppends;
		pendingAppends = [];
		let results: Array<{ seq: number; journalAdded: number }>;
		const journalBefore = new Map(journalBytesOf);
		try {
			results = appendGroupTx(group);
		} catch (error) {
			// Rolled back: the history counts go back with it.
			journalBytesOf.clear();
			for (const [mapId, bytes] of journalBefore) journalBytesOf.set(mapId, bytes);
			const now = performance.now();
			busySince ??= now;
			if (isBusy(error) && now - busySince < BUSY_RETRY_MS) {
				// Appends made meanwhile go after these, in order.
				pendingAppends = group.concat(pendingAppends);
				busyTimer = setTimeout(flushAppends, Math.min(500, 25 + (now - busySince) / 4));
				return;
			}
			busySince = null;
			for (const append of group) append.reject(error);
			return;
		}
		busySince = null;
		for (const [index, append] of group.entries()) {
			totalBytes += append.update.byteLength + results[index].journalAdded;
			append.resolve(results[index].seq);
		}
	};
	let worker: CompactorWorker | null = null;
	const compactor = () => (worker ??= new CompactorWorker(join(dataDir, SQLITE_FILE)));
	const addOwnersTx = db.transaction((mapId: string, owners: ClientOwner[]) => {
		for (const { client, device } of owners) insertOwner.run(mapId, client, device);
	});
	const journalStatements = new Map<string, Database.Statement<unknown[], JournalRow>>();
	const journalQuery = (entry: boolean, kind: boolean, before: boolean) => {
		const key = `${entry}${kind}${before}`;
		let statement = journalStatements.get(key);
		if (!statement) {
			const where = ['map_id = ?', entry ? 'entry = ?' : null, kind ? 'kind = ?' : null, before ? 'seq < ?' : null].filter(Boolean).join(' AND ');
			statement = db.prepare<unknown[], JournalRow>(
				`SELECT seq, at, role, name, affiliation, collection, entry, kind, fields FROM journal WHERE ${where} ORDER BY seq DESC LIMIT ?`
			);
			journalStatements.set(key, statement);
		}
		return statement;
	};

	const bytesUpTo = db.prepare<[string, number], { n: number }>('SELECT COALESCE(SUM(length(data)), 0) AS n FROM doc_updates WHERE map_id = ? AND seq <= ?');
	let totalBytes =
		(db.prepare('SELECT COALESCE(SUM(length(data)), 0) AS n FROM doc_updates').get() as { n: number }).n +
		(db.prepare(`SELECT COALESCE(SUM(${JOURNAL_ROW_BYTES}), 0) AS n FROM journal`).get() as { n: number }).n +
		(db.prepare(`SELECT COALESCE(SUM(${SNAPSHOT_ROW_BYTES}), 0) AS n FROM snapshots`).get() as { n: number }).n;

	const countSnapshots = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM snapshots WHERE map_id = ?');
	const insertSnapshot = db.prepare<[string, string, number, string | null, Buffer, Buffer, string, string, string, string, Buffer | null, string | null]>(
		`INSERT INTO snapshots (id, map_id, taken_at, taken_by, state, geojson, sha256, meta, annotation_key_hash, annotations, png, png_sha256)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	);
	const selectSnapshot = db.prepare<[string], SnapshotRow>('SELECT * FROM snapshots WHERE id = ?');
	const selectSnapshotList = db.prepare<[string], Pick<SnapshotRow, 'id' | 'map_id' | 'taken_at' | 'taken_by' | 'sha256' | 'meta'>>(
		'SELECT id, map_id, taken_at, taken_by, sha256, meta FROM snapshots WHERE map_id = ? ORDER BY taken_at DESC, rowid DESC'
	);
	const selectAnnotations = db.prepare<[string], { annotations: string }>('SELECT annotations FROM snapshots WHERE id = ?');
	const updateAnnotations = db.prepare<[string, string]>('UPDATE snapshots SET annotations = ? WHERE id = ?');
	const createSnapshotTx = db.transaction((record: SnapshotRecord, maxPerMap: number) => {
		if ((countSnapshots.get(record.mapId)?.n ?? 0) >= maxPerMap) throw new SnapshotLimitError(maxPerMap);
		const metaJson = JSON.stringify(record.meta);
		const annotationsJson = JSON.stringify(record.annotations);
		insertSnapshot.run(
			record.id,
			record.mapId,
			record.takenAt,
			record.takenBy === null ? null : JSON.stringify(record.takenBy),
			toBuffer(record.state),
			toBuffer(record.geojson),
			record.sha256,
			metaJson,
			record.annotationKeyHash,
			annotationsJson,
			record.png ? toBuffer(record.png) : null,
			record.pngSha256
		);
		return snapshotBytes({ ...record, metaJson, annotationsJson });
	});
	const addAnnotationTx = db.transaction((id: string, annotation: SnapshotAnnotation, max: number) => {
		const row = selectAnnotations.get(id);
		if (!row) return -1;
		const list = JSON.parse(row.annotations) as SnapshotAnnotation[];
		if (list.length >= max) throw new AnnotationLimitError(max);
		list.push(annotation);
		const json = JSON.stringify(list);
		updateAnnotations.run(json, id);
		return json.length - row.annotations.length;
	});
	const selectPngState = db.prepare<[string], { filed: number }>('SELECT png IS NOT NULL AS filed FROM snapshots WHERE id = ?');
	const updatePng = db.prepare<[Buffer, string, string]>('UPDATE snapshots SET png = ?, png_sha256 = ? WHERE id = ? AND png IS NULL');
	const setPngTx = db.transaction((id: string, png: Buffer, sha256: string): 'stored' | 'exists' | 'missing' => {
		const row = selectPngState.get(id);
		if (!row) return 'missing';
		if (row.filed) return 'exists';
		return updatePng.run(png, sha256, id).changes === 1 ? 'stored' : 'exists';
	});
	const markCompacted = db.prepare<[string, number]>(
		'INSERT INTO compactions (map_id, up_to) VALUES (?, ?) ON CONFLICT (map_id) DO UPDATE SET up_to = MAX(up_to, excluded.up_to)'
	);
	const compactTx = db.transaction((mapId: string, upToSeq: number, state: Buffer) => {
		const removed = bytesUpTo.get(mapId, upToSeq)?.n ?? 0;
		deleteUpTo.run(mapId, upToSeq);
		insertAt.run(mapId, upToSeq, state);
		markCompacted.run(mapId, upToSeq);
		return removed;
	});
	const selectUpdatesSince = db.prepare<[string, number, string, number], UpdateRow>(
		`SELECT seq, data FROM doc_updates WHERE map_id = ?
		   AND (seq > ? OR EXISTS (SELECT 1 FROM compactions WHERE map_id = ? AND up_to > ?)) ORDER BY seq`
	);
	const selectHead = db.prepare<[string], { seq: number | null; bytes: number }>(
		'SELECT MAX(seq) AS seq, COALESCE(SUM(length(data)), 0) AS bytes FROM doc_updates WHERE map_id = ?'
	);
	const selectGenerations = db.prepare<[string], Pick<MapRow, 'facilitator_generation' | 'editor_generation' | 'viewer_generation'>>(
		'SELECT facilitator_generation, editor_generation, viewer_generation FROM maps WHERE id = ?'
	);
	const readHeads = db.transaction(
		(mapIds: string[]) =>
			new Map(
				mapIds.map((mapId) => {
					const row = selectHead.get(mapId);
					const keys = selectGenerations.get(mapId);
					const generations = {
						facilitator: keys?.facilitator_generation ?? 0,
						editor: keys?.editor_generation ?? 0,
						viewer: keys?.viewer_generation ?? 0
					};
					return [mapId, { seq: row?.seq ?? 0, bytes: row?.bytes ?? 0, generations }];
				})
			)
	);

	return {
		async createMap(record: MapRecord) {
			try {
				insertMap.run(
					record.id,
					record.title,
					record.place,
					record.createdAt,
					record.keyHashes.facilitator,
					record.keyHashes.editor,
					record.keyHashes.viewer,
					record.keyGenerations.facilitator,
					record.keyGenerations.editor,
					record.keyGenerations.viewer,
					record.linkSecret ? toBuffer(record.linkSecret) : null
				);
			} catch (error) {
				if (error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
					throw new MapExistsError(record.id);
				}
				throw error;
			}
		},
		async getMap(id) {
			const row = selectMap.get(id);
			if (!row) return null;
			return {
				id: row.id,
				title: row.title,
				place: row.place,
				createdAt: row.created_at,
				keyHashes: {
					facilitator: row.facilitator_key_hash,
					editor: row.editor_key_hash,
					viewer: row.viewer_key_hash
				},
				keyGenerations: { facilitator: row.facilitator_generation, editor: row.editor_generation, viewer: row.viewer_generation },
				linkSecret: row.link_secret ? new Uint8Array(row.link_secret) : null
			};
		},
		async rotateKey(mapId, role, fromGeneration, keyHash, linkSecret) {
			if (role === 'facilitator') {
				return rotateFacilitator.run(keyHash, linkSecret ? toBuffer(linkSecret) : null, mapId, fromGeneration).changes === 1;
			}
			const statement = role === 'editor' ? rotateEditor : rotateViewer;
			return statement.run(keyHash, mapId, fromGeneration).changes === 1;
		},
		async setJoinCode(mapId, codeHash, sealed) {
			setCodeTx(mapId, codeHash, toBuffer(sealed));
		},
		async findJoinCode(codeHash) {
			const row = selectCode.get(codeHash);
			return row ? { mapId: row.map_id, sealed: new Uint8Array(row.sealed) } : null;
		},
		appendUpdate(mapId, update, extras = {}) {
			return new Promise<number>((resolve, reject) => {
				pendingAppends.push({ mapId, update: toBuffer(update), extras, resolve, reject });
				if (pendingAppends.length === 1 && busyTimer === null) setImmediate(flushAppends);
			});
		},
		async addOwners(mapId, owners) {
			addOwnersTx(mapId, owners);
		},
		async loadOwners(mapId) {
			return selectOwners.all(mapId).map((row) => ({ client: Number(row.client), device: row.device }));
		},
		async readJournal(mapId, query): Promise<StoredJournalEntry[]> {
			const params: unknown[] = [mapId];
			if (query.entry !== undefined) params.push(query.entry);
			if (query.kind !== undefined) params.push(query.kind);
			if (query.before !== undefined) params.push(query.before);
			params.push(query.limit);
			const rows = journalQuery(query.entry !== undefined, query.kind !== undefined, query.before !== undefined).all(...params);
			return rows.map((row) => ({
				seq: row.seq,
				at: row.at,
				role: row.role as Role | 'server',
				name: row.name,
				affiliation: row.affiliation as Affiliation | null,
				collection: row.collection as JournalCollection,
				entry: row.entry,
				kind: row.kind as JournalKind,
				fields: JSON.parse(row.fields) as Record<string, unknown>
			}));
		},
		async loadUpdates(mapId): Promise<StoredUpdate[]> {
			return selectUpdates.all(mapId).map((row) => ({ seq: row.seq, data: new Uint8Array(row.data) }));
		},
		async loadUpdatesSince(mapId, afterSeq) {
			return selectUpdatesSince.all(mapId, afterSeq, mapId, afterSeq).map((row) => ({ seq: row.seq, data: new Uint8Array(row.data) }));
		},
		async logHeads(mapIds) {
			return readHeads(mapIds);
		},
		async compactStored(mapId, upToSeq) {
			const reply = await compactor().run(mapId, upToSeq);
			totalBytes += reply.bytes - reply.removed;
			return { bytes: reply.bytes, rows: reply.rows };
		},
		async compact(mapId, upToSeq, state) {
			const removed = compactTx(mapId, upToSeq, toBuffer(state));
			totalBytes += state.byteLength - removed;
		},
		async createSnapshot(record, maxPerMap = MAX_SNAPSHOTS_PER_MAP) {
			totalBytes += createSnapshotTx(record, maxPerMap);
		},
		async getSnapshot(id) {
			const row = selectSnapshot.get(id);
			return row ? snapshotOf(row) : null;
		},
		async listSnapshots(mapId): Promise<SnapshotSummary[]> {
			return selectSnapshotList.all(mapId).map((row) => ({
				id: row.id,
				mapId: row.map_id,
				takenAt: row.taken_at,
				takenBy: row.taken_by === null ? null : (JSON.parse(row.taken_by) as SnapshotRecord['takenBy']),
				sha256: row.sha256,
				meta: JSON.parse(row.meta) as unknown
			}));
		},
		async addAnnotation(id, annotation, max = MAX_ANNOTATIONS_PER_SNAPSHOT) {
			const added = addAnnotationTx(id, annotation, max);
			if (added < 0) return false;
			totalBytes += added;
			return true;
		},
		async setSnapshotPng(id, png, sha256) {
			const outcome = setPngTx(id, toBuffer(png), sha256);
			if (outcome === 'stored') totalBytes += png.byteLength;
			return outcome;
		},
		storedBytes() {
			return totalBytes;
		},
		async countUpdates(mapId) {
			return countRows.get(mapId)?.n ?? 0;
		},
		async close() {
			await worker?.close();
			if (busyTimer) clearTimeout(busyTimer);
			if (pendingAppends.length > 0 && db.open) flushAppends();
			if (db.open) db.close();
		}
	};
}
