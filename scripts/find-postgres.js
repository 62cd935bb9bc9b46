// The PostgreSQL server the tests use: TEST_DATABASE_URL, else the development and CI
// machines' own (127.0.0.1:5432, trust auth, database `test`, as user postgres or root).
// Shared by `npm test` (scripts/test.js probes once for every test file) and
// tests/helpers/postgres.ts (when vitest runs on its own).
import pg from 'pg';

export const POSTGRES_CANDIDATES = ['postgres://postgres@127.0.0.1:5432/test', 'postgres://root@127.0.0.1:5432/test'];

/** @param {string} url */
async function answers(url) {
	const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
	client.on('error', () => {});
	try {
		await client.connect();
		await client.query('SELECT 1');
		return true;
	} catch {
		return false;
	} finally {
		await client.end().catch(() => {});
	}
}

/** The candidates tried, for messages (hosts only, never credentials). */
export function postgresCandidates() {
	return process.env.TEST_DATABASE_URL ? [process.env.TEST_DATABASE_URL] : POSTGRES_CANDIDATES;
}

/** The first candidate URL that answers, or null. @returns {Promise<string | null>} */
export async function findPostgres() {
	for (const url of postgresCandidates()) if (await answers(url)) return url;
	return null;
}

/** One line for a run without PostgreSQL. */
export function noPostgresLine() {
	const hosts = [...new Set(postgresCandidates().map((url) => new URL(url).host || 'localhost'))].join(', ');
	return `!!! POSTGRESQL TESTS NOT RUN: no PostgreSQL answered at ${hosts} (set TEST_DATABASE_URL, or start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) !!!`;
}
