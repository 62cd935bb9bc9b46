/**
 * Whose voices are on the map (src/lib/voices): exact numbers from a fixture journal and a
 * fixture document — by group, by affiliation, per UTC day with empty days filled in, by
 * category and by collection — anonymous answers counted apart, the dominance note's
 * threshold on both sides, the day series' bound, and the answer's parser.
 */
import { describe, expect, it } from 'vitest';
import { createDoc } from '../../src/lib/doc/schema.ts';
import { addAsset, deleteAsset, initMap } from '../../src/lib/doc/mutations.ts';
import { addGoal } from '../../src/lib/doc/goal-mutations.ts';
import { connectAssets, linkAssetsToGoal } from '../../src/lib/doc/link-mutations.ts';
import { answerRound, openRound, writeAnonymousAnswer } from '../../src/lib/doc/round-mutations.ts';
import type { Affiliation, Category, Contributor } from '../../src/lib/doc/model.ts';
import { aggregateVoices, dominanceOf, fromJournal, MAX_DAYS, parseVoices, utcDay, wholePercents, type Contribution, type JournalLike } from '../../src/lib/voices/aggregate.ts';
import { documentVoices, fromDocument } from '../../src/lib/voices/document.ts';

const DAY = 86_400_000;
const D1 = Date.UTC(2026, 2, 10, 9, 0);
const D3 = Date.UTC(2026, 2, 12, 14, 0);
const END_OF_D3 = Date.UTC(2026, 2, 13) - 1;

function record(at: number, role: string, affiliation: Affiliation | null, collection: string, kind = 'create', fields: Record<string, unknown> = {}): JournalLike {
	return { at, role, affiliation, collection, kind, fields };
}

/** Nine contributions over three UTC days (the middle one empty), two anonymous answers, and records that are nobody's contribution. */
const JOURNAL: JournalLike[] = [
	record(D1, 'editor', 'community-member', 'assets', 'create', { category: 'places' }),
	record(D1 + 1000, 'editor', 'community-organization', 'assets', 'create', { category: 'knowledge' }),
	record(D1 + 2000, 'editor', 'faculty', 'assets', 'create', { category: 'knowledge' }),
	record(D1 + 3000, 'facilitator', 'campus-staff', 'goals'),
	record(D1 + 4000, 'editor', 'student', 'links'),
	record(D1 + 5000, 'editor', 'faculty', 'assets', 'update', { name: 'Renamed' }),
	record(D3, 'editor', 'other', 'assets', 'create', { category: 'culture' }),
	record(D3 + 1000, 'editor', null, 'assets', 'create', { category: 'a-category-from-a-newer-version' }),
	record(D3 + 2000, 'editor', 'community-member', 'responses'),
	record(D3 + 3000, 'anonymous', null, 'responses'),
	record(D3 + 4000, 'server', null, 'responses'),
	record(D3 + 5000, 'editor', 'faculty', 'progress'),
	record(D3 + 6000, 'facilitator', 'campus-staff', 'rounds'),
	record(D3 + 7000, 'server', null, 'assets', 'create', { category: 'places' }),
	record(D3 + 8000, 'facilitator', 'campus-staff', 'meta', 'update', { title: 'New' }),
	record(D3 + 9000, 'editor', 'community-member', 'assets', 'delete'),
	record(END_OF_D3, 'editor', 'faculty', 'links')
];

const zero = { community: 0, campus: 0, other: 0, unknown: 0, total: 0 };

