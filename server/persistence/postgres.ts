/**
 * PostgreSQL store (DATABASE_URL): the SQLite store's tables and rules, for several server
 * instances sharing one database.
 *
 * Several instances may write one map at once, so everything that depends on a map's rows
 * as a whole happens inside the database, under the map's lock: a transaction-scoped
 * advisory lock, pg_advisory_xact_lock(LOCK_MAP, hashtext(map_id)), taken by every append,
 * compaction swap, snapshot filing and join-code change of that map. Under it, an append's
 * seq is the map's MAX(seq) + 1 (and a journal record's likewise), so two instances never
 * collide or reorder, seqs stay gap-free, and a map's rows are committed in seq order. An
 * append resolves (and its update may be sent to anyone) only once its transaction has
 * committed; with synchronous_commit on (the store turns it on for its own sessions if
 * the server has it off), committed means flushed to PostgreSQL's WAL.
 *
 * Appends made in one turn of the event loop share one transaction (one WAL flush), as in
 * the SQLite store; one such transaction is in flight per store at a time, so this
 * instance's appends to a map keep the order they were made in. The maps of a group are
 * locked in hash order, so two instances' groups never deadlock.
 *
 * Compaction reads the rows without the lock (rows up to a committed seq only ever change
 * by compaction), merges them in a worker thread when they are large, and swaps them in
 * one short transaction under the map's lock, refusing if another compaction of the map
 * committed meanwhile (map_stats.compactions). Appends from any instance meanwhile land
 * above upToSeq, before or after the swap, and are never touched by it.
 */
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import type { Affiliation, Role } from '../../src/lib/doc/model.ts';
import type { ClientOwner } from '../room/client-ids.ts';
import type { JournalCollection, JournalKind } from '../room/journal.ts';
import {
	AnnotationLimitError,
	CompactionConflict,
	JoinCodeTakenError,
	MAX_ANNOTATIONS_PER_SNAPSHOT,
	MAX_JOURNAL_BYTES_PER_MAP,
	MAX_SNAPSHOTS_PER_MAP,
	MapExistsError,
	SnapshotLimitError,
	journalRecordBytes,
	snapshotBytes,
	type AppendExtras,
	type DocStore,
	type LogHead,
	type MapRecord,
	type SnapshotAnnotation,
	type SnapshotRecord,
	type SnapshotSummary,
	type StoredJournalEntry,
	type StoredUpdate
} from './doc-store.ts';
import { MERGE_WORKER_ROLE, mergeRows } from './merge-worker.js';

/** First key of the two-key advisory locks: one map's rows (second key: hashtext(map id)). */
const LOCK_MAP = 0x41544c41; // "ATLA"
/** First key of the lock migrations run under (second key: hashtext(schema)). */
const LOCK_MIGRATIONS = 0x41544c4d; // "ATLM"

/**
 * Numbered migrations, applied in order on open, each recorded in schema_migrations, all
 * in one transaction under an advisory lock (two instances starting at once: the second
 * waits, then finds them applied). Never edit one that has shipped: add the next.
 */
