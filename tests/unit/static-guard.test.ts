import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { guardVanishedAssets } from '../../server/http/static-guard.ts';

const dir = mkdtempSync(join(tmpdir(), 'atlas-static-'));
mkdirSync(join(dir, '_app', 'immutable', 'assets'), { recursive: true });
writeFileSync(join(dir, '_app', 'immutable', 'assets', 'app.abc.css'), 'body{}');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(url: string): { passed: boolean; status: number | null } {
	let passed = false;
	let status: number | null = null;
	const res = { writeHead: (code: number) => ((status = code), { end: () => {} }) } as unknown as ServerResponse;
	guardVanishedAssets(() => (passed = true), dir)({ url } as IncomingMessage, res);
	return { passed, status };
}

describe('the static guard', () => {
	it('passes pages, files on disk and everything outside the hashed assets to the app', () => {
		expect(run('/_app/immutable/assets/app.abc.css?v=1')).toEqual({ passed: true, status: null });
		expect(run('/m/abc')).toEqual({ passed: true, status: null });
		expect(run('/_app/env.js')).toEqual({ passed: true, status: null });
	});

	it('answers 404 for a hashed asset a rebuild removed, and for paths that leave the folder', () => {
		expect(run('/_app/immutable/assets/6.g4oJi-YE.css')).toEqual({ passed: false, status: 404 });
		expect(run('/_app/immutable/../../../etc/passwd')).toEqual({ passed: false, status: 404 });
		expect(run('/_app/immutable/%2e%2e/%2e%2e/secret')).toEqual({ passed: false, status: 404 });
		expect(run('/_app/immutable/%E0%A4%A')).toEqual({ passed: false, status: 404 });
	});
});