describe('voices from the journal', () => {
	const voices = aggregateVoices(fromJournal(JOURNAL), 'journal');

	it('counts each create in assets, goals, links and responses by a person, and anonymous answers apart', () => {
		expect(voices.source).toBe('journal');
		expect(voices.truncated).toBe(false);
		expect(voices.total).toBe(9);
		expect(voices.anonymousAnswers).toBe(2);
		expect(voices.first).toBe(D1);
		expect(voices.last).toBe(END_OF_D3);
	});

	it('by group and by affiliation, as counts and shares of all contributions', () => {
		expect(voices.groups).toEqual({
			community: { count: 3, share: 3 / 9 },
			campus: { count: 4, share: 4 / 9 },
			other: { count: 1, share: 1 / 9 },
			unknown: { count: 1, share: 1 / 9 }
		});
		expect(voices.affiliations).toEqual({
			'community-member': { count: 2, share: 2 / 9 },
			'community-organization': { count: 1, share: 1 / 9 },
			'campus-staff': { count: 1, share: 1 / 9 },
			faculty: { count: 2, share: 2 / 9 },
			student: { count: 1, share: 1 / 9 },
			other: { count: 1, share: 1 / 9 },
			unknown: { count: 1, share: 1 / 9 }
		});
	});

	it('per UTC day, every day from the first to the last, the empty ones as zeros', () => {
		expect(voices.days).toEqual([
			{ day: '2026-03-10', community: 2, campus: 3, other: 0, unknown: 0, total: 5 },
			{ day: '2026-03-11', ...zero },
			{ day: '2026-03-12', community: 1, campus: 1, other: 1, unknown: 1, total: 4 }
		]);
		expect(voices.outside).toEqual(zero);
	});

	it('by asset category (an unknown one as "unknown") and by collection', () => {
		const byCategory = Object.fromEntries(voices.categories.map(({ category, ...counts }) => [category, counts]));
		expect(voices.categories.map((row) => row.category)).toEqual(['knowledge', 'skills', 'organizations', 'networks', 'institutions', 'places', 'economy', 'culture', 'unknown']);
		expect(byCategory).toEqual({
			knowledge: { ...zero, community: 1, campus: 1, total: 2 },
			skills: zero,
			organizations: zero,
			networks: zero,
			institutions: zero,
			places: { ...zero, community: 1, total: 1 },
			economy: zero,
			culture: { ...zero, other: 1, total: 1 },
			unknown: { ...zero, unknown: 1, total: 1 }
		});
		expect(voices.collections).toEqual({
			assets: { community: 2, campus: 1, other: 1, unknown: 1, total: 5 },
			goals: { ...zero, campus: 1, total: 1 },
			links: { ...zero, campus: 2, total: 2 },
			responses: { ...zero, community: 1, total: 1 }
		});
	});

	it('says nothing about dominance below ten grouped contributions', () => {
		expect(voices.dominance).toBeNull();
	});

	it('is all zeros, with no days, for an empty journal', () => {
		const empty = aggregateVoices(fromJournal([]), 'journal');
		expect(empty.total).toBe(0);
		expect(empty.groups.community).toEqual({ count: 0, share: 0 });
		expect(empty.days).toEqual([]);
		expect(empty.first).toBeNull();
		expect(empty.dominance).toBeNull();
	});
});

describe('dominance', () => {
	it('is called past two thirds of the community and campus contributions, with at least ten of them', () => {
		expect(dominanceOf(3, 7)).toEqual({ group: 'campus', count: 7, grouped: 10, share: 0.7 });
		expect(dominanceOf(9, 4)).toEqual({ group: 'community', count: 9, grouped: 13, share: 9 / 13 });
		expect(dominanceOf(4, 9)).toEqual({ group: 'campus', count: 9, grouped: 13, share: 9 / 13 });
		// Exactly two thirds is not more than two thirds.
		expect(dominanceOf(4, 8)).toBeNull();
		expect(dominanceOf(8, 4)).toBeNull();
		expect(dominanceOf(4, 6)).toBeNull();
		// Nine is too few to say, even at 7 of 9.
		expect(dominanceOf(2, 7)).toBeNull();
		expect(dominanceOf(0, 9)).toBeNull();
		expect(dominanceOf(0, 10)).toEqual({ group: 'campus', count: 10, grouped: 10, share: 1 });
	});

	it('leaves "other" and unknown affiliations out of the share it judges', () => {
		const at = D1;
		const contributions: Contribution[] = [
			...Array.from({ length: 7 }, () => ({ at, collection: 'assets' as const, affiliation: 'faculty' as const, category: 'places' as const })),
			...Array.from({ length: 3 }, () => ({ at, collection: 'goals' as const, affiliation: 'community-member' as const, category: null })),
			...Array.from({ length: 20 }, () => ({ at, collection: 'links' as const, affiliation: 'other' as const, category: null })),
			...Array.from({ length: 5 }, () => ({ at, collection: 'links' as const, affiliation: null, category: null }))
		];
		const voices = aggregateVoices({ contributions, anonymousAnswers: 0 }, 'journal');
		expect(voices.groups.campus).toEqual({ count: 7, share: 7 / 35 });
		expect(voices.dominance).toEqual({ group: 'campus', count: 7, grouped: 10, share: 0.7 });
	});

	it('counts anonymous answers toward nobody: a room of anonymous answers changes no share', () => {
		const named = fromJournal(JOURNAL);
		const many = fromJournal([...JOURNAL, ...Array.from({ length: 50 }, (_, i) => record(D3 + i, 'anonymous', null, 'responses'))]);
		const a = aggregateVoices(named, 'journal');
		const b = aggregateVoices(many, 'journal');
		expect(b.anonymousAnswers).toBe(52);
		expect({ ...b, anonymousAnswers: 0 }).toEqual({ ...a, anonymousAnswers: 0 });
	});
});