export const MIGRATIONS: Array<{ version: number; name: string; sql: string }> = [
	{
		version: 1,
		name: 'maps, update log, join codes, client owners, history, byte totals',
		sql: `
		CREATE TABLE maps (
			id TEXT PRIMARY KEY,
			title TEXT NOT NULL,
			place TEXT NOT NULL,
			created_at BIGINT NOT NULL,
			facilitator_key_hash TEXT NOT NULL,
			editor_key_hash TEXT NOT NULL,
			viewer_key_hash TEXT NOT NULL,
			facilitator_generation INTEGER NOT NULL DEFAULT 0,
			editor_generation INTEGER NOT NULL DEFAULT 0,
			viewer_generation INTEGER NOT NULL DEFAULT 0,
			link_secret BYTEA
		);
		CREATE TABLE doc_updates (
			map_id TEXT NOT NULL,
			seq BIGINT NOT NULL,
			data BYTEA NOT NULL,
			PRIMARY KEY (map_id, seq)
		);
		CREATE TABLE join_codes (
			code_hash TEXT PRIMARY KEY,
			map_id TEXT NOT NULL UNIQUE,
			sealed BYTEA NOT NULL
		);
		CREATE TABLE client_owners (
			map_id TEXT NOT NULL,
			client BIGINT NOT NULL,
			device TEXT NOT NULL,
			PRIMARY KEY (map_id, client)
		);
		CREATE TABLE journal (
			map_id TEXT NOT NULL,
			seq BIGINT NOT NULL,
			at BIGINT NOT NULL,
			role TEXT NOT NULL,
			name TEXT NOT NULL,
			affiliation TEXT,
			collection TEXT NOT NULL,
			entry TEXT NOT NULL,
			kind TEXT NOT NULL,
			fields TEXT NOT NULL,
			-- journalRecordBytes (doc-store.ts), as counted when it was written
			bytes INTEGER NOT NULL,
			PRIMARY KEY (map_id, seq)
		);
		CREATE INDEX journal_by_entry ON journal (map_id, entry, seq);
		-- Each map's share of storedBytes(), kept in the transactions that change it, so every
		-- instance reads the same totals; and how many compactions swapped its rows.
		CREATE TABLE map_stats (
			map_id TEXT PRIMARY KEY,
			update_bytes BIGINT NOT NULL DEFAULT 0,
			journal_bytes BIGINT NOT NULL DEFAULT 0,
			snapshot_bytes BIGINT NOT NULL DEFAULT 0,
			compactions BIGINT NOT NULL DEFAULT 0
		);`
	},
	{
		version: 2,
		name: 'citable snapshots, immutable but for their annotations and a picture filed once',
		sql: `
		CREATE TABLE snapshots (
			id TEXT PRIMARY KEY,
			-- order of filing, for snapshots taken in the same millisecond
			n BIGINT GENERATED ALWAYS AS IDENTITY,
			map_id TEXT NOT NULL,
			taken_at BIGINT NOT NULL,
			taken_by TEXT,
			state BYTEA NOT NULL,
			geojson BYTEA NOT NULL,
			sha256 TEXT NOT NULL,
			meta TEXT NOT NULL,
			annotation_key_hash TEXT NOT NULL,
			annotations TEXT NOT NULL DEFAULT '[]',
			png BYTEA,
			png_sha256 TEXT
		);
		CREATE INDEX snapshots_by_map ON snapshots (map_id, taken_at, n);
		-- Whatever code runs against the database: only annotations change, and the picture
		-- is filed once.
		CREATE FUNCTION snapshots_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.id IS DISTINCT FROM OLD.id OR NEW.n IS DISTINCT FROM OLD.n OR NEW.map_id IS DISTINCT FROM OLD.map_id
				OR NEW.taken_at IS DISTINCT FROM OLD.taken_at OR NEW.taken_by IS DISTINCT FROM OLD.taken_by
				OR NEW.state IS DISTINCT FROM OLD.state OR NEW.geojson IS DISTINCT FROM OLD.geojson
				OR NEW.sha256 IS DISTINCT FROM OLD.sha256 OR NEW.meta IS DISTINCT FROM OLD.meta
				OR NEW.annotation_key_hash IS DISTINCT FROM OLD.annotation_key_hash
				OR (OLD.png IS NOT NULL AND (NEW.png IS DISTINCT FROM OLD.png OR NEW.png_sha256 IS DISTINCT FROM OLD.png_sha256))
			THEN
				RAISE EXCEPTION 'snapshots are immutable' USING ERRCODE = 'integrity_constraint_violation';
			END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER snapshots_immutable BEFORE UPDATE ON snapshots
			FOR EACH ROW EXECUTE FUNCTION snapshots_immutable();`
	},
	{
		version: 3,
		name: 'several instances: the seq each compaction merged up to; settings the instances share',
		sql: `
		-- Rows at or below it stand for the whole log up to there: an instance catching up
		-- from a seq below it takes all of them (loadUpdatesSince).
		ALTER TABLE map_stats ADD COLUMN compacted_to BIGINT NOT NULL DEFAULT 0;
		-- What every instance on this database must agree on (server/cluster/instance-guard.ts):
		-- a fingerprint of the server secret, never the secret itself.
		CREATE TABLE settings (
			name TEXT PRIMARY KEY,
			value TEXT NOT NULL
		);`
	}
];

