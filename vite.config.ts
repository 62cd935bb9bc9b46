import { fileURLToPath } from 'node:url';
import { sveltekit } from '@sveltejs/kit/vite';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Wires the same HTTP API and WebSocket upgrade handler that server/index.ts uses in
 * production into the Vite dev server, so `npm run dev` syncs too.
 */
function atlasServer(): Plugin {
	return {
		name: 'asset-atlas-server',
		apply: 'serve',
		async configureServer(server) {
			// Vitest also runs a Vite server; its tests start their own real server on port 0.
			if (process.env.VITEST) return;
			const { loadConfig } = await import('./server/config.ts');
			const { startAtlasServer } = await import('./server/app.ts');
			const atlas = await startAtlasServer(loadConfig(process.env));
			server.middlewares.use((req, res, next) => atlas.handleHttp(req, res, next));
			server.httpServer?.on('upgrade', (req, socket, head) => {
				if (atlas.isSyncRequest(req)) atlas.handleUpgrade(req, socket, head);
			});
			server.httpServer?.on('close', () => void atlas.close());
		}
	};
}

export default defineConfig({
	// Tests import plain TypeScript modules (never .svelte files or $app), so Vitest leaves
	// the SvelteKit plugin out and only maps $lib as it does: the plugin's dev setup would
	// rewrite .svelte-kit/ in every vitest process while svelte-check reads it (scripts/test.js).
	plugins: process.env.VITEST ? [] : [atlasServer(), sveltekit()],
	resolve: process.env.VITEST ? { alias: { $lib: fileURLToPath(new URL('./src/lib', import.meta.url)) } } : {},
	test: {
		projects: [
			{
				extends: true,
				// Some unit tests replay thousands of seeded cases: a busy machine must not time them out.
				test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node', testTimeout: 30_000 }
			},
			{
				extends: true,
				test: {
					name: 'server',
					include: ['tests/server/**/*.test.ts'],
					environment: 'node',
					testTimeout: 60_000,
					hookTimeout: 60_000
				}
			},
			{
				extends: true,
				test: {
					name: 'e2e',
					include: ['tests/e2e/**/*.test.ts'],
					environment: 'node',
					testTimeout: 90_000,
					hookTimeout: 240_000,
					fileParallelism: false
				}
			}
		]
	}
});
