import { describe, expect, it } from 'vitest';
import { connectsLinkId, isEntityId, isMapId, newEntityId, newMapId, supportsLinkId } from '../../src/lib/doc/ids.ts';

describe('ids', () => {
	it('makes map ids that validate and never use look-alike characters', () => {
		const ids = new Set(Array.from({ length: 1000 }, newMapId));
		expect(ids.size).toBe(1000);
		for (const id of ids) {
			expect(isMapId(id)).toBe(true);
			expect(id).not.toMatch(/[01ilo]/);
		}
		for (const bad of ['', 'ABCDEFGHJK', 'abc', 'abcdefghjk1', '../../etc', 42, null]) expect(isMapId(bad)).toBe(false);
	});

	it('makes entity ids and refuses odd keys', () => {
		expect(isEntityId(newEntityId())).toBe(true);
		expect(isEntityId('<script>')).toBe(false);
		expect(isEntityId('a'.repeat(65))).toBe(false);
	});

	it('derives link ids so the same link made twice is one link', () => {
		expect(supportsLinkId('a', 'g')).toBe('supports:a:g');
		expect(connectsLinkId('b', 'a')).toBe(connectsLinkId('a', 'b'));
	});
});
