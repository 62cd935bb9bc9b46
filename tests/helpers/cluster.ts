/**
 * Several real server processes (server/index.ts) sharing one PostgreSQL schema (fresh per
 * cluster, dropped afterwards) and one Redis (with a channel prefix of their own), each
 * with its own DATA_DIR and port and the same SERVER_SECRET: the multi-instance
 * deployment the README describes, on one machine. And a TCP load balancer in front of
 * them that picks an instance per connection, round robin, skipping instances that do not
 * answer: no sticky sessions, as in production.
 */
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Socket } from 'node:net';
import { createSchema, dropSchemas, freshSchemaName, urlWithSchema } from './postgres.ts';
import { freshRedisPrefix } from './redis.ts';
import { startTestServer, type TestServer } from './test-server.ts';

export interface Cluster {
	instances: TestServer[];
	/** DATABASE_URL of the cluster's schema. */
	databaseUrl: string;
	schema: string;
	/** The environment every instance got (a test starts another one with it). */
	env: Record<string, string>;
	dispose(): Promise<void>;
}

export interface ClusterOptions {
	postgres: string;
	redisUrl: string;
	/** Extra variables for every instance. */
	env?: Record<string, string>;
}

export async function startCluster(count: number, options: ClusterOptions): Promise<Cluster> {
	const schema = freshSchemaName();
	await createSchema(options.postgres, schema);
	const databaseUrl = urlWithSchema(options.postgres, schema);
	const env = {
		DATABASE_URL: databaseUrl,
		REDIS_URL: options.redisUrl,
		REDIS_PREFIX: freshRedisPrefix(),
		SERVER_SECRET: randomBytes(32).toString('hex'),
		// Every test client comes from 127.0.0.1.
		MAX_SOCKETS_PER_ADDRESS: '5000',
		MAX_SOCKETS_PER_KEY: '5000',
		...options.env
	};
	// One first: it migrates the schema, and the others find it done.
	const instances: TestServer[] = [];
	try {
		instances.push(await startTestServer(env));
		instances.push(...(await Promise.all(Array.from({ length: count - 1 }, () => startTestServer(env)))));
	} catch (error) {
		await Promise.all(instances.map((instance) => instance.dispose()));
		await dropSchemas(options.postgres, [schema]);
		throw error;
	}
	return {
		instances,
		databaseUrl,
		schema,
		env,
		async dispose() {
			await Promise.all(instances.map((instance) => instance.dispose()));
			await dropSchemas(options.postgres, [schema]);
		}
	};
}

export interface Balancer {
	url: string;
	/** ws://…/sync through the balancer. */
	syncUrl: string;
	/** Connections handed to each backend port so far. */
	readonly handed: Map<number, number>;
	close(): Promise<void>;
}

/**
 * A TCP load balancer on a free port: each new connection goes to the next backend (round
 * robin) that accepts it. `backends` is read on every connection (ports may change).
 */
export async function startBalancer(backends: () => number[]): Promise<Balancer> {
	let next = 0;
	const handed = new Map<number, number>();
	const open = new Set<Socket>();
	const server = createServer((client) => {
		open.add(client);
		client.on('close', () => open.delete(client));
		client.on('error', () => {});
		client.pause();
		const ports = backends();
		const tryBackend = (attempt: number) => {
			if (attempt >= ports.length || client.destroyed) return client.destroy();
			const port = ports[next++ % ports.length];
			const upstream = createConnection({ host: '127.0.0.1', port });
			let connected = false;
			upstream.on('error', () => {
				if (!connected) tryBackend(attempt + 1);
				else client.destroy();
			});
			upstream.once('connect', () => {
				connected = true;
				handed.set(port, (handed.get(port) ?? 0) + 1);
				open.add(upstream);
				upstream.on('close', () => {
					open.delete(upstream);
					client.destroy();
				});
				client.on('close', () => upstream.destroy());
				client.pipe(upstream);
				upstream.pipe(client);
				client.resume();
			});
		};
		tryBackend(0);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : 0;
	return {
		url: `http://127.0.0.1:${port}`,
		syncUrl: `ws://127.0.0.1:${port}/sync`,
		handed,
		async close() {
			for (const socket of open) socket.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		}
	};
}
