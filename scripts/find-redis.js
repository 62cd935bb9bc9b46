// The Redis server the multi-instance tests use: TEST_REDIS_URL, else the development and
// CI machines' own (redis://127.0.0.1:6379, which keeps nothing on disk; .ci/run starts it
// when it has stopped). Shared by `npm test` (scripts/test.js probes once for every test
// file) and tests/helpers/redis.ts (when vitest runs on its own).
import { connect } from 'node:net';

export const REDIS_CANDIDATES = ['redis://127.0.0.1:6379'];

/** The candidates tried, for messages (hosts only, never credentials). */
export function redisCandidates() {
	return process.env.TEST_REDIS_URL ? [process.env.TEST_REDIS_URL] : REDIS_CANDIDATES;
}

/** Whether a Redis server answers PING at this URL (AUTH first when it has a password). @param {string} url */
export function redisAnswers(url) {
	const parsed = new URL(url);
	return new Promise((resolve) => {
		const socket = connect({ host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || 6379) });
		let reply = '';
		const done = (ok) => {
			clearTimeout(timer);
			socket.destroy();
			resolve(ok);
		};
		const timer = setTimeout(() => done(false), 3000);
		socket.on('error', () => done(false));
		socket.on('connect', () => {
			const password = decodeURIComponent(parsed.password);
			if (password) socket.write(`AUTH ${parsed.username ? `${decodeURIComponent(parsed.username)} ` : ''}${password}\r\n`);
			socket.write('PING\r\n');
		});
		socket.on('data', (data) => {
			reply += data.toString();
			if (reply.includes('+PONG')) done(true);
			else if (reply.includes('-')) done(false);
		});
	});
}

/** The first candidate URL that answers, or null. @returns {Promise<string | null>} */
export async function findRedis() {
	for (const url of redisCandidates()) if (await redisAnswers(url)) return url;
	return null;
}

/** One line for a run without Redis. */
export function noRedisLine() {
	const hosts = [...new Set(redisCandidates().map((url) => new URL(url).host || 'localhost'))].join(', ');
	return `!!! MULTI-INSTANCE (REDIS) TESTS NOT RUN: no Redis answered at ${hosts} (set TEST_REDIS_URL, or start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no) !!!`;
}
