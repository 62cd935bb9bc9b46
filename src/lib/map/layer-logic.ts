/**
 * Pure parts of the asset layers, tested without a map: the category filter as a MapLibre
 * expression, and which feature a tap picks.
 */
import type { FilterSpecification } from 'maplibre-gl';

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