export interface PostgresOptions {
	/**
	 * The schema the tables live in, created if missing; by default the connection's own
	 * search_path (usually `public`). Tests use a fresh one per run.
	 */
	schema?: string;
	/** History bytes one map may hold before its oldest records go (doc-store.ts). */
	maxJournalBytesPerMap?: number;
	/** Connections in the pool. */
	poolSize?: number;
	/**
	 * How often storedBytes() is read again from the database, to take in other instances'
	 * writes; 0: never (only at open). Default 15 s.
	 */
	bytesRefreshMs?: number;
	/** Merging more stored bytes than this runs in a worker thread. */
	workerMergeBytes?: number;
	/** How long a write waits for a lock another instance holds before it fails (4503). */
	lockTimeoutMs?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Appends in one transaction at most (more wait for the next one). */
const MAX_GROUP = 500;
const DEFAULT_WORKER_MERGE_BYTES = 128 * 1024;

/**
 * PostgreSQL text holds no NUL character, and the driver turns a lone surrogate into
 * U+FFFD. Strings that come from the network (an entry id is any Yjs map key) may hold
 * either; those, rare as they are, are stored as a JSON string literal behind this marker
 * (as is any string that happens to start with it), so every string round-trips exactly
 * and one bad id cannot fail a whole group of appends.
 */
const ESCAPED = '\u0001json:';
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
export function storedText(text: string): string {
	return UNSTORABLE.test(text) || text.startsWith(ESCAPED) ? ESCAPED + JSON.stringify(text) : text;
}
export function readText(stored: string): string {
	return stored.startsWith(ESCAPED) ? (JSON.parse(stored.slice(ESCAPED.length)) as string) : stored;
}

/** Where a URL points, without its credentials (for messages). */
export function describeDatabase(url: string): string {
	try {
		const parsed = new URL(url);
		return `${parsed.hostname || 'localhost'}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname}`;
	} catch {
		return 'DATABASE_URL';
	}
}

/** The URL with PostgreSQL settings for every connection added to its `options`. */
function withSettings(url: string, settings: string[]): string {
	const parsed = new URL(url);
	const options = [parsed.searchParams.get('options'), ...settings].filter(Boolean).join(' ');
	parsed.searchParams.set('options', options);
	return parsed.href;
}

const toBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
/** A copy that owns its memory (the driver's buffers may be slices of a shared pool). */
const ownBytes = (bytes: Uint8Array) => new Uint8Array(bytes);

/** BIGINT columns as JS numbers (seqs, times, counts, client ids all fit in 2^53). */
const TYPES = {
	getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
		oid === pg.types.builtins.INT8 && format !== 'binary'
			? (value: string) => Number(value)
			: pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser
};

function errorCode(error: unknown): string | undefined {
	const code = (error as { code?: unknown } | null)?.code;
	return typeof code === 'string' ? code : undefined;
}

function constraintOf(error: unknown): string | undefined {
	const constraint = (error as { constraint?: unknown } | null)?.constraint;
	return typeof constraint === 'string' ? constraint : undefined;
}

/** Deadlock or serialization failure: the transaction may simply be run again. */
const retryable = (error: unknown) => errorCode(error) === '40P01' || errorCode(error) === '40001';

const LOCK_MAPS_SQL = `SELECT pg_advisory_xact_lock(${LOCK_MAP}, h) FROM (SELECT DISTINCT hashtext(m) AS h FROM unnest($1::text[]) AS m ORDER BY h) AS keys`;

const APPEND_SQL = `
INSERT INTO doc_updates (map_id, seq, data)
SELECT i.map_id,
	COALESCE((SELECT MAX(d.seq) FROM doc_updates d WHERE d.map_id = i.map_id), 0) + row_number() OVER (PARTITION BY i.map_id ORDER BY i.ord),
	i.data
FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS i(map_id, data, ord)
RETURNING map_id, seq`;

const JOURNAL_SQL = `
INSERT INTO journal (map_id, seq, at, role, name, affiliation, collection, entry, kind, fields, bytes)
SELECT i.map_id,
	COALESCE((SELECT MAX(j.seq) FROM journal j WHERE j.map_id = i.map_id), 0) + row_number() OVER (PARTITION BY i.map_id ORDER BY i.ord),
	i.at, i.role, i.name, i.affiliation, i.collection, i.entry, i.kind, i.fields, i.bytes
FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::integer[])
	WITH ORDINALITY AS i(map_id, at, role, name, affiliation, collection, entry, kind, fields, bytes, ord)`;

const OWNERS_SQL = `
INSERT INTO client_owners (map_id, client, device)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])
ON CONFLICT DO NOTHING`;

const ADD_BYTES_SQL = `
INSERT INTO map_stats (map_id, update_bytes, journal_bytes)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])
ON CONFLICT (map_id) DO UPDATE SET
	update_bytes = map_stats.update_bytes + EXCLUDED.update_bytes,
	journal_bytes = map_stats.journal_bytes + EXCLUDED.journal_bytes
RETURNING map_id, journal_bytes`;

const SNAPSHOT_BYTES_SQL = `
INSERT INTO map_stats (map_id, snapshot_bytes) VALUES ($1, $2)
ON CONFLICT (map_id) DO UPDATE SET snapshot_bytes = map_stats.snapshot_bytes + EXCLUDED.snapshot_bytes`;

const LOAD_SINCE_SQL = `
SELECT seq, data FROM doc_updates
WHERE map_id = $1 AND (seq > $2 OR $2 < COALESCE((SELECT compacted_to FROM map_stats WHERE map_id = $1), 0))
ORDER BY seq`;

/** Each map's head and key generations, in one statement (the cluster poll, room/registry.ts). */
const LOG_HEADS_SQL = `
SELECT m AS map_id,
	(SELECT MAX(seq) FROM doc_updates d WHERE d.map_id = m) AS seq,
	(SELECT update_bytes FROM map_stats s WHERE s.map_id = m)::float8 AS bytes,
	k.facilitator_generation, k.editor_generation, k.viewer_generation
FROM unnest($1::text[]) AS m LEFT JOIN maps k ON k.id = m`;

const TOTAL_SQL = 'SELECT COALESCE(SUM(update_bytes + journal_bytes + snapshot_bytes), 0)::float8 AS n FROM map_stats';

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
		state: ownBytes(row.state),
		geojson: ownBytes(row.geojson),
		sha256: row.sha256,
		meta: JSON.parse(row.meta) as unknown,
		annotationKeyHash: row.annotation_key_hash,
		annotations: JSON.parse(row.annotations) as SnapshotAnnotation[],
		png: row.png ? ownBytes(row.png) : null,
		pngSha256: row.png_sha256
	};
}

type MergeReply = { id: number; chunks: Uint8Array[] } | { id: number; error: string };

/** The merge worker (merge-worker.js): one per store, started on first big compaction. */
class MergeWorker {
	private readonly worker: Worker;
	private readonly waiting = new Map<number, { resolve(chunks: Uint8Array[]): void; reject(error: Error): void }>();
	private next = 0;
	exited = false;

	constructor() {
		this.worker = new Worker(new URL('./merge-worker.js', import.meta.url), { workerData: { role: MERGE_WORKER_ROLE } });
		this.worker.unref();
		this.worker.on('message', (reply: MergeReply) => {
			const waiting = this.waiting.get(reply.id);
			this.waiting.delete(reply.id);
			if (!waiting) return;
			if ('error' in reply) waiting.reject(new Error(`compaction failed: ${reply.error}`));
			else waiting.resolve(reply.chunks);
		});
		this.worker.on('error', (error) => this.failAll(error));
		this.worker.on('exit', () => {
			this.exited = true;
			this.failAll(new Error('compaction worker exited'));
		});
	}

