/**
 * What instances on one PostgreSQL database must agree on, checked before one starts:
 *
 * - Several instances need REDIS_URL, every one of them: without it none would see the
 *   others' edits (each room would only ever hear its own clients). An instance without
 *   REDIS_URL holds a session-level advisory lock on the database (its schema) exclusively;
 *   one with REDIS_URL holds the same lock shared. So a second instance without Redis, or
 *   an instance with Redis beside one without it, is refused at start with a clear
 *   message, whichever starts first. The lock goes with the session: an instance that dies
 *   (even by SIGKILL) releases it as its connection closes.
 * - The same server secret: it seals join codes and link secrets, so an instance with
 *   another one could not open them. A fingerprint of it (an HMAC, never the secret) is
 *   filed in `settings` by the first instance; one whose secret differs is refused.
 * - The same bus: instances on different REDIS_PREFIXes would share the database but never
 *   hear each other (edits would cross only by the 2 s poll, replaced keys too). A SHA-256
 *   of the prefix (never the URL or its password) is filed in `settings` as `cluster-bus`;
 *   an instance whose prefix differs from the one the running instances filed is refused.
 *   When no other instance with REDIS_URL is running, the new prefix is filed instead (the
 *   whole deployment moved to another one). Redis's pub/sub channels span its databases,
 *   so the prefix is what separates buses on one Redis; instances on two different Redis
 *   servers with one prefix are not told apart here (the poll still bounds their windows).
 */
import { createHash, createHmac } from 'node:crypto';
import pg from 'pg';
import { describeDatabase } from '../persistence/postgres.ts';
import type { Logger } from '../room/runner.ts';

/** First key of the instance lock (second key: hashtext of the schema). */
const LOCK_INSTANCES = 0x41544c49; // "ATLI"
/**
 * A predecessor killed a moment ago may still hold the lock until PostgreSQL sees its
 * connection close: tried this long before refusing.
 */
const LOCK_WAIT_MS = 2000;
const RELOCK_MS = 2000;

export class InstanceConflict extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'InstanceConflict';
	}
}

export interface InstanceGuard {
	close(): Promise<void>;
}

export function secretFingerprint(secret: Uint8Array): string {
	return createHmac('sha256', secret).update('asset-atlas instances share this secret').digest('hex');
}

/** What an instance files for its bus (REDIS_PREFIX): a SHA-256, never the URL or its password. */
export function busIdentity(prefix: string): string {
	return createHash('sha256').update(prefix, 'utf8').digest('hex');
}

export interface GuardOptions {
	/** True with REDIS_URL: other instances may share the database (each with REDIS_URL). */
	clustered: boolean;
	/** With REDIS_URL: busIdentity(REDIS_PREFIX); every instance on the database must have the same. */
	bus?: string;
	serverSecret: Uint8Array;
	logger: Logger;
	/** How long a held lock is waited for before refusing (tests shorten it). */
	lockWaitMs?: number;
}

async function connect(url: string): Promise<pg.Client> {
	const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
	client.on('error', () => {});
	await client.connect();
	return client;
}

/** Other sessions holding the instance lock shared: instances with REDIS_URL running now. */
async function otherClusteredInstances(client: pg.Client): Promise<number> {
	const { rows } = await client.query<{ n: number }>(
		`SELECT count(DISTINCT pid)::int AS n FROM pg_locks
		 WHERE locktype = 'advisory' AND granted AND mode = 'ShareLock' AND pid <> pg_backend_pid()
		   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		   AND classid::text::bigint = $1 AND objid::text::bigint = (hashtext(current_schema())::bigint & 4294967295) AND objsubid = 2`,
		[LOCK_INSTANCES]
	);
	return rows[0].n;
}

/**
 * Files this instance's bus, or refuses it when the running instances filed another. Run
 * holding the instance lock (so a running instance is always counted), in one transaction
 * with the row locked (so two instances starting at once see each other's filing).
 */
