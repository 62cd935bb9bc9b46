/**
 * Whose voices are on the map (issue 13): contributions (assets, goals, links and named
 * answers to check-in rounds) counted by affiliation group, by each affiliation, per UTC
 * day, by asset category and by collection. Pure: plain values in, plain values out; the
 * server (GET /api/maps/<id>/voices, the snapshot freeze) and the browser share it.
 *
 * Two sources give the contributions:
 * - the server's history journal (fromJournal), the authority: every `create` record in
 *   assets, goals, links and responses carries the affiliation the server stamped on the
 *   connection that made it. Anonymous answers (written by the server for the phone, with
 *   no name or affiliation) are nobody's voice: they are counted apart, as a total.
 * - the document (document.ts fromDocument), when no journal exists: the `createdBy` each
 *   entry carries (written by clients, so weaker evidence).
 *
 * Days are UTC days (YYYY-MM-DD): the journal's times are the server's, a map's people
 * may sit in several time zones, and a snapshot's numbers must not depend on where they
 * are read. The day series runs from the first day to the last with empty days filled
 * in, at most MAX_DAYS days; anything before (or without a usable time) is `outside`.
 */
import { AFFILIATIONS, CATEGORIES, affiliationGroup, type Affiliation, type Category } from '../doc/model.ts';

export const VOICE_COLLECTIONS = ['assets', 'goals', 'links', 'responses'] as const;
export type VoiceCollection = (typeof VOICE_COLLECTIONS)[number];

/** Community and campus as in model.ts affiliationGroup; 'other' is the affiliation "other", 'unknown' no affiliation at all. */
export const VOICE_GROUPS = ['community', 'campus', 'other', 'unknown'] as const;
export type VoiceGroup = (typeof VOICE_GROUPS)[number];

/** One thing someone added to the map. */
export interface Contribution {
	/** Epoch ms. */
	at: number;
	collection: VoiceCollection;
	/** Null when unknown (a connection without an affiliation, an unreadable contributor). */
	affiliation: Affiliation | null;
	/** An asset's category (null when unknown to this version); null for everything else. */
	category: Category | null;
}

/** What a source yields: the contributions, and how many anonymous answers it saw. */
export interface VoiceInput {
	contributions: Contribution[];
	anonymousAnswers: number;
}

export type GroupCounts = Record<VoiceGroup, number> & { total: number };

export interface Share {
	count: number;
	/** count / total of all contributions (0 when there are none). */
	share: number;
}

export interface VoiceDay extends GroupCounts {
	/** The UTC day, YYYY-MM-DD. */
	day: string;
}

export type VoiceCategory = Category | 'unknown';

export interface CategoryCounts extends GroupCounts {
	category: VoiceCategory;
}

/** One group made more than DOMINANCE of the contributions that have a group (community or campus). */
export interface Dominance {
	group: 'community' | 'campus';
	count: number;
	/** Community plus campus contributions. */
	grouped: number;
	/** count / grouped. */
	share: number;
}

export type VoiceSource = 'journal' | 'document';

export interface Voices {
	source: VoiceSource;
	/** The journal held more than the server reads (MAX_VOICE_ENTRIES, newest kept): older contributions are left out. */
	truncated: boolean;
	/** Contributions counted (named answers included, anonymous ones not). */
	total: number;
	/** Answers written anonymously: counted apart, as nobody's voice. */
	anonymousAnswers: number;
	groups: Record<VoiceGroup, Share>;
	affiliations: Record<Affiliation | 'unknown', Share>;
	/** Every UTC day from the first to the last contribution (at most MAX_DAYS, the latest), empty days included. */
	days: VoiceDay[];
	/** Contributions not in `days`: before its first day, or without a usable time. */
	outside: GroupCounts;
	/** Assets only: every category in CATEGORIES order, then 'unknown'. */
	categories: CategoryCounts[];
	collections: Record<VoiceCollection, GroupCounts>;
	/** Times of the first and last contribution with a usable time. */
	first: number | null;
	last: number | null;
	dominance: Dominance | null;
}

/** The share of grouped contributions one group must exceed to be called dominant: two thirds. */
export const DOMINANCE = { numerator: 2, denominator: 3 } as const;
/** Below this many grouped contributions nothing is called dominant: too few to say. */
export const DOMINANCE_MIN = 10;
/** Days the series keeps (a year and a day). */
export const MAX_DAYS = 366;

const DAY_MS = 86_400_000;
/** The largest time a Date holds. */
const MAX_TIME = 8.64e15;

export function voiceGroup(affiliation: Affiliation | null): VoiceGroup {
	if (affiliation === null) return 'unknown';
	return affiliationGroup(affiliation) ?? 'other';
}

export function emptyCounts(): GroupCounts {
	return { community: 0, campus: 0, other: 0, unknown: 0, total: 0 };
}

