/** What a snapshot freezes (src/lib/export/snapshot.ts) and how it is cited (citation.ts), exactly. */
import { describe, expect, it } from 'vitest';
import { createDoc, applyState, insertEntry, writeMeta, encodeState, readAllAssets } from '../../src/lib/doc/schema.ts';
import { mapDataOf } from '../../src/lib/export/map-data.ts';
import { toGeoJson } from '../../src/lib/export/geojson.ts';
import { toCsv } from '../../src/lib/export/csv.ts';
import { toKml } from '../../src/lib/export/kml.ts';
import { publicState, snapshotMeta } from '../../src/lib/export/snapshot.ts';
import { citation, citationAuthor, shortHash } from '../../src/lib/export/citation.ts';
import { COMPETENCIES, isCompetency } from '../../src/lib/export/competencies.ts';
import { en } from '../../src/lib/i18n/en.ts';
import { asset, goal, supports, connects } from '../helpers/links.ts';

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const [GARDEN, PANTRY, HIDDEN, GONE, FOOD, OLD] = ['gardenAAAAAAAAAA', 'pantryAAAAAAAAAA', 'hiddenAAAAAAAAAA', 'goneAAAAAAAAAAAA', 'foodAAAAAAAAAAAA', 'oldAAAAAAAAAAAAA'];

function sampleDoc() {
	const doc = createDoc();
	writeMeta(doc, { title: 'Eastside strengths', place: 'Springfield', description: 'Spring workshop', createdAt: T0, schemaVersion: 1, locked: false, view: { center: [-89.65, 39.8], zoom: 14 } });
	const rows = [
		asset(GARDEN, { name: 'Community garden', holder: 'Eastside Growers', tags: ['food'], createdAt: T0, geometry: { type: 'Point', coordinates: [-89.65, 39.8] }, updatedBy: { id: 'prof', name: 'Dr. Secret', affiliation: 'faculty' } }),
		asset(PANTRY, { name: 'Food pantry', category: 'organizations', createdAt: T0 + 1, geometry: { type: 'Point', coordinates: [-89.648, 39.803] } }, 'student'),
		asset(HIDDEN, { name: 'Private home of Jane', hidden: true, createdAt: T0 + 2 }),
		asset(GONE, { name: 'Deleted thing', deletedAt: T0, createdAt: T0 + 3 })
	];
	for (const row of rows) {
		const { id, ...fields } = row;
		insertEntry(doc, 'assets', id, { id, ...fields, createdBy: row.createdBy ? { ...row.createdBy, name: 'Maria Lopez' } : null });
	}
	for (const row of [goal(FOOD, { title: 'Fresh food nearby', createdAt: T0 }), goal(OLD, { title: 'Old goal', deletedAt: T0 })]) insertEntry(doc, 'goals', row.id, { ...row });
	for (const link of [supports(GARDEN, FOOD), supports(HIDDEN, FOOD), connects(GARDEN, PANTRY), connects(GARDEN, GONE)]) insertEntry(doc, 'links', link.id, { ...link });
	return doc;
}

