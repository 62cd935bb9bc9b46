/**
 * Map images drawn on a canvas instead of loaded from a sprite: the offline style has no
 * sprite or glyph server, and drawing keeps icons and cluster counts crisp at any pixel
 * ratio. Path2D understands the SVG path data in categories.ts directly.
 */
import type { Map as MaplibreMap } from 'maplibre-gl';
import { CATEGORIES } from '../doc/model.ts';
import { CATEGORY_STYLES, UNKNOWN_CATEGORY_STYLE, type CategoryStyle } from '../doc/categories.ts';
import { labelLines } from './label-lines.ts';

const PIXEL_RATIO = 2;
/** CSS px; drawn on top of a disc of the category color from a circle layer. */
const ICON_SIZE = 16;
export const COUNT_IMAGE_PREFIX = 'count-';
/** Followed by the asset's name: one image per distinct name, made when first shown. */
export const LABEL_IMAGE_PREFIX = 'label:';

/**
 * How names are drawn: `normal` for the map page (15 px), `large` for the present view on a
 * projector (22 px, readable from the back of a hall). Names wrap at `maxWidth` CSS px (at
 * most three lines) instead of being cut; on a narrow screen the width shrinks to a share
 * of the map's width so a label never covers the whole phone.
 */
export interface LabelStyle {
	fontSize: number;
	weight: number;
	maxWidth: number;
}
export const LABEL_STYLES = {
	normal: { fontSize: 15, weight: 600, maxWidth: 240 },
	large: { fontSize: 22, weight: 700, maxWidth: 360 }
} satisfies Record<string, LabelStyle>;
export type LabelSize = keyof typeof LABEL_STYLES;

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
	context.strokeStyle = style.ink;
	context.lineWidth = 2.4;
	context.lineCap = 'round';
	context.lineJoin = 'round';
	context.stroke(new Path2D(style.icon));
	return context.getImageData(0, 0, element.width, element.height);
}

function countImage(label: string): ImageData {
	const width = Math.max(20, label.length * 9 + 8);
	const { element, context } = canvas(width, 20);
	context.fillStyle = '#000000';
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
 * A name under its marker (or at the middle of its area): dark text with a strong white
 * halo on a light plate, so it reads on any basemap, over a colored area and on a projector.
 */
function labelImage(name: string, style: LabelStyle): ImageData {
	const font = `${style.weight} ${style.fontSize}px system-ui, sans-serif`;
	const measure = canvas(1, 1).context;
	measure.font = font;
	const lines = labelLines(name, style.maxWidth, (text) => measure.measureText(text).width);
	const lineHeight = Math.round(style.fontSize * 1.22);
	const padX = Math.round(style.fontSize * 0.45);
	const padY = Math.round(style.fontSize * 0.2);
	const width = Math.ceil(Math.max(...lines.map((line) => measure.measureText(line).width))) + padX * 2;
	const height = lines.length * lineHeight + padY * 2;
	const { element, context } = canvas(width, height);
	context.fillStyle = 'rgb(255 255 255 / 0.82)';
	context.strokeStyle = 'rgb(0 0 0 / 0.35)';
	context.lineWidth = 1;
	context.beginPath();
	context.roundRect(0.5, 0.5, width - 1, height - 1, Math.round(style.fontSize * 0.4));
	context.fill();
	context.stroke();
	context.font = font;
	context.textAlign = 'center';
	context.textBaseline = 'middle';
	context.lineJoin = 'round';
	context.strokeStyle = '#ffffff';
	context.lineWidth = Math.max(3, style.fontSize * 0.22);
	context.fillStyle = '#111111';
	lines.forEach((line, index) => {
		const y = padY + lineHeight * (index + 0.5) + 0.5;
		context.strokeText(line, width / 2, y);
		context.fillText(line, width / 2, y);
	});
	return context.getImageData(0, 0, element.width, element.height);
}

/**
 * Cluster counts ("12", "1.2k") and name labels are made the first time the map asks for
 * one: the offline style has no glyphs, so text is drawn here (as text on a canvas, never
 * markup). MapLibre 6 consults this resolver before treating an image as missing; an image
 * added from a `styleimagemissing` listener arrives too late and is never drawn.
 */
export function provideGeneratedImages(map: MaplibreMap, size: LabelSize = 'normal'): () => void {
	const base = LABEL_STYLES[size];
	// A phone gets narrower labels: at most 45% of the map's width.
	const style: LabelStyle = { ...base, maxWidth: Math.max(120, Math.min(base.maxWidth, map.getContainer().clientWidth * 0.45)) };
	map.setMissingStyleImageResolver((id) => {
		if (map.hasImage(id)) return;
		if (id.startsWith(COUNT_IMAGE_PREFIX)) {
			map.addImage(id, countImage(id.slice(COUNT_IMAGE_PREFIX.length).slice(0, 8)), { pixelRatio: PIXEL_RATIO });
		} else if (id.startsWith(LABEL_IMAGE_PREFIX)) {
			map.addImage(id, labelImage(id.slice(LABEL_IMAGE_PREFIX.length), style), { pixelRatio: PIXEL_RATIO });
		}
	});
	return () => map.setMissingStyleImageResolver(null);
}
