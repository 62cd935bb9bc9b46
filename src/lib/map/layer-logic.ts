/**
 * Pure parts of the asset layers, tested without a map: the category filter as a MapLibre
 * expression, and which feature a tap picks.
 */
import type { ExpressionSpecification, FilterSpecification } from 'maplibre-gl';

/** Only features of these categories; null (no filter) when the set is empty, as in the list. */
export function categoryFilter(categories: Iterable<string>): FilterSpecification | null {
	const chosen = [...new Set(categories)].sort();
	if (chosen.length === 0) return null;
	return ['in', ['get', 'category'], ['literal', chosen]] as FilterSpecification;
}

/** A layer's own filter combined with the category filter. */
export function withCategoryFilter(base: FilterSpecification | null, categories: Iterable<string>): FilterSpecification | null {
	const filter = categoryFilter(categories);
	if (!filter) return base;
	if (!base) return filter;
	return ['all', base, filter] as FilterSpecification;
}

export interface TapCandidate<T> {
	item: T;
	/** Points and clusters are drawn above areas and lines, and win a tap over them. */
	kind: 'point' | 'shape';
	/** Screen distance from the tap to the feature's anchor (0 for a shape under the finger). */
	distance: number;
}

/**
 * What a tap selects: the nearest point or cluster within reach, so neighbours a
 * finger-width apart stay pickable and a point drawn on an area stays tappable; an area or
 * line only when no point is near.
 */
export function pickTap<T>(candidates: TapCandidate<T>[]): T | null {
	const points = candidates.filter((c) => c.kind === 'point');
	const pool = points.length > 0 ? points : candidates;
	let best: TapCandidate<T> | null = null;
	for (const candidate of pool) if (!best || candidate.distance < best.distance) best = candidate;
	return best?.item ?? null;
}

/**
 * Which assets changed sides when the page's shown set went from `before` to `after`
 * (null: every asset shown): the only ones whose map features are added or removed.
 * `all` lists every asset id; it is read only when either side is null.
 */
export function shownChanges(before: ReadonlySet<string> | null, after: ReadonlySet<string> | null, all: () => Iterable<string>): string[] {
	if (before === after) return [];
	const has = (set: ReadonlySet<string> | null, id: string) => set === null || set.has(id);
	const candidates = before !== null && after !== null ? new Set([...before, ...after]) : all();
	const out: string[] = [];
	for (const id of candidates) if (has(before, id) !== has(after, id)) out.push(id);
	return out;
}

/**
 * The highlight as MapLibre expressions over one global-state key, so a new highlight is
 * one `setGlobalStateProperty` call, not new layers. The key holds null (no highlight) or
 * the highlighted ids as a sorted array; features are matched by their `id` property.
 */
export function highlightExpressions(key: string) {
	const ids = ['global-state', key];
	/** This feature is highlighted. */
	const emphasised = ['in', ['get', 'id'], ids];
	/** A highlight is on and this feature is not in it. */
	const dimmed = ['all', ['!=', ids, null], ['!', emphasised]];
	/** For the name layers: no highlight, or this feature is in it (dimmed names are left out, so they never crowd out a highlighted one). */
	const labelled = ['any', ['==', ids, null], emphasised];
	return {
		emphasised: emphasised as ExpressionSpecification,
		dimmed: dimmed as ExpressionSpecification,
		labelled: labelled as ExpressionSpecification
	};
}

/** A highlight set as the global-state value the expressions read. */
export function highlightValue(highlight: ReadonlySet<string> | null): string[] | null {
	return highlight === null ? null : [...highlight].sort();
}

/** Two filters that must both hold; null stands for none. */
export function allFilters(...filters: Array<FilterSpecification | null>): FilterSpecification | null {
	const present = filters.filter((f): f is FilterSpecification => f !== null);
	if (present.length === 0) return null;
	if (present.length === 1) return present[0];
	return ['all', ...present] as FilterSpecification;
}
