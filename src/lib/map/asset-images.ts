/**
 * Map images drawn on a canvas instead of loaded from a sprite: the offline style has no
 * sprite or glyph server, and drawing keeps icons and cluster counts crisp at any pixel
 * ratio. Path2D understands the SVG path data in categories.ts directly.
 */
import type { Map as MaplibreMap } from 'maplibre-gl';
import { CATEGORIES } from '../doc/model.ts';
import { CATEGORY_STYLES, UNKNOWN_CATEGORY_STYLE, type CategoryStyle } from '../doc/categories.ts';

const PIXEL_RATIO = 2;
/** CSS px; drawn on top of a disc of the category color from a circle layer. */
const ICON_SIZE = 16;
export const COUNT_IMAGE_PREFIX = 'count-';

function canvas(width: number, height: number) {
	const element = document.createElement('canvas');
	element.width = width * PIXEL_RATIO;
	element.height = height * PIXEL_RATIO;
	const context = element.getContext('2d')!;
	context.scale(PIXEL_RATIO, PIXEL_RATIO);
	return { element, context };
}

function iconImage(style: CategoryStyle): ImageData {
	const { element, context } = canvas(ICON_SIZE, ICON_SIZE);
	context.scale(ICON_SIZE / 24, ICON_SIZE / 24);
	context.strokeStyle = '#ffffff';
	context.lineWidth = 2.4;
	context.lineCap = 'round';
	context.lineJoin = 'round';
	context.stroke(new Path2D(style.icon));
	return context.getImageData(0, 0, element.width, element.height);
}

function countImage(label: string): ImageData {
	const width = Math.max(20, label.length * 9 + 8);
	const { element, context } = canvas(width, 20);
	context.fillStyle = '#ffffff';
	context.font = 'bold 14px system-ui, sans-serif';
	context.textAlign = 'center';
	context.textBaseline = 'middle';
	context.fillText(label, width / 2, 10.5);
	return context.getImageData(0, 0, element.width, element.height);
}

function categoryImageId(category: string): string {
	return `category-${category}`;
}

export function addCategoryImages(map: MaplibreMap): void {
	for (const category of CATEGORIES) {
		const id = categoryImageId(category);
		if (!map.hasImage(id)) map.addImage(id, iconImage(CATEGORY_STYLES[category]), { pixelRatio: PIXEL_RATIO });
	}
	const unknown = categoryImageId('unknown');
	if (!map.hasImage(unknown)) map.addImage(unknown, iconImage(UNKNOWN_CATEGORY_STYLE), { pixelRatio: PIXEL_RATIO });
}

/**
 * Cluster counts ("12", "1.2k") are made the first time the map asks for one. MapLibre 6
 * consults this resolver before treating an image as missing; an image added from a
 * `styleimagemissing` listener arrives too late and the count is never drawn.
 */
export function provideCountImages(map: MaplibreMap): () => void {
	map.setMissingStyleImageResolver((id) => {
		if (!id.startsWith(COUNT_IMAGE_PREFIX) || map.hasImage(id)) return;
		const label = id.slice(COUNT_IMAGE_PREFIX.length).slice(0, 8);
		map.addImage(id, countImage(label), { pixelRatio: PIXEL_RATIO });
	});
	return () => map.setMissingStyleImageResolver(null);
}
