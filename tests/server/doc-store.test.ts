import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createMemoryStore } from '../../server/persistence/memory.ts';
import { createSqliteStore } from '../../server/persistence/sqlite.ts';
import { docStoreContract } from './doc-store.contract.ts';

docStoreContract('memory', { create: async () => ({ store: createMemoryStore() }) });

const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

docStoreContract('sqlite', {
	async create() {
		// A missing nested directory must be created by the store.
		const root = mkdtempSync(join(tmpdir(), 'atlas-store-'));
		dirs.push(root);
		const dir = join(root, 'nested', 'data');
		return { store: createSqliteStore(dir), reopen: async () => createSqliteStore(dir) };
	}
});
