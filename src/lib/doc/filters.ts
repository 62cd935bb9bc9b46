/**
 * The map's combined filter — search text, categories, goals, who added an asset
 * (affiliation or affiliation group) and tags — and its form in the page's address
 * (`?goal=…&category=…&tag=…&affiliation=…&q=…`), so a filtered map can be shared.
 * Values of one kind widen (garden OR food); kinds narrow each other (places AND food).
 */
import type { LinkIndex } from './coverage.ts';
import { lassoContains } from './geometry.ts';
import {
	AFFILIATION_GROUPS,
	affiliationGroup,
	type Affiliation,
	type AffiliationGroup,
	type Asset,
	type Position
} from './model.ts';
import { isEntityId } from './ids.ts';
import { matchesFilter, type AssetFilter } from './selectors.ts';
import { isAffiliation, isCategory, parseTags } from './validate.ts';

export interface AtlasFilter extends AssetFilter {
	/** Goal ids; an asset matches when it supports any of them. Empty means any. */
	goals: ReadonlySet<string>;
	/** Who added the asset: an affiliation or a whole group. Empty means anyone. */
	affiliations: ReadonlySet<Affiliation | AffiliationGroup>;
	/** An asset matches when it has any of these tags (ignoring case and accents). Empty means any. */
	tags: ReadonlySet<string>;
}

export function emptyFilter(): AtlasFilter {
	return { query: '', categories: new Set(), goals: new Set(), affiliations: new Set(), tags: new Set() };
}

export function isFilterEmpty(filter: AtlasFilter): boolean {
	return !filter.query.trim() && filter.categories.size + filter.goals.size + filter.affiliations.size + filter.tags.size === 0;
}

const fold = (value: string) => value.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase().trim();

/** Whether the asset passes every part of the filter; goals are read from the link index. */
export function matchesAtlasFilter(asset: Asset, filter: AtlasFilter, index: Pick<LinkIndex, 'goalsOfAsset'>): boolean {
	if (!matchesFilter(asset, filter)) return false;
	if (filter.goals.size > 0) {
		const supported = index.goalsOfAsset.get(asset.id);
		if (!supported || ![...filter.goals].some((goal) => supported.has(goal))) return false;
	}
	if (filter.affiliations.size > 0) {
		const affiliation = asset.createdBy?.affiliation ?? null;
		const group = affiliationGroup(affiliation);
		if (!(affiliation && filter.affiliations.has(affiliation)) && !(group && filter.affiliations.has(group))) return false;
	}
	if (filter.tags.size > 0) {
		const wanted = new Set([...filter.tags].map(fold));
		if (!asset.tags.some((tag) => wanted.has(fold(tag)))) return false;
	}
	return true;
}

/** The assets that pass the filter, in the order given. */
export function filteredAssets(assets: Iterable<Asset>, filter: AtlasFilter, index: Pick<LinkIndex, 'goalsOfAsset'>): Asset[] {
	const out: Asset[] = [];
	for (const asset of assets) if (matchesAtlasFilter(asset, filter, index)) out.push(asset);
	return out;
}

/** Ids of the assets a drawn lasso takes in: points inside it, lines and areas it touches. */
export function lassoSelection(assets: Iterable<Asset>, lasso: Position[]): string[] {
	const out: string[] = [];
	for (const asset of assets) if (lassoContains(lasso, asset.geometry)) out.push(asset.id);
	return out;
}

const KEYS = { goal: 'goal', category: 'category', tag: 'tag', affiliation: 'affiliation', query: 'q' } as const;

/** Every value of a key, whether repeated (`?tag=a&tag=b`) or comma-separated (`?tag=a,b`). */
function valuesOf(params: URLSearchParams, key: string): string[] {
	return params
		.getAll(key)
		.flatMap((value) => value.split(','))
		.map((value) => value.trim())
		.filter(Boolean);
}

const isGroup = (value: string): value is AffiliationGroup => (AFFILIATION_GROUPS as readonly string[]).includes(value);

/**
 * The filter an address asks for. Anyone can type an address, so unknown categories,
 * affiliations and malformed goal ids are dropped rather than trusted.
 */
export function filterFromParams(params: URLSearchParams): AtlasFilter {
	return {
		query: (params.get(KEYS.query) ?? '').slice(0, 200),
		categories: new Set(valuesOf(params, KEYS.category).filter(isCategory)),
		goals: new Set(valuesOf(params, KEYS.goal).filter(isEntityId)),
		affiliations: new Set(valuesOf(params, KEYS.affiliation).filter((value) => isAffiliation(value) || isGroup(value))),
		tags: new Set(parseTags(valuesOf(params, KEYS.tag)))
	};
}

/**
 * The address form of a filter, on top of the address's other parameters (which are kept).
 * Values are repeated keys in a stable order, so the same filter always makes the same address.
 */
export function filterToParams(filter: AtlasFilter, base: URLSearchParams = new URLSearchParams()): URLSearchParams {
	const params = new URLSearchParams(base);
	for (const key of Object.values(KEYS)) params.delete(key);
	const put = (key: string, values: Iterable<string>) => {
		for (const value of [...values].sort()) params.append(key, value);
	};
	put(KEYS.goal, filter.goals);
	put(KEYS.category, filter.categories);
	put(KEYS.tag, [...filter.tags].filter((tag) => !tag.includes(',')));
	put(KEYS.affiliation, filter.affiliations);
	const query = filter.query.trim();
	if (query) params.set(KEYS.query, query);
	return params;
}