describe('the day series', () => {
	it('keeps the latest MAX_DAYS days; earlier contributions and ones without a usable time are outside it', () => {
		const at = (days: number) => Date.UTC(2025, 0, 1) + days * DAY;
		const contributions: Contribution[] = [
			{ at: at(0), collection: 'assets', affiliation: 'student', category: 'skills' },
			{ at: at(500), collection: 'assets', affiliation: 'community-member', category: 'skills' },
			{ at: at(500) + 5, collection: 'goals', affiliation: 'community-member', category: null },
			{ at: Number.NaN, collection: 'links', affiliation: 'other', category: null }
		];
		const voices = aggregateVoices({ contributions, anonymousAnswers: 0 }, 'document');
		expect(voices.days).toHaveLength(MAX_DAYS);
		expect(voices.days.at(-1)).toEqual({ day: utcDay(at(500)), ...zero, community: 2, total: 2 });
		expect(voices.days[0].day).toBe(utcDay(at(500 - MAX_DAYS + 1)));
		expect(voices.days.reduce((sum, day) => sum + day.total, 0)).toBe(2);
		expect(voices.outside).toEqual({ ...zero, campus: 1, other: 1, total: 2 });
		expect(voices.total).toBe(4);
	});

	it('cuts days at UTC midnight', () => {
		expect(utcDay(Date.UTC(2026, 2, 12) - 1)).toBe('2026-03-11');
		expect(utcDay(Date.UTC(2026, 2, 12))).toBe('2026-03-12');
	});
});

