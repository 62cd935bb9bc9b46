/** The pure parts of the map page: initials, camera bounds, delete rules, the error path, map details. */
import { describe, expect, it } from 'vitest';
import { initials } from '../../src/lib/sync/presence.ts';
import { geometryBounds } from '../../src/routes/m/[id]/camera.ts';
import { askBeforeDeleting, isFreshDeletionByOther } from '../../src/routes/m/[id]/deletions.ts';
import { errorMessage } from '../../src/lib/i18n/errors.ts';
import { InvalidInputError } from '../../src/lib/doc/validate.ts';
import { setMapDetails } from '../../src/lib/doc/meta-mutations.ts';
import { initMap } from '../../src/lib/doc/mutations.ts';
import { createDoc, readMeta } from '../../src/lib/doc/schema.ts';
import { en } from '../../src/lib/i18n/en.ts';

describe('avatar initials', () => {
	it('take the first whole character of the first and last word', () => {
		expect(initials('Maria Lopez')).toBe('ML');
		expect(initials('  rosa  ')).toBe('R');
		expect(initials('Ana María de la Cruz')).toBe('AC');
		expect(initials('')).toBe('·');
		expect(initials('   ')).toBe('·');
	});

	it('keep emoji and combining marks whole', () => {
		expect(initials('👩🏽‍🌾 Farmer')).toBe('👩🏽‍🌾F');
		expect(initials('🇺🇦')).toBe('🇺🇦');
		// "e" + combining acute, then "o" + combining diaeresis
		expect(initials('e\u0301mile o\u0308zil')).toBe('E\u0301O\u0308');
		expect(initials('Øyvind Ærø')).toBe('ØÆ');
	});

	it('skip punctuation, and never turn one character into two', () => {
		expect(initials("(Maria) O'Brien")).toBe('MO');
		expect(initials('"Jo" - Smith')).toBe('JS');
		expect(initials('... !!!')).toBe('·');
		expect(initials('ßeta')).toBe('ß');
		expect(initials('李 小龍')).toBe('李小');
	});
});

describe('camera bounds', () => {
	it('cover the whole of an area or a line', () => {
		expect(geometryBounds({ type: 'Polygon', coordinates: [[[0, 0], [4, 1], [2, 5], [0, 0]]] })).toEqual([
			[0, 0],
			[4, 5]
		]);
		expect(geometryBounds({ type: 'LineString', coordinates: [[-1, 2], [3, -4]] })).toEqual([
			[-1, -4],
			[3, 2]
		]);
		expect(geometryBounds({ type: 'Point', coordinates: [7, 8] })).toEqual([
			[7, 8],
			[7, 8]
		]);
	});
});

describe('deleting together', () => {
	const maria = { id: 'maria', name: 'Maria', affiliation: 'faculty' as const };
	it('asks before deleting someone else’s asset, not one’s own or an unknown author’s', () => {
		expect(askBeforeDeleting({ createdBy: maria }, { id: 'rosa' })).toBe(true);
		expect(askBeforeDeleting({ createdBy: maria }, { id: 'maria' })).toBe(false);
		expect(askBeforeDeleting({ createdBy: null }, { id: 'rosa' })).toBe(false);
	});

	it('tells of fresh deletions by others only', () => {
		const now = 1_000_000;
		const deleted = { deletedAt: now - 1000, updatedBy: maria };
		expect(isFreshDeletionByOther(deleted, false, { id: 'fatima' }, now)).toBe(true);
		expect(isFreshDeletionByOther(deleted, true, { id: 'fatima' }, now)).toBe(false);
		expect(isFreshDeletionByOther(deleted, false, { id: 'maria' }, now)).toBe(false);
		expect(isFreshDeletionByOther({ ...deleted, deletedAt: now - 10 * 60_000 }, false, { id: 'fatima' }, now)).toBe(false);
		expect(isFreshDeletionByOther({ deletedAt: null, updatedBy: maria }, false, { id: 'fatima' }, now)).toBe(false);
		expect(isFreshDeletionByOther(undefined, false, null, now)).toBe(false);
	});
});

describe('the error path', () => {
	it('shows every refusal from the catalog', () => {
		expect(errorMessage(new InvalidInputError('name', 'name is required'))).toBe(en['refusal.name']);
		expect(errorMessage(new InvalidInputError('id', 'no asset x'))).toBe(en['refusal.gone']);
		expect(errorMessage(new InvalidInputError('weird', 'x'))).toBe(en['refusal.generic']);
		expect(errorMessage(new Error('Yjs exploded'))).toBe(en['refusal.generic']);
		expect(errorMessage('string')).toBe(en['refusal.generic']);
	});
});

describe('setMapDetails', () => {
	it('changes title, place and description, trimmed, only when they differ', () => {
		const doc = createDoc();
		initMap(doc, { title: 'Old', place: 'Here' });
		let updates = 0;
		doc.on('update', () => updates++);
		expect(setMapDetails(doc, { title: '  New title ', place: 'There', description: 'For the spring workshop' })).toBe(true);
		expect(readMeta(doc)).toMatchObject({ title: 'New title', place: 'There', description: 'For the spring workshop' });
		expect(updates).toBe(1);
		expect(setMapDetails(doc, { title: 'New title', place: 'There' })).toBe(false);
		expect(updates).toBe(1);
	});

	it('refuses an empty title or an over-long field, changing nothing', () => {
		const doc = createDoc();
		initMap(doc, { title: 'Old' });
		expect(() => setMapDetails(doc, { title: ' ', place: 'X' })).toThrow(InvalidInputError);
		expect(() => setMapDetails(doc, { place: 'x'.repeat(201) })).toThrow(InvalidInputError);
		expect(readMeta(doc)).toMatchObject({ title: 'Old', place: '' });
	});
});
