/**
 * A map as a picture (PNG), made in the browser: the map's own pixels, taken at no less
 * than twice the CSS resolution, framed by its title, place and date, a legend with counts
 * per category, a scale bar, the basemap's attribution, and for a snapshot its citation and
 * a QR code to its page. Everything is drawn as text on a canvas, never parsed as markup.
 *
 * Not a pure exporter like the others in this folder: it needs a canvas and a MapLibre map.
 * Its arithmetic lives in picture-layout.ts.
 */
import type { Map as MaplibreMap } from 'maplibre-gl';
import QRCode from 'qrcode';
import { CATEGORY_STYLES, UNKNOWN_CATEGORY_STYLE } from '../doc/categories.ts';
import type { LegendEntry, ScaleBar } from './picture-layout.ts';
import { scaleBar } from './picture-layout.ts';

/** What a picture is made of, besides the map. All text, already in the reader's language. */
export interface PictureText {
	title: string;
	/** Place and date, one line under the title. */
	subtitle: string;
	legendTitle: string;
	legend: Array<LegendEntry & { label: string }>;
	attribution: string;
	/** A snapshot's citation, and the address its QR code opens. */
	citation?: { text: string; url: string; qrLabel: string };
	/** Small print at the foot: where the picture was made. */
	footer: string;
}

export interface MapShot {
	image: HTMLCanvasElement;
	/** The map's size in CSS pixels and how many device pixels each has in `image`. */
	width: number;
	height: number;
	ratio: number;
	scale: ScaleBar | null;
}

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', sans-serif";
const INK = '#1f2328';
const SOFT = '#57606a';
const PAD = 24;

