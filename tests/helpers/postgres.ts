/**
 * PostgreSQL for tests: finds a server that answers (TEST_DATABASE_URL, else the
 * development and CI machines' own, 127.0.0.1:5432 with trust auth, database `test`), and
 * makes a fresh schema per store so runs never see each other's rows.
 *
 * Without a server the PostgreSQL tests are skipped with one loud line; under CI=true they
 * fail instead. `npm test` probes once for all files (scripts/test.js, which prints the
 * line and sets ATLAS_TEST_POSTGRES to the URL that answered, or to `none`).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { findPostgres, noPostgresLine } from '../../scripts/find-postgres.js';

const ci = process.env.CI === 'true' || process.env.CI === '1';

let found: Promise<string | null> | null = null;

/**
 * The URL of a PostgreSQL server for tests, or null (after one loud line) when none
 * answers. Throws under CI=true instead of returning null.
 */
export function testPostgres(): Promise<string | null> {
	found ??= (async () => {
		const given = process.env.ATLAS_TEST_POSTGRES;
		// `npm test` probed already (and said so once, if none answered).
		const url = given === 'none' ? null : given ? given : await findPostgres();
		if (url) return url;
		if (ci) throw new Error('PostgreSQL tests are required under CI=true, and no PostgreSQL answered');
		if (given !== 'none') console.error(noPostgresLine());
		return null;
	})();
	return found;
}

/** A schema name no other run uses. */
export function freshSchemaName(): string {
	return `atlas_test_${randomBytes(6).toString('hex')}`;
}

/** The URL with a search_path option, for things that take only a URL (the server's DATABASE_URL). */
export function urlWithSchema(url: string, schema: string): string {
	const parsed = new URL(url);
	parsed.searchParams.set('options', `-c search_path=${schema}`);
	return parsed.href;
}

/** Runs SQL against the test database (outside any store). */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client({ connectionString: url });
	client.on('error', () => {});
	await client.connect();
	try {
		return await work(client);
	} finally {
		await client.end();
	}
}

export async function createSchema(url: string, schema: string): Promise<void> {
	await withClient(url, (client) => client.query(`CREATE SCHEMA ${schema}`));
}

/** Drops the schemas (and everything in them); stores using them must be closed first. */
export async function dropSchemas(url: string, schemas: string[]): Promise<void> {
	if (schemas.length === 0) return;
	await withClient(url, async (client) => {
		for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
	});
}
