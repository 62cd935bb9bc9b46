/**
 * Read-only views of a map for the screen and for exports. Pure functions over typed
 * values, so the same code feeds the map layer, the list and (later) the exporters.
 */
import { geometryAnchor } from './geometry.ts';
export { areaLabelAnchor, translateGeometry } from './geometry.ts';
import { CATEGORIES, type Affiliation, type Asset, type Category, type Role } from './model.ts';

/** Whether someone with this role sees the asset at all. */
export function isVisibleTo(asset: Asset, role: Role): boolean {
	if (asset.deletedAt !== null) return false;
	return !asset.hidden || role === 'facilitator';
}

export interface AssetFeatureProperties {
	id: string;
	name: string;
	category: string;
	hidden: boolean;
	/** Newest labels are placed first where names collide (the layer's symbol-sort-key). */
	createdAt: number;
}

export interface AssetFeature {
	type: 'Feature';
	id: string;
	geometry: Asset['geometry'];
	properties: AssetFeatureProperties;
}

/** One map feature; properties stay small because the map's worker copies them. */
export function assetFeature(asset: Asset): AssetFeature {
	return {
		type: 'Feature',
		id: asset.id,
		geometry: asset.geometry,
		properties: {
			id: asset.id,
			name: asset.name,
			category: asset.category ?? 'unknown',
			hidden: asset.hidden,
			createdAt: asset.createdAt
		}
	};
}

export interface AssetFilter {
	query: string;
	/** Empty means every category. */
	categories: ReadonlySet<Category>;
}

function normalize(value: string): string {
	return value.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
}

/** Matches name, description, holder and tags, ignoring case and accents. */
export function matchesFilter(asset: Asset, filter: AssetFilter): boolean {
	if (filter.categories.size > 0 && (asset.category === null || !filter.categories.has(asset.category))) {
		return false;
	}
	const query = normalize(filter.query.trim());
	if (!query) return true;
	const haystack = normalize([asset.name, asset.description, asset.holder, ...asset.tags].join('\n'));
	return query.split(/\s+/).every((word) => haystack.includes(word));
}

/**
 * One collator for every sort: localeCompare with options builds a new one per call,
 * which made re-sorting a 10,000-asset list cost ~150 ms per remote edit (bench/map-10k.ts).
 */
const byName = new Intl.Collator(undefined, { sensitivity: 'base' });

/** The rows of the list panel: filtered, sorted by name, newest first among equal names. */
export function assetRows(assets: Iterable<Asset>, filter: AssetFilter): Asset[] {
	const rows: Asset[] = [];
	for (const asset of assets) if (matchesFilter(asset, filter)) rows.push(asset);
	return rows.sort((a, b) => byName.compare(a.name, b.name) || b.createdAt - a.createdAt);
}

export function countByCategory(assets: Iterable<Asset>): Map<Category | null, number> {
	const counts = new Map<Category | null, number>();
	for (const asset of assets) counts.set(asset.category, (counts.get(asset.category) ?? 0) + 1);
	return counts;
}

/** A representative point of any geometry, always on it (inside an area): see geometry.ts. */
export function assetAnchor(asset: Pick<Asset, 'geometry'>): [number, number] {
	return geometryAnchor(asset.geometry);
}

/** What a shared screen (the present view) shows: never deleted, never hidden, whoever opens it. */
export function isPublic(asset: Asset): boolean {
	return isVisibleTo(asset, 'viewer');
}

/** Assets per category for a legend: hidden and deleted ones never counted; every category listed. */
export function legendCounts(assets: Iterable<Asset>): Map<Category | null, number> {
	const counts = new Map<Category | null, number>(CATEGORIES.map((category) => [category, 0]));
	for (const asset of assets) if (isPublic(asset)) counts.set(asset.category, (counts.get(asset.category) ?? 0) + 1);
	return counts;
}

export interface Contribution {
	id: string;
	/** The contributor's public name; empty when unknown. */
	who: string;
	affiliation: Affiliation | null;
	name: string;
	category: Category | null;
	at: number;
}

/**
 * The latest contributions for a feed, newest first: who added which asset, from the
 * asset's own fields. Hidden and deleted assets never appear.
 */
export function contributionFeed(assets: Iterable<Asset>, limit = 5): Contribution[] {
	const items: Contribution[] = [];
	for (const asset of assets) {
		if (!isPublic(asset)) continue;
		items.push({
			id: asset.id,
			who: asset.createdBy?.name ?? '',
			affiliation: asset.createdBy?.affiliation ?? null,
			name: asset.name,
			category: asset.category,
			at: asset.createdAt
		});
	}
	return items.sort((a, b) => b.at - a.at || (a.id < b.id ? -1 : 1)).slice(0, limit);
}