/** Resolves on the map's next idle (everything loaded and drawn), or after `ms` with whatever is drawn by then. */
function idle(map: MaplibreMap, ms: number): Promise<void> {
	return new Promise((resolve) => {
		const done = () => {
			clearTimeout(timer);
			map.off('idle', done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		map.on('idle', done);
		map.triggerRepaint();
	});
}

/**
 * The map's pixels as they are drawn, at `minRatio` device pixels per CSS pixel or more.
 * A screen with fewer is switched up for the moment it takes and back again. The map's
 * canvas keeps its drawing buffer (MapView), so it can be copied after it is drawn.
 */
export async function captureMap(map: MaplibreMap, minRatio = 2, waitMs = 10_000): Promise<MapShot> {
	const before = map.getPixelRatio();
	const ratio = Math.max(before, minRatio);
	if (ratio !== before) map.setPixelRatio(ratio);
	try {
		await idle(map, waitMs);
		const source = map.getCanvas();
		const image = document.createElement('canvas');
		image.width = source.width;
		image.height = source.height;
		image.getContext('2d')!.drawImage(source, 0, 0);
		const width = source.width / ratio;
		const height = source.height / ratio;
		const centre = map.getCenter();
		return { image, width, height, ratio, scale: scaleBar(centre.lat, map.getZoom(), Math.min(160, width / 3)) };
	} finally {
		if (ratio !== before) map.setPixelRatio(before);
	}
}

/** The text shown as the map's attribution (MapView draws it as text beside the canvas). */
export function shownAttribution(map: MaplibreMap): string {
	const host = map.getContainer().closest('[role="region"]') ?? map.getContainer().parentElement;
	return host?.querySelector('[data-testid="map-attribution"]')?.textContent?.trim() ?? '';
}

type Ctx = CanvasRenderingContext2D;

function font(ctx: Ctx, size: number, weight = 400): void {
	ctx.font = `${weight} ${size}px ${FONT}`;
}

/** Greedy word wrap to `width`; a word longer than a line is broken by characters. */
function wrap(ctx: Ctx, text: string, width: number): string[] {
	const lines: string[] = [];
	for (const paragraph of text.split('\n')) {
		let line = '';
		for (const word of paragraph.split(/\s+/).filter(Boolean)) {
			const candidate = line ? `${line} ${word}` : word;
			if (ctx.measureText(candidate).width <= width) {
				line = candidate;
				continue;
			}
			if (line) lines.push(line);
			line = '';
			let rest = word;
			while (ctx.measureText(rest).width > width && rest.length > 1) {
				let cut = rest.length - 1;
				while (cut > 1 && ctx.measureText(rest.slice(0, cut)).width > width) cut--;
				lines.push(rest.slice(0, cut));
				rest = rest.slice(cut);
			}
			line = rest;
		}
		if (line) lines.push(line);
	}
	return lines;
}

interface LegendCell {
	entry: PictureText['legend'][number];
	x: number;
	y: number;
}

const SWATCH = 22;
const LEGEND_ROW = 32;

/** Legend entries flowed into rows across `width`. */
function layoutLegend(ctx: Ctx, legend: PictureText['legend'], width: number): { cells: LegendCell[]; height: number } {
	font(ctx, 15);
	const cells: LegendCell[] = [];
	let x = 0;
	let y = 0;
	for (const entry of legend) {
		const cellWidth = SWATCH + 8 + ctx.measureText(`${entry.label} ${entry.count}`).width + 24;
		if (x > 0 && x + cellWidth > width) {
			x = 0;
			y += LEGEND_ROW;
		}
		cells.push({ entry, x, y });
		x += cellWidth;
	}
	return { cells, height: legend.length ? y + LEGEND_ROW : 0 };
}

function drawSwatch(ctx: Ctx, entry: LegendEntry, x: number, y: number): void {
	const style = entry.category === 'unknown' ? UNKNOWN_CATEGORY_STYLE : CATEGORY_STYLES[entry.category];
	const r = SWATCH / 2;
	ctx.beginPath();
	ctx.arc(x + r, y + r, r, 0, Math.PI * 2);
	ctx.fillStyle = entry.color;
	ctx.fill();
	ctx.lineWidth = 1.5;
	ctx.strokeStyle = INK;
	ctx.stroke();
	if (!style.icon) return;
	ctx.save();
	ctx.translate(x + 3, y + 3);
	ctx.scale((SWATCH - 6) / 24, (SWATCH - 6) / 24);
	ctx.strokeStyle = style.ink;
	ctx.lineWidth = 2.2;
	ctx.lineCap = 'round';
	ctx.lineJoin = 'round';
	ctx.stroke(new Path2D(style.icon));
	ctx.restore();
}

/** The scale bar in the strip under the map (never over it, where it could cover an asset); `y` is the strip's top. */
function drawScale(ctx: Ctx, scale: ScaleBar, x: number, y: number): void {
	ctx.save();
	font(ctx, 12, 600);
	ctx.fillStyle = INK;
	ctx.textBaseline = 'top';
	ctx.fillText(scale.label, x, y + 6);
	ctx.strokeStyle = INK;
	ctx.lineWidth = 2;
	ctx.beginPath();
	ctx.moveTo(x, y + 20);
	ctx.lineTo(x, y + 26);
	ctx.lineTo(x + scale.px, y + 26);
	ctx.lineTo(x + scale.px, y + 20);
	ctx.stroke();
	ctx.restore();
}

const SCALE_STRIP = 34;

function drawQr(ctx: Ctx, text: string, x: number, y: number, size: number): void {
	const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
	const cells = modules.size + 8;
	const cell = size / cells;
	ctx.fillStyle = '#ffffff';
	ctx.fillRect(x, y, size, size);
	ctx.fillStyle = '#000000';
	for (let row = 0; row < modules.size; row++) {
		for (let col = 0; col < modules.size; col++) {
			if (modules.get(row, col)) ctx.fillRect(x + (col + 4) * cell, y + (row + 4) * cell, Math.ceil(cell), Math.ceil(cell));
		}
	}
}

/** The framed picture as a PNG. */
export async function composePicture(shot: MapShot, text: PictureText): Promise<Blob> {
	const measure = document.createElement('canvas').getContext('2d')!;
	const width = Math.max(shot.width, 320);
	const inner = width - PAD * 2;

	font(measure, 28, 700);
	const titleLines = wrap(measure, text.title, inner).slice(0, 3);
	font(measure, 16);
	const subtitleLines = text.subtitle ? wrap(measure, text.subtitle, inner).slice(0, 2) : [];
	const headerHeight = PAD + titleLines.length * 34 + subtitleLines.length * 22 + 12;

	const legend = layoutLegend(measure, text.legend, inner);
	const legendHeight = legend.height ? 28 + legend.height : 0;

	const qrSize = text.citation ? Math.min(132, Math.floor(inner / 3)) : 0;
	font(measure, 14);
	const citationLines = text.citation ? wrap(measure, text.citation.text, inner - qrSize - 16) : [];
	const citationHeight = text.citation ? Math.max(qrSize, citationLines.length * 19 + 24) + 16 : 0;
	// Under the map: the scale bar on the left, the attribution beside it, wrapped, never cut.
	const scaleWidth = shot.scale ? Math.max(shot.scale.px, 48) + 16 : 0;
	font(measure, 11);
	const attributionLines = text.attribution ? wrap(measure, text.attribution, Math.max(120, inner - scaleWidth)) : [];
	const stripHeight = Math.max(shot.scale ? SCALE_STRIP : 0, attributionLines.length * 14 + 8);
	font(measure, 12);
	const footerLines = wrap(measure, text.footer, inner);
	const footerHeight = footerLines.length * 16 + 20;

	const height = headerHeight + shot.height + stripHeight + 12 + legendHeight + citationHeight + footerHeight;
	const canvas = document.createElement('canvas');
	canvas.width = Math.round(width * shot.ratio);
	canvas.height = Math.round(height * shot.ratio);
	const ctx = canvas.getContext('2d')!;
	ctx.scale(shot.ratio, shot.ratio);
	ctx.fillStyle = '#ffffff';
	ctx.fillRect(0, 0, width, height);
	ctx.textBaseline = 'top';

	let y = PAD;
	ctx.fillStyle = INK;
	font(ctx, 28, 700);
	for (const line of titleLines) (ctx.fillText(line, PAD, y), (y += 34));
	ctx.fillStyle = SOFT;
	font(ctx, 16);
	for (const line of subtitleLines) (ctx.fillText(line, PAD, y), (y += 22));

	// The map, edge to edge, with its scale and attribution over its lower corners.
	const mapTop = headerHeight;
	const mapLeft = (width - shot.width) / 2;
	ctx.drawImage(shot.image, mapLeft, mapTop, shot.width, shot.height);
	ctx.strokeStyle = '#d0d7de';
	ctx.lineWidth = 1;
	ctx.strokeRect(mapLeft + 0.5, mapTop + 0.5, shot.width - 1, shot.height - 1);
	const stripTop = mapTop + shot.height;
	if (shot.scale) drawScale(ctx, shot.scale, PAD, stripTop);
	if (attributionLines.length > 0) {
		font(ctx, 11);
		ctx.fillStyle = SOFT;
		ctx.textAlign = 'right';
		attributionLines.forEach((line, i) => ctx.fillText(line, width - PAD, stripTop + 6 + i * 14));
		ctx.textAlign = 'left';
	}

	y = stripTop + stripHeight + 12;
	if (legend.height) {
		ctx.fillStyle = INK;
		font(ctx, 16, 700);
		ctx.fillText(text.legendTitle, PAD, y);
		y += 28;
		for (const { entry, x, y: cellY } of legend.cells) {
			drawSwatch(ctx, entry, PAD + x, y + cellY);
			font(ctx, 15);
			ctx.fillStyle = INK;
			ctx.fillText(entry.label, PAD + x + SWATCH + 8, y + cellY + 3);
			const labelWidth = ctx.measureText(`${entry.label} `).width;
			font(ctx, 15, 700);
			ctx.fillText(String(entry.count), PAD + x + SWATCH + 8 + labelWidth, y + cellY + 3);
		}
		y += legend.height;
	}

	if (text.citation) {
		ctx.strokeStyle = '#d0d7de';
		ctx.beginPath();
		ctx.moveTo(PAD, y + 4);
		ctx.lineTo(width - PAD, y + 4);
		ctx.stroke();
		y += 16;
		drawQr(ctx, text.citation.url, width - PAD - qrSize, y, qrSize);
		ctx.fillStyle = INK;
		font(ctx, 14);
		let lineY = y;
		for (const line of citationLines) (ctx.fillText(line, PAD, lineY), (lineY += 19));
		ctx.fillStyle = SOFT;
		font(ctx, 12);
		ctx.fillText(text.citation.qrLabel, PAD, lineY + 6);
		y += citationHeight - 16;
	}

	ctx.fillStyle = SOFT;
	font(ctx, 12);
	footerLines.forEach((line, i) => ctx.fillText(line, PAD, height - footerHeight + 8 + i * 16));

	return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the picture could not be encoded'))), 'image/png'));
}

/** Saves a blob as a file through the browser's download. */
export function saveBlob(blob: Blob, filename: string): void {
	const url = URL.createObjectURL(blob);
	const link = document.createElement('a');
	link.href = url;
	link.download = filename;
	document.body.append(link);
	link.click();
	link.remove();
	// After the browser has taken the file.
	setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
