/**
 * Read-only views of a map for the screen and for exports. Pure functions over typed
 * values, so the same code feeds the map layer, the list and (later) the exporters.
 */
import polylabel from 'polylabel';
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
			hidden: asset.hidden
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

/** The same shape shifted by a distance in degrees, for moving lines and areas whole. */
export function translateGeometry(geometry: Asset['geometry'], dLng: number, dLat: number): Asset['geometry'] {
	const shift = ([lng, lat]: [number, number]): [number, number] => [lng + dLng, lat + dLat];
	switch (geometry.type) {
		case 'Point':
			return { type: 'Point', coordinates: shift(geometry.coordinates) };
		case 'LineString':
			return { type: 'LineString', coordinates: geometry.coordinates.map(shift) };
		case 'Polygon':
			return { type: 'Polygon', coordinates: geometry.coordinates.map((ring) => ring.map(shift)) };
	}
}

/** A representative point of any geometry, for centering the map and placing a marker. */
export function assetAnchor(asset: Asset): [number, number] {
	const geometry = asset.geometry;
	if (geometry.type === 'Point') return geometry.coordinates;
	const positions = geometry.type === 'LineString' ? geometry.coordinates : geometry.coordinates[0];
	let lng = 0;
	let lat = 0;
	const count = geometry.type === 'Polygon' ? positions.length - 1 : positions.length;
	for (let i = 0; i < count; i++) {
		lng += positions[i][0];
		lat += positions[i][1];
	}
	return [lng / count, lat / count];
}

/**
 * Where an area's name goes: the point inside it farthest from its edges (polylabel), so
 * the label sits inside even a crescent or an L-shaped area, where the average of the
 * corners can fall outside. Precision is a hundredth of the area's larger side.
 */
export function areaLabelAnchor(geometry: Asset['geometry']): [number, number] | null {
	if (geometry.type !== 'Polygon' || geometry.coordinates.length === 0 || geometry.coordinates[0].length < 4) return null;
	const ring = geometry.coordinates[0];
	const lngs = ring.map((p) => p[0]);
	const lats = ring.map((p) => p[1]);
	const span = Math.max(Math.max(...lngs) - Math.min(...lngs), Math.max(...lats) - Math.min(...lats));
	if (!(span > 0)) return [ring[0][0], ring[0][1]];
	const [lng, lat] = polylabel(geometry.coordinates, span / 100);
	return [lng, lat];
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
