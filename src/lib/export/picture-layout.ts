/**
 * The parts of a map picture (PNG export) that are arithmetic rather than drawing: the
 * scale bar for the map's centre and zoom, and the legend's entries. Pure, so they are
 * tested without a browser; src/lib/export/picture.ts draws them.
 */
import { CATEGORIES, type Category } from '../doc/model.ts';
import { CATEGORY_STYLES, UNKNOWN_CATEGORY_STYLE } from '../doc/categories.ts';

/** Web Mercator at zoom 0 in MapLibre: the equator's length over one 512 px tile. */
const EQUATOR_METRES = 40_075_016.686;
const TILE_PX = 512;

export interface ScaleBar {
	/** Length of the bar in CSS pixels. */
	px: number;
	metres: number;
	label: string;
}

/** Metres one CSS pixel covers at this latitude and zoom. */
export function metresPerPixel(latitude: number, zoom: number): number {
	return (EQUATOR_METRES * Math.cos((latitude * Math.PI) / 180)) / (TILE_PX * 2 ** zoom);
}

/** The longest round distance (1, 2 or 5 × 10ⁿ metres) whose bar fits in `maxPx`; null at the poles or with no room. */
export function scaleBar(latitude: number, zoom: number, maxPx: number): ScaleBar | null {
	const perPx = metresPerPixel(Math.max(-85, Math.min(85, latitude)), zoom);
	if (!(perPx > 0) || !(maxPx > 0)) return null;
	const most = perPx * maxPx;
	const magnitude = 10 ** Math.floor(Math.log10(most));
	const metres = [5, 2, 1].map((step) => step * magnitude).find((candidate) => candidate <= most) ?? magnitude;
	return { px: metres / perPx, metres, label: distanceLabel(metres) };
}

function distanceLabel(metres: number): string {
	if (metres >= 1000) return `${(metres / 1000).toLocaleString('en', { maximumFractionDigits: 1 })} km`;
	if (metres >= 1) return `${Math.round(metres)} m`;
	return `${metres.toPrecision(1)} m`;
}

export interface LegendEntry {
	category: Category | 'unknown';
	color: string;
	count: number;
}

/** One entry per category with assets, in the catalogue's order, 'unknown' last. */
export function legendEntries(counts: Partial<Record<string, number>>): LegendEntry[] {
	const entries: LegendEntry[] = [];
	for (const category of CATEGORIES) {
		const count = counts[category] ?? 0;
		if (count > 0) entries.push({ category, color: CATEGORY_STYLES[category].color, count });
	}
	const others = Object.entries(counts).reduce((sum, [key, count]) => ((CATEGORIES as readonly string[]).includes(key) ? sum : sum + (count ?? 0)), 0);
	if (others > 0) entries.push({ category: 'unknown', color: UNKNOWN_CATEGORY_STYLE.color, count: others });
	return entries;
}