describe('snapshot state', () => {
	it('exports to exactly the same GeoJSON, CSV and KML as the map it was taken from', () => {
		const doc = sampleDoc();
		const frozen = createDoc();
		applyState(frozen, publicState(doc));
		const live = mapDataOf(doc);
		const copy = mapDataOf(frozen);
		expect(live.assets.map((a) => a.id)).toEqual([GARDEN, PANTRY]);
		expect(toGeoJson(copy, { takenAt: T0 })).toBe(toGeoJson(live, { takenAt: T0 }));
		expect(toCsv(copy)).toBe(toCsv(live));
		expect(toKml(copy)).toBe(toKml(live));
	});

	it('keeps no hidden or deleted entry and no contributor name or id', () => {
		const state = publicState(sampleDoc());
		const bytes = Buffer.from(state).toString('latin1');
		for (const secret of ['Private home of Jane', 'Deleted thing', 'Old goal', 'Maria Lopez', 'Dr. Secret', 'who-community-member', 'prof', HIDDEN, GONE, OLD]) {
			expect(bytes).not.toContain(secret);
		}
		const frozen = createDoc();
		applyState(frozen, state);
		expect(readAllAssets(frozen).map((a) => a.createdBy)).toEqual([
			{ id: 'community-member', name: '', affiliation: 'community-member' },
			{ id: 'student', name: '', affiliation: 'student' }
		]);
		// The same map always freezes to the same content.
		expect(toGeoJson(mapDataOf(frozen))).toBe(toGeoJson(mapDataOf(sampleDoc())));
	});

	it('counts assets by category, goals, links and contributors by affiliation', () => {
		const meta = snapshotMeta(mapDataOf(sampleDoc()));
		expect(meta).toEqual({
			title: 'Eastside strengths',
			place: 'Springfield',
			description: 'Spring workshop',
			view: { center: [-89.65, 39.8], zoom: 14 },
			counts: { assets: 2, categories: { places: 1, organizations: 1 }, goals: 1, links: 2, contributors: { 'community-member': 1, faculty: 1, student: 1 } },
			goals: [{ id: FOOD, title: 'Fresh food nearby', status: 'active', assets: 1 }]
		});
		expect(JSON.stringify(meta)).not.toContain('Maria');
		// An empty map still has its meta.
		expect(encodeState(createDoc()).byteLength).toBeGreaterThan(0);
	});
});

describe('citation', () => {
	const input = {
		title: 'Eastside strengths inventory',
		place: 'Springfield',
		takenAt: Date.UTC(2026, 2, 4, 23, 30),
		url: 'https://atlas.example.org/s/AbCdEfGhIjKlMnOpQrStUv',
		sha256: '0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef',
		contributors: { 'community-member': 3, faculty: 1, other: 2 }
	};

	it('is APA 7 style and plain, with the affiliation groups, the date, the URL and the short hash', () => {
		expect(citation(input)).toEqual({
			apa: 'Community and campus partners. (2026, March 4). Eastside strengths inventory [Community asset map snapshot]. Asset Atlas. https://atlas.example.org/s/AbCdEfGhIjKlMnOpQrStUv (SHA-256: 0123456789ab)',
			plain: 'Community and campus partners, Eastside strengths inventory, Springfield [Community asset map snapshot], 4 March 2026. https://atlas.example.org/s/AbCdEfGhIjKlMnOpQrStUv (SHA-256: 0123456789ab)'
		});
	});

	it('names only the groups present, and copes with an empty title and place', () => {
		expect(citationAuthor({ 'community-organization': 1 })).toBe('Community partners');
		expect(citationAuthor({ student: 2, 'campus-staff': 1 })).toBe('Campus partners');
		expect(citationAuthor({ other: 4, 'community-member': 0 })).toBe('Map contributors');
		expect(citationAuthor({})).toBe('Map contributors');
		expect(citation({ ...input, title: '  ', place: '', contributors: { student: 1 } }).plain).toBe(
			'Campus partners, Untitled map [Community asset map snapshot], 4 March 2026. https://atlas.example.org/s/AbCdEfGhIjKlMnOpQrStUv (SHA-256: 0123456789ab)'
		);
		expect(shortHash(input.sha256)).toBe('0123456789ab');
	});
});

describe('competencies', () => {
	it('are the nine credential competencies, each with a label in the catalog', () => {
		expect(COMPETENCIES.map((c) => c.id)).toEqual([
			'knowledge-of-self',
			'knowledge-of-community',
			'initiating-maintaining-partnerships',
			'connecting-assets',
			'communicating-across-roles',
			'reflection-assessment',
			'resolving-conflicts',
			'authentic-participation',
			'power-relations'
		]);
		for (const { id, label } of COMPETENCIES) expect((en as Record<string, string>)[`snapshot.competency.${id}`]).toBe(label);
		expect(isCompetency('connecting-assets')).toBe(true);
		expect(isCompetency('needs')).toBe(false);
	});
});
