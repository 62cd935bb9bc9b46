/**
 * The history as the page parses it (src/lib/history.ts): schema 2's collections, and
 * records the server wrote itself — 'server' (a migration) and 'anonymous' (an answer to an
 * anonymous round: the page reads it as the server's, marked anonymous), the latter never
 * carrying a name or an affiliation whatever was sent.
 */
import { describe, expect, it } from 'vitest';
import { parseHistoryPage } from '../../src/lib/history.ts';

const record = (fields: Record<string, unknown>) => ({ at: 1, role: 'editor', name: 'Ana', affiliation: 'student', collection: 'assets', entry: 'a1', kind: 'create', fields: {}, ...fields });

describe('parseHistoryPage', () => {
	it('reads rounds, responses and progress records, and the server’s own', () => {
		const page = parseHistoryPage({
			entries: [
				record({ collection: 'rounds', role: 'facilitator', name: 'Fran', affiliation: 'faculty' }),
				record({ collection: 'responses' }),
				record({ collection: 'progress' }),
				record({ collection: 'meta', entry: 'meta', role: 'server', name: '', affiliation: null, kind: 'update', fields: { schemaVersion: 2 } })
			],
			next: '7'
		});
		expect(page.entries.map((entry) => [entry.collection, entry.role, entry.name, entry.anonymous])).toEqual([
			['rounds', 'facilitator', 'Fran', false],
			['responses', 'editor', 'Ana', false],
			['progress', 'editor', 'Ana', false],
			['meta', 'server', '', false]
		]);
		expect(page.next).toBe('7');
	});

	it('an anonymous record is the server’s, marked anonymous, and names nobody even if a name or affiliation came with it', () => {
		const page = parseHistoryPage({ entries: [record({ collection: 'responses', role: 'anonymous', name: 'Leaked', affiliation: 'student', fields: { text: 'More shade' } })], next: null });
		expect(page.entries).toEqual([{ at: 1, role: 'server', anonymous: true, name: '', affiliation: null, collection: 'responses', entry: 'a1', kind: 'create', fields: { text: 'More shade' } }]);
	});

	it('skips records of unknown collections and roles', () => {
		const page = parseHistoryPage({ entries: [record({ collection: 'secrets' }), record({ role: 'admin' }), record({})], next: null });
		expect(page.entries).toHaveLength(1);
	});
});
