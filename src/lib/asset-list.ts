/**
 * Pure helpers for the asset list: its sort orders, the link counts shown on each row,
 * and the tags offered as filters.
 */
import type { LinkIndex } from './doc/coverage.ts';
import type { Asset } from './doc/model.ts';

export const ASSET_SORTS = ['name', 'newest', 'connections', 'goals'] as const;
export type AssetSort = (typeof ASSET_SORTS)[number];

export function isAssetSort(value: unknown): value is AssetSort {
	return typeof value === 'string' && (ASSET_SORTS as readonly string[]).includes(value);
}

/** What the counts are read from: the link index (coverage.ts), or part of it. */
export type LinkCounts = Pick<LinkIndex, 'goalsOfAsset' | 'connections'>;

export interface RowCounts {
	connections: number;
	goals: number;
}

export function rowCounts(index: LinkCounts | null | undefined, id: string): RowCounts {
	return {
		connections: index?.connections.get(id)?.size ?? 0,
		goals: index?.goalsOfAsset.get(id)?.size ?? 0
	};
}

/** One collator for every comparison (one per call would cost seconds on 10,000 rows). */
const byName = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/**
 * A sorted copy. Ties fall back to name (A–Z), then newest first, then id, so the order
 * is stable however the assets arrive.
 */
export function sortAssets(assets: Iterable<Asset>, sort: AssetSort, index?: LinkCounts | null): Asset[] {
	const rows = [...assets];
	const byNameThenNewest = (a: Asset, b: Asset) => byName.compare(a.name, b.name) || b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
	if (sort === 'name') return rows.sort(byNameThenNewest);
	if (sort === 'newest') return rows.sort((a, b) => b.createdAt - a.createdAt || byNameThenNewest(a, b));
	const key = sort === 'connections' ? 'connections' : 'goals';
	const count = new Map(rows.map((asset) => [asset.id, rowCounts(index, asset.id)[key]]));
	return rows.sort((a, b) => count.get(b.id)! - count.get(a.id)! || byNameThenNewest(a, b));
}

/** Tags compare ignoring case and accents, as the filter does (filters.ts). */
export function foldTag(tag: string): string {
	return tag.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase().trim();
}

/**
 * The tags on these assets, one spelling per tag (the most used), most used first, then
 * A–Z. Tags that differ only in case or accents count as one.
 */
export function tagChoices(assets: Iterable<Asset>): string[] {
	const byFold = new Map<string, { count: number; spellings: Map<string, number> }>();
	for (const asset of assets) {
		const seen = new Set<string>();
		for (const tag of asset.tags) {
			const clean = tag.trim();
			const folded = foldTag(clean);
			if (!folded || seen.has(folded)) continue;
			seen.add(folded);
			let entry = byFold.get(folded);
			if (!entry) byFold.set(folded, (entry = { count: 0, spellings: new Map() }));
			entry.count++;
			entry.spellings.set(clean, (entry.spellings.get(clean) ?? 0) + 1);
		}
	}
	const choices = [...byFold.values()].map(({ count, spellings }) => {
		const spelling = [...spellings].sort((a, b) => b[1] - a[1] || byName.compare(a[0], b[0]) || (a[0] < b[0] ? -1 : 1))[0][0];
		return { count, spelling };
	});
	return choices.sort((a, b) => b.count - a.count || byName.compare(a.spelling, b.spelling)).map(({ spelling }) => spelling);
}
