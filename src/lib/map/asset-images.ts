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
/** Followed by the asset's name: one image per distinct name, made when first shown. */
export const LABEL_IMAGE_PREFIX = 'label:';
const LABEL_MAX_WIDTH = 180;
const LABEL_FONT = '600 13px system-ui, sans-serif';

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

/** A name under its marker, on a light plate so it reads on any basemap and on a projector. */
function labelImage(name: string): ImageData {
	const measure = canvas(1, 1).context;
	measure.font = LABEL_FONT;
	let text = name;
	if (measure.measureText(text).width > LABEL_MAX_WIDTH) {
		const chars = [...name];
		while (chars.length > 1 && measure.measureText(`${chars.join('')}…`).width > LABEL_MAX_WIDTH) chars.pop();
		text = `${chars.join('')}…`;
	}
	const width = Math.ceil(measure.measureText(text).width) + 12;
	const { element, context } = canvas(width, 20);
	context.fillStyle = 'rgb(255 255 255 / 0.9)';
	context.beginPath();
	context.roundRect(0.5, 0.5, width - 1, 19, 6);
	context.fill();
	context.fillStyle = '#1f2328';
	context.font = LABEL_FONT;
	context.textAlign = 'center';
	context.textBaseline = 'middle';
	context.fillText(text, width / 2, 10.5);
	return context.getImageData(0, 0, element.width, element.height);
}

/**
 * Cluster counts ("12", "1.2k") and name labels are made the first time the map asks for
 * one: the offline style has no glyphs, so text is drawn here (as text on a canvas, never
 * markup). MapLibre 6 consults this resolver before treating an image as missing; an image
 * added from a `styleimagemissing` listener arrives too late and is never drawn.
 */
export function provideGeneratedImages(map: MaplibreMap): () => void {
	map.setMissingStyleImageResolver((id) => {
		if (map.hasImage(id)) return;
		if (id.startsWith(COUNT_IMAGE_PREFIX)) {
			map.addImage(id, countImage(id.slice(COUNT_IMAGE_PREFIX.length).slice(0, 8)), { pixelRatio: PIXEL_RATIO });
		} else if (id.startsWith(LABEL_IMAGE_PREFIX)) {
			map.addImage(id, labelImage(id.slice(LABEL_IMAGE_PREFIX.length)), { pixelRatio: PIXEL_RATIO });
		}
	});
	return () => map.setMissingStyleImageResolver(null);
}