function add(counts: GroupCounts, group: VoiceGroup): void {
	counts[group]++;
	counts.total++;
}

const usable = (at: number) => Number.isFinite(at) && at >= 0 && at < MAX_TIME;

/** The UTC day of an epoch-ms time, YYYY-MM-DD. */
export function utcDay(at: number): string {
	return new Date(Math.floor(at / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/** Whether one group dominates: more than two thirds of at least DOMINANCE_MIN grouped contributions. */
export function dominanceOf(community: number, campus: number): Dominance | null {
	const grouped = community + campus;
	if (grouped < DOMINANCE_MIN) return null;
	for (const [group, count] of [['campus', campus], ['community', community]] as const) {
		// In whole numbers: count / grouped > 2/3.
		if (count * DOMINANCE.denominator > grouped * DOMINANCE.numerator) return { group, count, grouped, share: count / grouped };
	}
	return null;
}

export function aggregateVoices(input: VoiceInput, source: VoiceSource, truncated = false): Voices {
	const { contributions } = input;
	const total = contributions.length;
	const groups = emptyCounts();
	const affiliations = new Map<Affiliation | 'unknown', number>();
	const categories = new Map<VoiceCategory, GroupCounts>([...CATEGORIES, 'unknown' as const].map((category) => [category, emptyCounts()]));
	const collections = Object.fromEntries(VOICE_COLLECTIONS.map((collection) => [collection, emptyCounts()])) as Record<VoiceCollection, GroupCounts>;
	let first = Infinity;
	let last = -Infinity;
	for (const contribution of contributions) {
		const group = voiceGroup(contribution.affiliation);
		add(groups, group);
		const affiliation = contribution.affiliation ?? 'unknown';
		affiliations.set(affiliation, (affiliations.get(affiliation) ?? 0) + 1);
		add(collections[contribution.collection], group);
		if (contribution.collection === 'assets') add(categories.get(contribution.category ?? 'unknown')!, group);
		if (usable(contribution.at)) {
			first = Math.min(first, contribution.at);
			last = Math.max(last, contribution.at);
		}
	}

	const days: VoiceDay[] = [];
	const outside = emptyCounts();
	if (last >= first) {
		const lastDay = Math.floor(last / DAY_MS);
		const firstDay = Math.max(Math.floor(first / DAY_MS), lastDay - MAX_DAYS + 1);
		for (let day = firstDay; day <= lastDay; day++) days.push({ day: utcDay(day * DAY_MS), ...emptyCounts() });
		for (const contribution of contributions) {
			const group = voiceGroup(contribution.affiliation);
			const index = usable(contribution.at) ? Math.floor(contribution.at / DAY_MS) - firstDay : -1;
			add(index >= 0 ? days[index] : outside, group);
		}
	} else {
		for (const contribution of contributions) add(outside, voiceGroup(contribution.affiliation));
	}

	const share = (count: number): Share => ({ count, share: total === 0 ? 0 : count / total });
	return {
		source,
		truncated,
		total,
		anonymousAnswers: input.anonymousAnswers,
		groups: Object.fromEntries(VOICE_GROUPS.map((group) => [group, share(groups[group])])) as Record<VoiceGroup, Share>,
		affiliations: Object.fromEntries([...AFFILIATIONS, 'unknown' as const].map((a) => [a, share(affiliations.get(a) ?? 0)])) as Voices['affiliations'],
		days,
		outside,
		categories: [...categories].map(([category, counts]) => ({ category, ...counts })),
		collections,
		first: Number.isFinite(first) ? first : null,
		last: Number.isFinite(last) ? last : null,
		dominance: dominanceOf(groups.community, groups.campus)
	};
}

/** A history record as the journal keeps it (server/room/journal.ts), as far as voices read it. */
export interface JournalLike {
	at: number;
	/** 'facilitator' | 'editor' | 'viewer' for people; 'server' and 'anonymous' for what the server writes. */
	role: string;
	affiliation: string | null;
	collection: string;
	kind: string;
	fields: Record<string, unknown>;
}

const PEOPLE = new Set(['facilitator', 'editor', 'viewer']);
const isVoiceCollection = (value: string): value is VoiceCollection => (VOICE_COLLECTIONS as readonly string[]).includes(value);
const asAffiliation = (value: unknown): Affiliation | null => (typeof value === 'string' && (AFFILIATIONS as readonly string[]).includes(value) ? (value as Affiliation) : null);
const asCategory = (value: unknown): Category | null => (typeof value === 'string' && (CATEGORIES as readonly string[]).includes(value) ? (value as Category) : null);

/**
 * Contributions in journal records: each `create` in assets, goals, links and responses
 * made by a person's connection. An answer the server wrote without a person (role
 * 'anonymous', or 'server') is an anonymous answer; anything else the server itself
 * created is nobody's contribution.
 */
export function fromJournal(records: Iterable<JournalLike>): VoiceInput {
	const contributions: Contribution[] = [];
	let anonymousAnswers = 0;
	for (const record of records) {
		if (record.kind !== 'create' || !isVoiceCollection(record.collection)) continue;
		if (!PEOPLE.has(record.role)) {
			if (record.collection === 'responses') anonymousAnswers++;
			continue;
		}
		contributions.push({
			at: record.at,
			collection: record.collection,
			affiliation: asAffiliation(record.affiliation),
			category: record.collection === 'assets' ? asCategory(record.fields.category) : null
		});
	}
	return { contributions, anonymousAnswers };
}

/**
 * Whole percentages of `counts` that add up to 100 (largest remainder; ties to the earlier
 * one), for showing shares side by side; all zero when there is nothing to share.
 */
export function wholePercents(counts: readonly number[]): number[] {
	const total = counts.reduce((sum, n) => sum + Math.max(0, n), 0);
	if (total === 0) return counts.map(() => 0);
	const exact = counts.map((n) => (Math.max(0, n) * 100) / total);
	const whole = exact.map(Math.floor);
	let left = 100 - whole.reduce((sum, n) => sum + n, 0);
	const order = exact.map((_, i) => i).sort((a, b) => exact[b] - whole[b] - (exact[a] - whole[a]) || a - b);
	for (const i of order) {
		if (left <= 0) break;
		whole[i]++;
		left--;
	}
	return whole;
}

// --- Reading an answer of GET /api/maps/<id>/voices (network input: checked, never cast) ---

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const count = (value: unknown): number | null => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null);
const ratio = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1 ? value : null);

function parseCounts(value: unknown): GroupCounts | null {
	if (!isObject(value)) return null;
	const counts = emptyCounts();
	for (const key of [...VOICE_GROUPS, 'total'] as const) {
		const n = count(value[key]);
		if (n === null) return null;
		counts[key] = n;
	}
	return counts;
}

function parseShare(value: unknown): Share | null {
	if (!isObject(value)) return null;
	const n = count(value.count);
	const share = ratio(value.share);
	return n === null || share === null ? null : { count: n, share };
}

function parseRecord<K extends string, V>(value: unknown, keys: readonly K[], parse: (v: unknown) => V | null): Record<K, V> | null {
	if (!isObject(value)) return null;
	const out = {} as Record<K, V>;
	for (const key of keys) {
		const parsed = parse(value[key]);
		if (parsed === null) return null;
		out[key] = parsed;
	}
	return out;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const time = (value: unknown): number | null | undefined => (value === null ? null : typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** The answer of GET /api/maps/<id>/voices (or a snapshot's stored voices), or null when it is not one. */
export function parseVoices(value: unknown): Voices | null {
	if (!isObject(value)) return null;
	const source = value.source === 'journal' || value.source === 'document' ? value.source : null;
	const total = count(value.total);
	const anonymousAnswers = count(value.anonymousAnswers);
	const groups = parseRecord(value.groups, VOICE_GROUPS, parseShare);
	const affiliations = parseRecord(value.affiliations, [...AFFILIATIONS, 'unknown'] as const, parseShare);
	const collections = parseRecord(value.collections, VOICE_COLLECTIONS, parseCounts);
	const outside = parseCounts(value.outside);
	if (!source || total === null || anonymousAnswers === null || !groups || !affiliations || !collections || !outside) return null;
	if (!Array.isArray(value.days) || value.days.length > MAX_DAYS || !Array.isArray(value.categories)) return null;
	const days: VoiceDay[] = [];
	for (const raw of value.days) {
		const counts = parseCounts(raw);
		if (!counts || !isObject(raw) || typeof raw.day !== 'string' || !DAY.test(raw.day)) return null;
		days.push({ day: raw.day, ...counts });
	}
	const categories: CategoryCounts[] = [];
	for (const raw of value.categories.slice(0, CATEGORIES.length + 1)) {
		const counts = parseCounts(raw);
		if (!counts || !isObject(raw)) return null;
		const category = raw.category === 'unknown' ? 'unknown' : asCategory(raw.category);
		if (!category) return null;
		categories.push({ category, ...counts });
	}
	const first = time(value.first);
	const last = time(value.last);
	if (first === undefined || last === undefined) return null;
	let dominance: Dominance | null = null;
	if (value.dominance !== null && value.dominance !== undefined) {
		const raw = value.dominance;
		if (!isObject(raw) || (raw.group !== 'community' && raw.group !== 'campus')) return null;
		const [n, grouped, share] = [count(raw.count), count(raw.grouped), ratio(raw.share)];
		if (n === null || grouped === null || share === null) return null;
		dominance = { group: raw.group, count: n, grouped, share };
	}
	return { source, truncated: value.truncated === true, total, anonymousAnswers, groups, affiliations, days, outside, categories, collections, first, last, dominance };
}
