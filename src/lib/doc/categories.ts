/**
 * How each asset category looks. Labels live in the i18n catalogs; this is only style.
 * Colors are the Okabe–Ito palette, chosen to stay distinguishable for the common
 * color-vision differences; each disc has a dark outline on the map so light colors hold
 * against the light basemap, and its icon is drawn in whichever of black or white
 * contrasts more with the disc (`ink`). Icons carry the meaning too, so color is never
 * the only cue (on the map, in the list and in the present view's legend).
 */
import type { Category } from './model.ts';

export interface CategoryStyle {
	color: string;
	/** The icon's stroke on the disc: black or white, whichever contrasts more (≥ 4.5:1). */
	ink: '#000000' | '#ffffff';
	/** SVG path data drawn on a 24×24 grid, stroked in `ink` on the colored disc. */
	icon: string;
}

export const CATEGORY_STYLES: Record<Category, CategoryStyle> = {
	// an open book
	knowledge: { color: '#0072B2', ink: '#ffffff', icon: 'M4 5h6a2 2 0 0 1 2 2v12a2 2 0 0 0-2-2H4zM20 5h-6a2 2 0 0 0-2 2v12a2 2 0 0 1 2-2h6z' },
	// a wrench
	skills: { color: '#E69F00', ink: '#000000', icon: 'M14.7 6.3a4 4 0 0 0-5.4 5.4L4 17l3 3 5.3-5.3a4 4 0 0 0 5.4-5.4l-2.5 2.5-2.5-2.5z' },
	// a group of people
	organizations: { color: '#CC79A7', ink: '#000000', icon: 'M9 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM3 20v-1a5 5 0 0 1 10 0v1M16 11a3 3 0 1 0 0-6M21 20v-1a5 5 0 0 0-4-4.9' },
	// linked nodes
	networks: { color: '#56B4E9', ink: '#000000', icon: 'M6 6m-2 0a2 2 0 1 0 4 0a2 2 0 1 0-4 0M18 6m-2 0a2 2 0 1 0 4 0a2 2 0 1 0-4 0M12 18m-2 0a2 2 0 1 0 4 0a2 2 0 1 0-4 0M8 6h8M7 8l4 8M17 8l-4 8' },
	// a columned building
	institutions: { color: '#000000', ink: '#ffffff', icon: 'M3 21h18M4 10h16M12 3l8 5H4zM6 10v8M10 10v8M14 10v8M18 10v8' },
	// a location pin
	places: { color: '#009E73', ink: '#000000', icon: 'M12 21s-6-5.5-6-11a6 6 0 0 1 12 0c0 5.5-6 11-6 11zM12 10m-2 0a2 2 0 1 0 4 0a2 2 0 1 0-4 0' },
	// a storefront / coins
	economy: { color: '#F0E442', ink: '#000000', icon: 'M12 3v18M16 7H10a3 3 0 0 0 0 6h4a3 3 0 0 1 0 6H7' },
	// a music note
	culture: { color: '#D55E00', ink: '#000000', icon: 'M9 18V6l10-2v12M9 18a3 3 0 1 1-6 0 3 3 0 0 1 6 0zM19 16a3 3 0 1 1-6 0 3 3 0 0 1 6 0z' }
};

/** For categories written by a newer peer that this version does not know. */
export const UNKNOWN_CATEGORY_STYLE: CategoryStyle = {
	color: '#6e7781',
	ink: '#ffffff',
	icon: 'M12 17h.01M9.1 9a3 3 0 0 1 5.8 1c0 2-3 3-3 3'
};

export function categoryStyle(category: Category | null): CategoryStyle {
	return category ? CATEGORY_STYLES[category] : UNKNOWN_CATEGORY_STYLE;
}