describe('voices from a document', () => {
	const who = (affiliation: Affiliation, n = 0): Contributor => ({ id: `${affiliation.slice(0, 8)}${n}`.padEnd(16, 'x'), name: `${affiliation} ${n}`, affiliation });
	const point = { type: 'Point' as const, coordinates: [-89.65, 39.8] as [number, number] };
	const asset = (doc: ReturnType<typeof createDoc>, category: Category, by: Contributor, at: number) =>
		addAsset(doc, { name: `A ${category}`, category, description: '', holder: '', tags: [], geometry: point }, by, at);

	function fixture() {
		const doc = createDoc();
		initMap(doc, { title: 'Fixture' }, D1 - DAY);
		const a = asset(doc, 'places', who('community-member'), D1);
		const b = asset(doc, 'knowledge', who('faculty'), D1 + 1000);
		const c = asset(doc, 'culture', who('other'), D3);
		deleteAsset(doc, c, who('other'), D3 + 10);
		const goal = addGoal(doc, { title: 'Fresh food', status: 'active' }, who('campus-staff'), D1 + 2000);
		linkAssetsToGoal(doc, [a, b], goal, undefined, who('student'), D3 + 1000);
		connectAssets(doc, a, b, undefined, who('community-organization'), D3 + 2000);
		const named = openRound(doc, { title: 'Check-in', prompts: ['What is working?'], anonymous: false }, who('campus-staff'), D3 + 3000);
		answerRound(doc, named, { prompt: 0, text: 'The garden' }, who('community-member', 2), D3 + 4000);
		const quiet = openRound(doc, { title: 'Quiet', prompts: ['What should change?'], anonymous: true }, who('campus-staff'), D3 + 5000);
		writeAnonymousAnswer(doc, quiet, { prompt: 0, text: 'More evening hours' }, D3 + 6000);
		writeAnonymousAnswer(doc, quiet, { prompt: 0, text: 'Signs in Spanish' }, D3 + 7000);
		return doc;
	}

	it('reads createdBy of every asset (deleted ones too), goal, link and named answer; rounds and progress are not contributions', () => {
		const voices = documentVoices(fixture());
		expect(voices.source).toBe('document');
		expect(voices.total).toBe(8);
		expect(voices.anonymousAnswers).toBe(2);
		expect(voices.groups).toEqual({
			community: { count: 3, share: 3 / 8 },
			campus: { count: 4, share: 4 / 8 },
			other: { count: 1, share: 1 / 8 },
			unknown: { count: 0, share: 0 }
		});
		expect(voices.collections).toEqual({
			assets: { ...zero, community: 1, campus: 1, other: 1, total: 3 },
			goals: { ...zero, campus: 1, total: 1 },
			links: { ...zero, community: 1, campus: 2, total: 3 },
			responses: { ...zero, community: 1, total: 1 }
		});
		expect(voices.days).toEqual([
			{ day: '2026-03-10', ...zero, community: 1, campus: 2, total: 3 },
			{ day: '2026-03-11', ...zero },
			{ day: '2026-03-12', community: 2, campus: 2, other: 1, unknown: 0, total: 5 }
		]);
		expect(voices.categories.filter((row) => row.total > 0)).toEqual([
			{ category: 'knowledge', ...zero, campus: 1, total: 1 },
			{ category: 'places', ...zero, community: 1, total: 1 },
			{ category: 'culture', ...zero, other: 1, total: 1 }
		]);
		expect(fromDocument(fixture()).contributions).toHaveLength(8);
	});
});

describe('wholePercents', () => {
	it('adds up to 100 by the largest remainders, and is all zero for nothing', () => {
		expect(wholePercents([3, 4, 1, 1])).toEqual([33, 45, 11, 11]);
		expect(wholePercents([1, 1, 1])).toEqual([34, 33, 33]);
		expect(wholePercents([7, 0])).toEqual([100, 0]);
		expect(wholePercents([0, 0, 0])).toEqual([0, 0, 0]);
	});
});

describe('parseVoices', () => {
	it('reads back what the aggregation makes, through JSON', () => {
		const voices = aggregateVoices(fromJournal(JOURNAL), 'journal');
		expect(parseVoices(JSON.parse(JSON.stringify(voices)))).toEqual(voices);
		const dominated = aggregateVoices(fromJournal(Array.from({ length: 12 }, (_, i) => record(D1 + i, 'editor', 'faculty', 'goals'))), 'journal', true);
		expect(parseVoices(JSON.parse(JSON.stringify(dominated)))).toEqual(dominated);
	});

	it('refuses what is not an answer', () => {
		const voices = JSON.parse(JSON.stringify(aggregateVoices(fromJournal(JOURNAL), 'journal'))) as Record<string, unknown>;
		expect(parseVoices(null)).toBeNull();
		expect(parseVoices({ ...voices, source: 'guess' })).toBeNull();
		expect(parseVoices({ ...voices, total: -1 })).toBeNull();
		expect(parseVoices({ ...voices, days: [{ day: '<b>', ...zero }] })).toBeNull();
		expect(parseVoices({ ...voices, groups: { ...(voices.groups as object), campus: { count: 1, share: 2 } } })).toBeNull();
		expect(parseVoices({ ...voices, dominance: { group: 'everyone', count: 1, grouped: 1, share: 1 } })).toBeNull();
	});
});
