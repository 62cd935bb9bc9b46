import { describe, expect, it } from 'vitest';
import { en } from '../../src/lib/i18n/en.ts';
import { setLocale, t } from '../../src/lib/i18n/index.ts';

describe('UI strings', () => {
	it('speak the asset-based language: no needs, problems or deficits', () => {
		for (const [key, text] of Object.entries(en)) {
			expect(text, key).not.toMatch(/\b(needs?|problems?|deficits?|deficienc(y|ies)|lacks?)\b/i);
		}
	});

	it('fill placeholders as plain text and keep unknown ones visible', () => {
		setLocale('en');
		expect(t('asset.deleted', { name: '<b>x</b>' })).toBe('“<b>x</b>” was deleted.');
		expect(t('list.count', { shown: 3 })).toBe('3 of {total} assets');
	});

	it('fall back to English for a locale without a catalog', () => {
		setLocale('xx-YY');
		expect(t('asset.add')).toBe('Add asset');
		setLocale('en');
	});
});