async function checkBus(client: pg.Client, bus: string, where: string, logger: Logger): Promise<void> {
	await client.query('BEGIN');
	try {
		await client.query(`INSERT INTO settings (name, value) VALUES ('cluster-bus', $1) ON CONFLICT (name) DO NOTHING`, [bus]);
		const { rows } = await client.query<{ value: string }>(`SELECT value FROM settings WHERE name = 'cluster-bus' FOR UPDATE`);
		if (rows[0].value !== bus) {
			const others = await otherClusteredInstances(client);
			if (others > 0) {
				throw new InstanceConflict(
					`this instance's REDIS_PREFIX differs from the one the ${others === 1 ? 'instance' : `${others} instances`} already serving ${where} use${others === 1 ? 's' : ''}: ` +
						'it would not hear their edits or replaced links, nor they its. Give every instance the same REDIS_URL and REDIS_PREFIX.'
				);
			}
			await client.query(`UPDATE settings SET value = $1 WHERE name = 'cluster-bus'`, [bus]);
			logger.warn(`REDIS_PREFIX differs from the one the instances that served ${where} before used; none of them is running, so this one's is filed now`);
		}
		await client.query('COMMIT');
	} catch (error) {
		await client.query('ROLLBACK').catch(() => {});
		throw error;
	}
}

async function tryLock(client: pg.Client, clustered: boolean): Promise<boolean> {
	const fn = clustered ? 'pg_try_advisory_lock_shared' : 'pg_try_advisory_lock';
	const { rows } = await client.query<{ locked: boolean }>(`SELECT ${fn}(${LOCK_INSTANCES}, hashtext(current_schema())) AS locked`);
	return rows[0].locked;
}

export async function guardInstances(url: string, options: GuardOptions): Promise<InstanceGuard> {
	const where = describeDatabase(url);
	let client = await connect(url);
	try {
		const fingerprint = secretFingerprint(options.serverSecret);
		await client.query(`INSERT INTO settings (name, value) VALUES ('server-secret', $1) ON CONFLICT (name) DO NOTHING`, [fingerprint]);
		const { rows } = await client.query<{ value: string }>(`SELECT value FROM settings WHERE name = 'server-secret'`);
		if (rows[0]?.value !== fingerprint) {
			throw new InstanceConflict(
				`this instance's server secret differs from the one the instances on ${where} use (DATA_DIR/server-secret, or SERVER_SECRET): ` +
					'join addresses and replaced facilitator links would not open here. Give every instance the same secret.'
			);
		}
		const deadline = Date.now() + (options.lockWaitMs ?? LOCK_WAIT_MS);
		while (!(await tryLock(client, options.clustered))) {
			if (Date.now() > deadline) {
				throw new InstanceConflict(
					options.clustered
						? `an Asset Atlas instance without REDIS_URL is serving ${where}; it would not see this instance's edits, nor this one its. Give it REDIS_URL too (the same as this one), or stop it.`
						: `another Asset Atlas instance is serving ${where}. Several instances must all set REDIS_URL (the same Redis), or they would not see each other's edits; set it on every instance, or stop the other one.`
				);
			}
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
		if (options.clustered && options.bus !== undefined) await checkBus(client, options.bus, where, options.logger);
	} catch (error) {
		await client.end().catch(() => {});
		throw error;
	}

	// The lock lives with this session: if the connection breaks (PostgreSQL restarted), it is
	// taken again as soon as the database answers.
	let closed = false;
	let relocking: NodeJS.Timeout | null = null;
	const relock = () => {
		if (closed || relocking) return;
		relocking = setTimeout(async () => {
			relocking = null;
			try {
				const next = await connect(url);
				if (closed) return void (await next.end());
				if (!(await tryLock(next, options.clustered))) {
					options.logger.error(`the instance lock on ${where} is held by an instance of the other kind (with or without REDIS_URL); edits may not reach everyone until one of them stops`);
				}
				watch(next);
			} catch {
				relock();
			}
		}, RELOCK_MS);
		relocking.unref();
	};
	const watch = (current: pg.Client) => {
		client = current;
		current.on('end', () => {
			if (!closed) relock();
		});
	};
	watch(client);

	return {
		async close() {
			closed = true;
			if (relocking) clearTimeout(relocking);
			await client.end().catch(() => {});
		}
	};
}