	/** Takes the rows' memory (transferred): pass copies that own it. */
	run(rows: Uint8Array[]): Promise<Uint8Array[]> {
		const id = ++this.next;
		return new Promise((resolve, reject) => {
			this.waiting.set(id, { resolve, reject });
			this.worker.postMessage({ id, rows }, rows.map((row) => row.buffer as ArrayBuffer));
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

async function migrate(pool: pg.Pool, schema: string | undefined): Promise<void> {
	const client = await pool.connect();
	let broken = false;
	try {
		await client.query('BEGIN');
		// Waiting for another instance's migrations may take longer than a write may wait.
		await client.query('SET LOCAL lock_timeout = 0');
		await client.query(`SELECT pg_advisory_xact_lock(${LOCK_MIGRATIONS}, hashtext(COALESCE($1::text, current_schema(), '')))`, [schema ?? null]);
		if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
		await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY,
			name TEXT NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
		)`);
		const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((row) => row.version));
		const newest = Math.max(0, ...applied);
		const known = MIGRATIONS.at(-1)?.version ?? 0;
		if (newest > known) {
			throw new Error(`the database was migrated by a newer Asset Atlas (schema version ${newest}; this one knows up to ${known})`);
		}
		for (const migration of MIGRATIONS) {
			if (applied.has(migration.version)) continue;
			await client.query(migration.sql);
			await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
		}
		await client.query('COMMIT');
	} catch (error) {
		await client.query('ROLLBACK').catch(() => {
			broken = true;
		});
		throw error;
	} finally {
		client.release(broken);
	}
}

/**
 * Opens (creating and migrating as needed) the store at a postgres:// URL. Rejects with a
 * message naming the host and database, never the password, when it cannot.
 */
export async function createPostgresStore(url: string, options: PostgresOptions = {}): Promise<DocStore> {
	const { schema } = options;
	if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new Error(`schema must be a plain lowercase identifier, got "${schema}"`);
	const maxJournalBytes = options.maxJournalBytesPerMap ?? MAX_JOURNAL_BYTES_PER_MAP;
	const workerMergeBytes = options.workerMergeBytes ?? DEFAULT_WORKER_MERGE_BYTES;
	const settings = [
		`-c lock_timeout=${options.lockTimeoutMs ?? 5000}`,
		// An instance stuck inside a transaction must not hold a map's lock for good.
		'-c idle_in_transaction_session_timeout=60000'
	];
	if (schema !== undefined) settings.push(`-c search_path=${schema}`);
	let connectionString: string;
	try {
		connectionString = withSettings(url, settings);
	} catch {
		throw new Error('DATABASE_URL is not a valid URL');
	}
	// One connection first: a clear error when the server cannot be reached, and whether
	// commits are durable there. With synchronous_commit off, PostgreSQL acknowledges a commit
	// before its WAL is flushed, and a crash of the database could lose updates people have
	// already seen: this store turns it on for its own sessions.
	try {
		const probe = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 });
		await probe.connect();
		try {
			const { rows } = await probe.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
			if (rows[0].synchronous_commit === 'off') {
				settings.push('-c synchronous_commit=on');
				connectionString = withSettings(url, settings);
			}
		} finally {
			await probe.end();
		}
	} catch (error) {
		throw new Error(`PostgreSQL at ${describeDatabase(url)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
	}
	const pool = new pg.Pool({ connectionString, max: options.poolSize ?? 10, types: TYPES, connectionTimeoutMillis: 10_000 });
	// An idle connection that breaks (PostgreSQL restarted) must not take the process down;
	// the pool opens a new one when it is next needed.
	pool.on('error', (error) => console.error(`PostgreSQL (${describeDatabase(url)}): an idle connection failed: ${error.message}`));

	let totalBytes = 0;
	try {
		await migrate(pool, schema);
		totalBytes = (await pool.query<{ n: number }>(TOTAL_SQL)).rows[0].n;
	} catch (error) {
		await pool.end().catch(() => {});
		throw new Error(`PostgreSQL at ${describeDatabase(url)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
	}

	/** Runs `work` in one transaction on one connection; a deadlock is tried again. */
	async function transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
		for (let attempt = 1; ; attempt++) {
			const client = await pool.connect();
			let broken = false;
			try {
				await client.query('BEGIN');
				const result = await work(client);
				await client.query('COMMIT');
				return result;
			} catch (error) {
				await client.query('ROLLBACK').catch(() => {
					broken = true;
				});
				if (attempt < 3 && retryable(error)) continue;
				throw error;
			} finally {
				client.release(broken);
			}
		}
	}

	const lockMaps = (client: pg.PoolClient, mapIds: string[]) => client.query({ name: 'atlas-lock-maps', text: LOCK_MAPS_SQL, values: [mapIds] });

	/** Drops a map's oldest history past the cap (down to 90% of it); returns the bytes dropped. */
	async function trimJournal(client: pg.PoolClient, mapId: string, bytes: number): Promise<number> {
		let dropped = 0;
		while (bytes > maxJournalBytes) {
			const target = bytes - maxJournalBytes * 0.9;
			const { rows } = await client.query<{ seq: number; bytes: number }>('SELECT seq, bytes FROM journal WHERE map_id = $1 ORDER BY seq LIMIT 500', [mapId]);
			let freed = 0;
			let upTo = -1;
			for (const row of rows) {
				if (freed >= target) break;
				freed += row.bytes;
				upTo = row.seq;
			}
			if (upTo < 0) break;
			await client.query('DELETE FROM journal WHERE map_id = $1 AND seq <= $2', [mapId, upTo]);
			bytes -= freed;
			dropped += freed;
		}
		if (dropped > 0) await client.query('UPDATE map_stats SET journal_bytes = journal_bytes - $2 WHERE map_id = $1', [mapId, dropped]);
		return dropped;
	}

	interface PendingAppend {
		mapId: string;
		update: Buffer;
		extras: AppendExtras;
		resolve(seq: number): void;
		reject(error: unknown): void;
	}

	/** One group's transaction: returns each append's seq and the bytes the group added. */
	async function appendGroup(client: pg.PoolClient, group: PendingAppend[]): Promise<{ seqs: number[]; added: number }> {
		const mapIds = [...new Set(group.map((append) => append.mapId))];
		await lockMaps(client, mapIds);
		const inserted = await client.query<{ map_id: string; seq: number }>({
			name: 'atlas-append',
			text: APPEND_SQL,
			values: [group.map((append) => append.mapId), group.map((append) => append.update)]
		});
		// Within a map, seqs follow the group's order.
		const seqsOf = new Map<string, number[]>();
		for (const row of inserted.rows) {
			let list = seqsOf.get(row.map_id);
			if (!list) seqsOf.set(row.map_id, (list = []));
			list.push(row.seq);
		}
		for (const list of seqsOf.values()) list.sort((a, b) => a - b);
		const seqs = group.map((append) => {
			const seq = seqsOf.get(append.mapId)?.shift();
			if (seq === undefined) throw new Error('append returned no seq');
			return seq;
		});

		const updateBytes = new Map<string, number>();
		const journalBytes = new Map<string, number>();
		const journal = { map: [] as string[], at: [] as number[], role: [] as string[], name: [] as string[], affiliation: [] as Array<string | null>, collection: [] as string[], entry: [] as string[], kind: [] as string[], fields: [] as string[], bytes: [] as number[] };
		const owners = { map: [] as string[], client: [] as number[], device: [] as string[] };
		for (const append of group) {
			updateBytes.set(append.mapId, (updateBytes.get(append.mapId) ?? 0) + append.update.byteLength);
			for (const entry of append.extras.journal ?? []) {
				const fieldsJson = JSON.stringify(entry.fields);
				const bytes = journalRecordBytes({ ...entry, fieldsJson });
				journal.map.push(append.mapId);
				journal.at.push(entry.at);
				journal.role.push(entry.role);
				journal.name.push(storedText(entry.name));
				journal.affiliation.push(entry.affiliation);
				journal.collection.push(entry.collection);
				journal.entry.push(storedText(entry.entry));
				journal.kind.push(entry.kind);
				journal.fields.push(fieldsJson);
				journal.bytes.push(bytes);
				journalBytes.set(append.mapId, (journalBytes.get(append.mapId) ?? 0) + bytes);
			}
			for (const { client: id, device } of append.extras.owners ?? []) {
				owners.map.push(append.mapId);
				owners.client.push(id);
				owners.device.push(device);
			}
		}
		if (journal.map.length > 0) {
			await client.query({
				name: 'atlas-journal',
				text: JOURNAL_SQL,
				values: [journal.map, journal.at, journal.role, journal.name, journal.affiliation, journal.collection, journal.entry, journal.kind, journal.fields, journal.bytes]
			});
		}
		if (owners.map.length > 0) await client.query({ name: 'atlas-owners', text: OWNERS_SQL, values: [owners.map, owners.client, owners.device] });
		const totals = await client.query<{ map_id: string; journal_bytes: number }>({
			name: 'atlas-add-bytes',
			text: ADD_BYTES_SQL,
			values: [mapIds, mapIds.map((id) => updateBytes.get(id) ?? 0), mapIds.map((id) => journalBytes.get(id) ?? 0)]
		});
		let added = [...updateBytes.values(), ...journalBytes.values()].reduce((sum, n) => sum + n, 0);
		for (const row of totals.rows) {
			if ((journalBytes.get(row.map_id) ?? 0) > 0 && row.journal_bytes > maxJournalBytes) added -= await trimJournal(client, row.map_id, row.journal_bytes);
		}
		return { seqs, added };
	}

	let closed = false;
	let pending: PendingAppend[] = [];
	let flushing = false;
	let flushed: Promise<void> = Promise.resolve();

	/** Commits pending appends, a group at a time, until none are left. Never throws. */
	async function flushAppends(): Promise<void> {
		while (pending.length > 0) {
			const group = pending.slice(0, MAX_GROUP);
			pending = pending.slice(group.length);
			let result: { seqs: number[]; added: number };
			try {
				result = await transaction((client) => appendGroup(client, group));
			} catch (error) {
				for (const append of group) append.reject(error);
				continue;
			}
			totalBytes += result.added;
			for (const [index, append] of group.entries()) append.resolve(result.seqs[index]);
		}
		// In the same synchronous step as the check above, so no append is left waiting.
		flushing = false;
	}

	let merger: MergeWorker | null = null;
	const mergeWorker = () => {
		if (!merger || merger.exited) merger = new MergeWorker();
		return merger;
	};

	/** Writes rows (seq, data) of one map in one statement, each blob sent as binary. */
	async function insertRows(client: pg.PoolClient, mapId: string, rows: Array<{ seq: number; data: Uint8Array }>): Promise<void> {
		const values: unknown[] = [mapId];
		const tuples = rows.map((row) => {
			values.push(row.seq, toBuffer(row.data));
			return `($1, $${values.length - 1}::bigint, $${values.length}::bytea)`;
		});
		await client.query(`INSERT INTO doc_updates (map_id, seq, data) VALUES ${tuples.join(', ')}`, values);
	}

	let refreshing = false;
	const refreshTimer =
		(options.bytesRefreshMs ?? 15_000) > 0
			? setInterval(() => {
					if (refreshing || closed) return;
					refreshing = true;
					const before = totalBytes;
					pool
						.query<{ n: number }>(TOTAL_SQL)
						.then(({ rows }) => {
							// This instance's writes that finished while the query ran are added on top
							// (one that committed just before it counts twice until the next refresh).
							totalBytes = rows[0].n + (totalBytes - before);
						})
						.catch(() => {})
						.finally(() => {
							refreshing = false;
						});
				}, options.bytesRefreshMs ?? 15_000)
			: null;
	refreshTimer?.unref();

	const open = () => {
		if (closed) throw new Error('store is closed');
	};

	return {
		async createMap(record: MapRecord) {
			open();
			try {
				await pool.query(
					`INSERT INTO maps (id, title, place, created_at, facilitator_key_hash, editor_key_hash, viewer_key_hash,
					   facilitator_generation, editor_generation, viewer_generation, link_secret)
					 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
					[
						record.id,
						storedText(record.title),
						storedText(record.place),
						record.createdAt,
						record.keyHashes.facilitator,
						record.keyHashes.editor,
						record.keyHashes.viewer,
						record.keyGenerations.facilitator,
						record.keyGenerations.editor,
						record.keyGenerations.viewer,
						record.linkSecret ? toBuffer(record.linkSecret) : null
					]
				);
			} catch (error) {
				if (errorCode(error) === '23505') throw new MapExistsError(record.id);
				throw error;
			}
		},
		async getMap(id) {
			open();
			const { rows } = await pool.query<MapRow>({ name: 'atlas-get-map', text: 'SELECT * FROM maps WHERE id = $1', values: [id] });
			const row = rows[0];
			if (!row) return null;
			return {
				id: row.id,
				title: readText(row.title),
				place: readText(row.place),
				createdAt: row.created_at,
				keyHashes: { facilitator: row.facilitator_key_hash, editor: row.editor_key_hash, viewer: row.viewer_key_hash },
				keyGenerations: { facilitator: row.facilitator_generation, editor: row.editor_generation, viewer: row.viewer_generation },
				linkSecret: row.link_secret ? ownBytes(row.link_secret) : null
			};
		},
		async rotateKey(mapId, role, fromGeneration, keyHash, linkSecret) {
			open();
			// One UPDATE guarded by the generation: of two rotations at once, the second finds
			// the row changed when its lock is granted and updates nothing.
			const result =
				role === 'facilitator'
					? await pool.query(
							`UPDATE maps SET facilitator_key_hash = $1, facilitator_generation = facilitator_generation + 1,
							   link_secret = COALESCE(link_secret, $2) WHERE id = $3 AND facilitator_generation = $4`,
							[keyHash, linkSecret ? toBuffer(linkSecret) : null, mapId, fromGeneration]
						)
					: await pool.query(
							role === 'editor'
								? 'UPDATE maps SET editor_key_hash = $1, editor_generation = editor_generation + 1 WHERE id = $2 AND editor_generation = $3'
								: 'UPDATE maps SET viewer_key_hash = $1, viewer_generation = viewer_generation + 1 WHERE id = $2 AND viewer_generation = $3',
							[keyHash, mapId, fromGeneration]
						);
			return result.rowCount === 1;
		},
		async setJoinCode(mapId, codeHash, sealed) {
			open();
			try {
				await transaction(async (client) => {
					await lockMaps(client, [mapId]);
					const holder = await client.query<{ map_id: string }>('SELECT map_id FROM join_codes WHERE code_hash = $1', [codeHash]);
					if (holder.rows[0] && holder.rows[0].map_id !== mapId) throw new JoinCodeTakenError();
					await client.query('DELETE FROM join_codes WHERE map_id = $1', [mapId]);
					await client.query('INSERT INTO join_codes (code_hash, map_id, sealed) VALUES ($1, $2, $3)', [codeHash, mapId, toBuffer(sealed)]);
				});
			} catch (error) {
				// Another map took the code in the same moment (on another instance).
				if (errorCode(error) === '23505' && constraintOf(error) === 'join_codes_pkey') throw new JoinCodeTakenError();
				throw error;
			}
		},
		async findJoinCode(codeHash) {
			open();
			const { rows } = await pool.query<{ map_id: string; sealed: Buffer }>('SELECT map_id, sealed FROM join_codes WHERE code_hash = $1', [codeHash]);
			return rows[0] ? { mapId: rows[0].map_id, sealed: ownBytes(rows[0].sealed) } : null;
		},
		appendUpdate(mapId, update, extras = {}) {
			if (closed) return Promise.reject(new Error('store is closed'));
			return new Promise<number>((resolve, reject) => {
				pending.push({ mapId, update: Buffer.from(update), extras, resolve, reject });
				if (flushing) return;
				flushing = true;
				// Appends made in this turn of the event loop join the first group.
				flushed = new Promise<void>((done) => setImmediate(() => void flushAppends().then(done)));
			});
		},
		async addOwners(mapId, owners) {
			open();
			if (owners.length === 0) return;
			await pool.query({
				name: 'atlas-owners',
				text: OWNERS_SQL,
				values: [owners.map(() => mapId), owners.map((owner) => owner.client), owners.map((owner) => owner.device)]
			});
		},
		async loadOwners(mapId): Promise<ClientOwner[]> {
			open();
			const { rows } = await pool.query<{ client: number; device: string }>('SELECT client, device FROM client_owners WHERE map_id = $1', [mapId]);
			return rows.map((row) => ({ client: row.client, device: row.device }));
		},
		async readJournal(mapId, query): Promise<StoredJournalEntry[]> {
			open();
			const values: unknown[] = [mapId];
			const where = ['map_id = $1'];
			if (query.entry !== undefined) where.push(`entry = $${values.push(storedText(query.entry))}`);
			if (query.kind !== undefined) where.push(`kind = $${values.push(query.kind)}`);
			if (query.before !== undefined) where.push(`seq < $${values.push(query.before)}`);
			const limit = `$${values.push(query.limit)}`;
			const { rows } = await pool.query<JournalRow>(
				`SELECT seq, at, role, name, affiliation, collection, entry, kind, fields FROM journal WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ${limit}`,
				values
			);
			return rows.map((row) => ({
				seq: row.seq,
				at: row.at,
				role: row.role as Role | 'server',
				name: readText(row.name),
				affiliation: row.affiliation as Affiliation | null,
				collection: row.collection as JournalCollection,
				entry: readText(row.entry),
				kind: row.kind as JournalKind,
				fields: JSON.parse(row.fields) as Record<string, unknown>
			}));
		},
		async loadUpdates(mapId): Promise<StoredUpdate[]> {
			open();
			const { rows } = await pool.query<{ seq: number; data: Buffer }>({
				name: 'atlas-load-updates',
				text: 'SELECT seq, data FROM doc_updates WHERE map_id = $1 ORDER BY seq',
				values: [mapId]
			});
			return rows.map((row) => ({ seq: row.seq, data: ownBytes(row.data) }));
		},
		async loadUpdatesSince(mapId, afterSeq): Promise<StoredUpdate[]> {
			open();
			// One statement, one snapshot: the rows and the compaction they may belong to.
			const { rows } = await pool.query<{ seq: number; data: Buffer }>({
				name: 'atlas-load-updates-since',
				text: LOAD_SINCE_SQL,
				values: [mapId, afterSeq]
			});
			return rows.map((row) => ({ seq: row.seq, data: ownBytes(row.data) }));
		},
		async logHeads(mapIds) {
			open();
			const heads = new Map<string, LogHead>(mapIds.map((mapId) => [mapId, { seq: 0, bytes: 0, generations: { facilitator: 0, editor: 0, viewer: 0 } }]));
			if (mapIds.length === 0) return heads;
			const { rows } = await pool.query<{
				map_id: string;
				seq: number | null;
				bytes: number | null;
				facilitator_generation: number | null;
				editor_generation: number | null;
				viewer_generation: number | null;
			}>({
				name: 'atlas-log-heads-keys',
				text: LOG_HEADS_SQL,
				values: [mapIds]
			});
			for (const row of rows) {
				heads.set(row.map_id, {
					seq: row.seq ?? 0,
					bytes: row.bytes ?? 0,
					generations: { facilitator: row.facilitator_generation ?? 0, editor: row.editor_generation ?? 0, viewer: row.viewer_generation ?? 0 }
				});
			}
			return heads;
		},
		async compactStored(mapId, upToSeq) {
			open();
			// One statement, one snapshot: the rows and the compaction count they belong to.
			const { rows } = await pool.query<{ seq: number; data: Buffer; compactions: number }>(
				`SELECT seq, data, COALESCE((SELECT compactions FROM map_stats WHERE map_id = $1), 0) AS compactions
				 FROM doc_updates WHERE map_id = $1 AND seq <= $2 ORDER BY seq`,
				[mapId, upToSeq]
			);
			if (rows.length <= 1) return { bytes: rows[0]?.data.byteLength ?? 0, rows: rows.length };
			const readBytes = rows.reduce((sum, row) => sum + row.data.byteLength, 0);
			const chunks =
				readBytes > workerMergeBytes ? await mergeWorker().run(rows.map((row) => ownBytes(row.data))) : mergeRows(rows.map((row) => row.data));
			const bytes = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
			await transaction(async (client) => {
				await lockMaps(client, [mapId]);
				const now = await client.query<{ compactions: number }>('SELECT compactions FROM map_stats WHERE map_id = $1', [mapId]);
				// Another compaction (another instance's) swapped these rows since they were read.
				if ((now.rows[0]?.compactions ?? 0) !== rows[0].compactions) {
					throw new CompactionConflict('another instance compacted these rows while this one merged them');
				}
				await client.query('DELETE FROM doc_updates WHERE map_id = $1 AND seq <= $2', [mapId, upToSeq]);
				await insertRows(
					client,
					mapId,
					chunks.map((data, index) => ({ seq: upToSeq - chunks.length + 1 + index, data }))
				);
				await client.query(
					'UPDATE map_stats SET update_bytes = update_bytes + $2, compactions = compactions + 1, compacted_to = GREATEST(compacted_to, $3) WHERE map_id = $1',
					[mapId, bytes - readBytes, upToSeq]
				);
			}).catch((error: unknown) => {
				// The map's lock held past lock_timeout (another instance swapping or appending), or
				// a serialization failure or deadlock that retrying did not clear.
				if (['55P03', '40001', '40P01'].includes(errorCode(error) ?? '')) {
					throw new CompactionConflict(`the map was busy: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
				}
				throw error;
			});
			totalBytes += bytes - readBytes;
			return { bytes, rows: chunks.length };
		},
		async compact(mapId, upToSeq, state) {
			open();
			const removed = await transaction(async (client) => {
				await lockMaps(client, [mapId]);
				const { rows } = await client.query<{ n: number }>(
					'SELECT COALESCE(SUM(octet_length(data)), 0)::float8 AS n FROM doc_updates WHERE map_id = $1 AND seq <= $2',
					[mapId, upToSeq]
				);
				await client.query('DELETE FROM doc_updates WHERE map_id = $1 AND seq <= $2', [mapId, upToSeq]);
				await insertRows(client, mapId, [{ seq: upToSeq, data: state }]);
				await client.query(
					`INSERT INTO map_stats (map_id, update_bytes, compactions, compacted_to) VALUES ($1, $2, 1, $3)
					 ON CONFLICT (map_id) DO UPDATE SET update_bytes = map_stats.update_bytes + EXCLUDED.update_bytes,
					   compactions = map_stats.compactions + 1, compacted_to = GREATEST(map_stats.compacted_to, EXCLUDED.compacted_to)`,
					[mapId, state.byteLength - rows[0].n, upToSeq]
				);
				return rows[0].n;
			});
			totalBytes += state.byteLength - removed;
		},
		async createSnapshot(record, maxPerMap = MAX_SNAPSHOTS_PER_MAP) {
			open();
			const metaJson = JSON.stringify(record.meta);
			const annotationsJson = JSON.stringify(record.annotations);
			const size = snapshotBytes({ ...record, metaJson, annotationsJson });
			try {
				await transaction(async (client) => {
					// The count and the insert under the map's lock: two instances filing at once
					// cannot both pass the limit.
					await lockMaps(client, [record.mapId]);
					const { rows } = await client.query<{ n: number }>('SELECT COUNT(*) AS n FROM snapshots WHERE map_id = $1', [record.mapId]);
					if (rows[0].n >= maxPerMap) throw new SnapshotLimitError(maxPerMap);
					await client.query(
						`INSERT INTO snapshots (id, map_id, taken_at, taken_by, state, geojson, sha256, meta, annotation_key_hash, annotations, png, png_sha256)
						 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
						[
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
						]
					);
					await client.query(SNAPSHOT_BYTES_SQL, [record.mapId, size]);
				});
			} catch (error) {
				if (errorCode(error) === '23505') throw new Error(`snapshot ${record.id} already exists`, { cause: error });
				throw error;
			}
			totalBytes += size;
		},
		async getSnapshot(id) {
			open();
			const { rows } = await pool.query<SnapshotRow>('SELECT * FROM snapshots WHERE id = $1', [id]);
			return rows[0] ? snapshotOf(rows[0]) : null;
		},
		async listSnapshots(mapId): Promise<SnapshotSummary[]> {
			open();
			const { rows } = await pool.query<Pick<SnapshotRow, 'id' | 'map_id' | 'taken_at' | 'taken_by' | 'sha256' | 'meta'>>(
				'SELECT id, map_id, taken_at, taken_by, sha256, meta FROM snapshots WHERE map_id = $1 ORDER BY taken_at DESC, n DESC',
				[mapId]
			);
			return rows.map((row) => ({
				id: row.id,
				mapId: row.map_id,
				takenAt: row.taken_at,
				takenBy: row.taken_by === null ? null : (JSON.parse(row.taken_by) as SnapshotRecord['takenBy']),
				sha256: row.sha256,
				meta: JSON.parse(row.meta) as unknown
			}));
		},
		async addAnnotation(id, annotation, max = MAX_ANNOTATIONS_PER_SNAPSHOT) {
			open();
			const added = await transaction(async (client) => {
				const { rows } = await client.query<{ map_id: string; annotations: string }>('SELECT map_id, annotations FROM snapshots WHERE id = $1 FOR UPDATE', [id]);
				const row = rows[0];
				if (!row) return -1;
				const list = JSON.parse(row.annotations) as SnapshotAnnotation[];
				if (list.length >= max) throw new AnnotationLimitError(max);
				list.push(annotation);
				const json = JSON.stringify(list);
				await client.query('UPDATE snapshots SET annotations = $1 WHERE id = $2', [json, id]);
				await client.query(SNAPSHOT_BYTES_SQL, [row.map_id, json.length - row.annotations.length]);
				return json.length - row.annotations.length;
			});
			if (added < 0) return false;
			totalBytes += added;
			return true;
		},
		async setSnapshotPng(id, png, sha256) {
			open();
			const outcome = await transaction(async (client): Promise<'stored' | 'exists' | 'missing'> => {
				const { rows } = await client.query<{ map_id: string; filed: boolean }>('SELECT map_id, png IS NOT NULL AS filed FROM snapshots WHERE id = $1 FOR UPDATE', [id]);
				const row = rows[0];
				if (!row) return 'missing';
				if (row.filed) return 'exists';
				await client.query('UPDATE snapshots SET png = $1, png_sha256 = $2 WHERE id = $3', [toBuffer(png), sha256, id]);
				await client.query(SNAPSHOT_BYTES_SQL, [row.map_id, png.byteLength]);
				return 'stored';
			});
			if (outcome === 'stored') totalBytes += png.byteLength;
			return outcome;
		},
		/**
		 * This instance's view of the total: read from map_stats at open and every
		 * bytesRefreshMs (other instances' writes), and moved at once by this instance's own.
		 */
		storedBytes() {
			return totalBytes;
		},
		async countUpdates(mapId) {
			open();
			const { rows } = await pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM doc_updates WHERE map_id = $1', [mapId]);
			return rows[0].n;
		},
		async close() {
			if (closed) return;
			closed = true;
			if (refreshTimer) clearInterval(refreshTimer);
			// Appends already made are committed (or fail) before the pool goes.
			await flushed;
			await merger?.close();
			await pool.end();
		}
	};
}
