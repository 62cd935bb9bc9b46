import { describe, expect, it } from 'vitest';
import { cleanDisplayName } from '../../src/lib/doc/names.ts';

describe('display names', () => {
	it('lose what would let them pass for someone else or break other screens', () => {
		expect(cleanDisplayName('Fran\u200b', 80)).toBe('Fran');
		expect(cleanDisplayName('\u200fFran\u200e', 80)).toBe('Fran');
		expect(cleanDisplayName('Ro\u202esa', 80)).toBe('Rosa');
		expect(cleanDisplayName('Ana\u2028Facilitator', 80)).toBe('Ana Facilitator');
		expect(cleanDisplayName('Tag\u{e0041}\u{e0042}s', 80)).toBe('Tags');
		expect(cleanDisplayName('Z\u0301\u0302\u0303\u0304\u0305\u0306alg', 80)).toBe('\u0179\u0302\u0303\u0304alg');
		expect(cleanDisplayName('  two   spaces\tand\ntabs ', 80)).toBe('two spaces and tabs');
		expect(cleanDisplayName('x'.repeat(100), 80)).toHaveLength(80);
	});

	it('keep every written language intact', () => {
		for (const name of ['José María', 'Nguyễn Thị Ánh', 'محمد', 'नमस्ते', 'フランシス', 'Zoë', 'O’Brien', '👩🏽‍🌾 Dee']) {
			expect(cleanDisplayName(name, 80)).toBe(name.normalize('NFC'));
		}
	});
});
