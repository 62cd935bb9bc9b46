/**
 * The report's map. With a PNG filed for the snapshot (a picture of the map made in the
 * browser), that picture, fitted to the page width. Otherwise a vector drawing made here:
 * Natural Earth land and country borders clipped to the assets' box (or the map's starting
 * view when it has no assets) in Web Mercator, areas, lines, connections and points in
 * their category's colour, a scale bar and the basemap's attribution. The legend (counts
 * per category) follows either.
 */
import { CATEGORIES, type Asset, type Category, type MapView, type Position } from '../../src/lib/doc/model.ts';
import { categoryStyle } from '../../src/lib/doc/categories.ts';
import { geometryAnchor } from '../../src/lib/doc/geometry.ts';
import type { MapData } from '../../src/lib/export/map-data.ts';
import { t, type MessageKey } from '../../src/lib/i18n/index.ts';
import { pngInfo } from '../png.ts';
import { clipLine, clipRing, thin, type Pt, type Rect } from './clip.ts';
import { naturalEarth, offsetsMeeting, type Box } from './world.ts';

type Doc = PDFKit.PDFDocument;

export const INK = '#1f2328';
export const MUTED = '#57606a';
export const RULE = '#d0d7de';
const WATER = '#dbe7ef';
const LAND = '#f6f3ec';
const BORDER = '#9a958b';
const LINK = '#3d4349';

const MAX_LAT = 85.0511287798;
/** The closest a drawing zooms: about 2 km across a page at mid latitudes. */
const MIN_SPAN = 512 / (512 * 2 ** 15);
/** Vertices closer than this (points) add nothing a printer shows. */
const THIN = 0.35;

export function categoryLabel(category: Category | null): string {
	return t(category ? (`category.${category}` as MessageKey) : 'category.unknown');
}

/** Web Mercator on the unit square: x east from -180°, y south from the top. */
export function mercator(lon: number, lat: number): Pt {
	const phi = (Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI) / 180;
	return [(lon + 180) / 360, (1 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / Math.PI) / 2];
}

function inverseLat(y: number): number {
	return (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI;
}

/** Where a drawing puts the world: a Mercator window mapped onto a box on the page. */
export interface Frame {
	/** The page box (points). */
	box: Rect;
	/** The Mercator window, the box's shape. */
	mx0: number;
	my0: number;
	scale: number;
	/** Longitudes below this are drawn 360° east (a map across the antimeridian). */
	wrapBelow: number;
	/** The window in degrees, for picking basemap features. */
	degrees: Box;
}

export function project(frame: Frame, lon: number, lat: number): Pt {
	const [x, y] = mercator(lon < frame.wrapBelow ? lon + 360 : lon, lat);
	return [frame.box.x0 + (x - frame.mx0) * frame.scale, frame.box.y0 + (y - frame.my0) * frame.scale];
}

function eachPosition(asset: Asset, visit: (position: Position) => void): void {
	const { geometry } = asset;
	if (geometry.type === 'Point') visit(geometry.coordinates);
	else if (geometry.type === 'LineString') geometry.coordinates.forEach(visit);
	else for (const ring of geometry.coordinates) ring.forEach(visit);
}

/** The Mercator window of the assets (with a margin), the starting view, or the world. */
export function mercatorWindow(assets: Asset[], view: MapView | null, boxWidth: number): { x0: number; y0: number; x1: number; y1: number; wrapBelow: number } {
	if (assets.length > 0) {
		let [west, east, south, north] = [Infinity, -Infinity, Infinity, -Infinity];
		// The same box with longitudes west of 0° moved 360° east.
		let [shiftedWest, shiftedEast] = [Infinity, -Infinity];
		for (const asset of assets) {
			eachPosition(asset, ([lon, lat]) => {
				if (lon < west) west = lon;
				if (lon > east) east = lon;
				if (lat < south) south = lat;
				if (lat > north) north = lat;
				const shifted = lon < 0 ? lon + 360 : lon;
				if (shifted < shiftedWest) shiftedWest = shifted;
				if (shifted > shiftedEast) shiftedEast = shifted;
			});
		}
		let wrapBelow = -Infinity;
		// Assets on both sides of ±180° sit closer together drawn across it.
		if (east - west > 180 && shiftedEast - shiftedWest < east - west) [west, east, wrapBelow] = [shiftedWest, shiftedEast, 0];
		const [x0, y1] = mercator(west, south);
		const [x1, y0] = mercator(east, north);
		const span = Math.max(x1 - x0, y1 - y0, MIN_SPAN);
		const margin = span * 0.12;
		const cx = (x0 + x1) / 2;
		const cy = (y0 + y1) / 2;
		const w = Math.max(x1 - x0, MIN_SPAN) / 2 + margin;
		const h = Math.max(y1 - y0, MIN_SPAN) / 2 + margin;
		return { x0: cx - w, y0: cy - h, x1: cx + w, y1: cy + h, wrapBelow };
	}
	if (view) {
		const [cx, cy] = mercator(view.center[0], view.center[1]);
		// MapLibre's world is 512 px wide at zoom 0; take the page width as pixels.
		const half = boxWidth / (512 * 2 ** Math.max(0, Math.min(22, view.zoom))) / 2;
		return { x0: cx - half, y0: cy - half * 0.75, x1: cx + half, y1: cy + half * 0.75, wrapBelow: -Infinity };
	}
	const [, top] = mercator(0, 75);
	const [, bottom] = mercator(0, -58);
	return { x0: 0, y0: top, x1: 1, y1: bottom, wrapBelow: -Infinity };
}

/** A frame for `window` in a box `width` wide, its height between half and 1.2 times the width (at most maxHeight). */
export function frameFor(window: ReturnType<typeof mercatorWindow>, x: number, y: number, width: number, maxHeight: number): Frame {
	let { x0, y0, x1, y1 } = window;
	const aspect = (y1 - y0) / (x1 - x0);
	const height = Math.min(maxHeight, Math.max(width * 0.5, Math.min(width * 1.2, width * aspect)));
	// Grow the window to the box's shape so nothing is stretched.
	const want = height / width;
	if (aspect < want) {
		const grow = ((x1 - x0) * want - (y1 - y0)) / 2;
		y0 -= grow;
		y1 += grow;
	} else {
		const grow = ((y1 - y0) / want - (x1 - x0)) / 2;
		x0 -= grow;
		x1 += grow;
	}
	const scale = width / (x1 - x0);
	const lonOf = (mx: number) => mx * 360 - 180;
	return {
		box: { x0: x, y0: y, x1: x + width, y1: y + height },
		mx0: x0,
		my0: y0,
		scale,
		wrapBelow: window.wrapBelow,
		degrees: [lonOf(x0), inverseLat(Math.min(1, y1)), lonOf(x1), inverseLat(Math.max(0, y0))]
	};
}

function ringPath(doc: Doc, ring: Pt[]): void {
	doc.moveTo(ring[0][0], ring[0][1]);
	for (let i = 1; i < ring.length; i++) doc.lineTo(ring[i][0], ring[i][1]);
	doc.closePath();
}

function linePath(doc: Doc, line: Pt[]): void {
	doc.moveTo(line[0][0], line[0][1]);
	for (let i = 1; i < line.length; i++) doc.lineTo(line[i][0], line[i][1]);
}

function drawBasemap(doc: Doc, frame: Frame, reach: Rect): void {
	const world = naturalEarth();
	const toPage = (offset: number) => (p: number[]): Pt => {
		const [x, y] = mercator(p[0] + offset, p[1]);
		return [frame.box.x0 + (x - frame.mx0) * frame.scale, frame.box.y0 + (y - frame.my0) * frame.scale];
	};
	let any = false;
	for (const polygon of world.land) {
		for (const offset of offsetsMeeting(polygon.box, frame.degrees)) {
			const at = toPage(offset);
			for (const ring of polygon.rings) {
				const clipped = thin(clipRing(ring.map(at), reach), THIN);
				if (clipped.length >= 3) {
					ringPath(doc, clipped);
					any = true;
				}
			}
		}
	}
	if (any) doc.fillColor(LAND).fill('even-odd');
	any = false;
	for (const border of world.borders) {
		for (const offset of offsetsMeeting(border.box, frame.degrees)) {
			for (const run of clipLine(border.line.map(toPage(offset)), reach)) {
				const thinned = thin(run, THIN);
				if (thinned.length > 1) {
					linePath(doc, thinned);
					any = true;
				}
			}
		}
	}
	if (any) doc.lineWidth(0.5).dash(2, { space: 1.5 }).strokeColor(BORDER).stroke().undash();
}

function drawAssets(doc: Doc, data: MapData, frame: Frame, reach: Rect): void {
	const at = (p: Position) => project(frame, p[0], p[1]);
	// Areas first, then lines, then connections, then points on top.
	for (const asset of data.assets) {
		if (asset.geometry.type !== 'Polygon') continue;
		const { color } = categoryStyle(asset.category);
		let any = false;
		for (const ring of asset.geometry.coordinates) {
			const clipped = thin(clipRing(ring.map(at), reach), THIN);
			if (clipped.length >= 3) (ringPath(doc, clipped), (any = true));
		}
		if (!any) continue;
		doc.save().fillOpacity(0.28).lineWidth(0.9).lineJoin('round').fillAndStroke(color, color, 'even-odd').restore();
	}
	for (const asset of data.assets) {
		if (asset.geometry.type !== 'LineString') continue;
		const runs = clipLine(asset.geometry.coordinates.map(at), reach).map((run) => thin(run, THIN));
		if (runs.length === 0) continue;
		for (const run of runs) linePath(doc, run);
		doc.lineWidth(3).lineCap('round').lineJoin('round').strokeColor('#ffffff').stroke();
		for (const run of runs) linePath(doc, run);
		doc.lineWidth(1.6).strokeColor(categoryStyle(asset.category).color).stroke();
	}
	const anchors = new Map<string, Pt>();
	const anchor = (id: string) => {
		let point = anchors.get(id);
		if (!point) {
			const asset = data.index.assets.get(id);
			if (!asset) return null;
			point = at(geometryAnchor(asset.geometry));
			anchors.set(id, point);
		}
		return point;
	};
	let links = 0;
	for (const link of data.links) {
		if (link.kind !== 'connects') continue;
		const from = anchor(link.from);
		const to = anchor(link.to);
		if (!from || !to) continue;
		for (const run of clipLine([from, to], reach)) (linePath(doc, run), links++);
	}
	if (links > 0) doc.save().strokeOpacity(0.75).lineWidth(0.7).lineCap('butt').dash(2.5, { space: 1.5 }).strokeColor(LINK).stroke().undash().restore();
	const byCategory = new Map<Category | null, Pt[]>();
	for (const asset of data.assets) {
		if (asset.geometry.type !== 'Point') continue;
		const point = at(asset.geometry.coordinates);
		if (point[0] < reach.x0 || point[0] > reach.x1 || point[1] < reach.y0 || point[1] > reach.y1) continue;
		let list = byCategory.get(asset.category);
		if (!list) byCategory.set(asset.category, (list = []));
		list.push(point);
	}
	const radius = data.assets.length > 500 ? 2.6 : 3.6;
	for (const [category, points] of byCategory) {
		for (const [x, y] of points) doc.circle(x, y, radius);
		doc.lineWidth(0.6).fillAndStroke(categoryStyle(category).color, INK);
	}
}

function niceDistance(metres: number): number {
	const power = 10 ** Math.floor(Math.log10(metres));
	for (const step of [5, 2, 1]) if (step * power <= metres) return step * power;
	return power;
}

function distanceLabel(metres: number): string {
	return metres >= 1000 ? t('pdf.scaleKm', { distance: (metres / 1000).toLocaleString('en') }) : t('pdf.scaleM', { distance: metres.toLocaleString('en') });
}

/** A white plate with small text, in a corner of the frame. */
function plate(doc: Doc, text: string, x: number, y: number, align: 'left' | 'right'): void {
	doc.font('regular').fontSize(6.5);
	const width = doc.widthOfString(text) + 6;
	const left = align === 'left' ? x : x - width;
	doc.save().fillOpacity(0.85).rect(left, y - 10, width, 10).fill('#ffffff').restore();
	doc.fillColor(MUTED).text(text, left + 3, y - 8, { lineBreak: false });
}

function drawScaleBar(doc: Doc, frame: Frame): void {
	const [west, south, east, north] = frame.degrees;
	// A bar is honest only where Mercator's scale hardly changes across the map.
	if (north - south > 25 || east - west > 60) return;
	const lat = (((south + north) / 2) * Math.PI) / 180;
	const metresPerPoint = (40_075_016.686 * Math.cos(lat)) / frame.scale;
	const metres = niceDistance(metresPerPoint * 90);
	const length = metres / metresPerPoint;
	const x = frame.box.x0 + 8;
	const y = frame.box.y1 - 8;
	const label = distanceLabel(metres);
	doc.font('regular').fontSize(6.5);
	const labelWidth = doc.widthOfString(label);
	doc.save().fillOpacity(0.85).rect(x - 4, y - 14, length + labelWidth + 14, 18).fill('#ffffff').restore();
	doc.lineWidth(1.2).lineCap('butt').strokeColor(INK).moveTo(x, y - 4).lineTo(x, y).lineTo(x + length, y).lineTo(x + length, y - 4).stroke();
	doc.fillColor(INK).text(label, x + length + 4, y - 7, { lineBreak: false });
}

/** Draws the map at (x, y), `width` wide and at most `maxHeight` tall; returns the y below it. */
export function drawVectorMap(doc: Doc, data: MapData, x: number, y: number, width: number, maxHeight: number): number {
	const frame = frameFor(mercatorWindow(data.assets, data.meta.view, width), x, y, width, maxHeight);
	const { box } = frame;
	const pad = 6;
	const reach: Rect = { x0: box.x0 - pad, y0: box.y0 - pad, x1: box.x1 + pad, y1: box.y1 + pad };
	doc.save();
	doc.rect(box.x0, box.y0, box.x1 - box.x0, box.y1 - box.y0).clip();
	doc.rect(box.x0, box.y0, box.x1 - box.x0, box.y1 - box.y0).fill(WATER);
	drawBasemap(doc, frame, reach);
	drawAssets(doc, data, frame, reach);
	drawScaleBar(doc, frame);
	plate(doc, t('pdf.attribution'), box.x1 - 4, box.y1 - 4, 'right');
	doc.restore();
	doc.lineWidth(0.75).strokeColor(MUTED).rect(box.x0, box.y0, box.x1 - box.x0, box.y1 - box.y0).stroke();
	return box.y1;
}

/**
 * Embeds the PNG at (x, y), fitted to `width` and `maxHeight`, its shape kept. Returns
 * the y below it, or null when the bytes are not a picture that can be embedded safely.
 */
export function drawPicture(doc: Doc, png: Uint8Array, x: number, y: number, width: number, maxHeight: number): number | null {
	const info = pngInfo(png);
	if (!info) return null;
	const scale = Math.min(width / info.width, maxHeight / info.height);
	const w = info.width * scale;
	const h = info.height * scale;
	const left = x + (width - w) / 2;
	try {
		doc.image(Buffer.from(png.buffer, png.byteOffset, png.byteLength), left, y, { width: w, height: h });
	} catch {
		return null;
	}
	doc.lineWidth(0.75).strokeColor(MUTED).rect(left, y, w, h).stroke();
	return y + h;
}

/** The legend under the map: each category present, its colour and its count, then the kinds of mark. Returns the y below it. */
export function drawLegend(doc: Doc, data: MapData, x: number, y: number, width: number, vector: boolean): number {
	const counts = new Map<Category | null, number>();
	for (const asset of data.assets) counts.set(asset.category, (counts.get(asset.category) ?? 0) + 1);
	const entries: Array<[Category | null, number]> = [...CATEGORIES, null].filter((c) => counts.has(c)).map((c) => [c, counts.get(c) ?? 0]);
	doc.font('bold').fontSize(8.5).fillColor(INK).text(t('snapshot.legend'), x, y, { lineBreak: false });
	let top = y + 14;
	if (entries.length === 0) {
		doc.font('regular').fontSize(8.5).fillColor(MUTED).text(t('snapshot.noAssets'), x, top, { width });
		return doc.y;
	}
	const columns = 4;
	const columnWidth = width / columns;
	entries.forEach(([category, count], i) => {
		const cx = x + (i % columns) * columnWidth;
		const cy = top + Math.floor(i / columns) * 14;
		doc.lineWidth(0.6).circle(cx + 4, cy + 4.5, 3.6).fillAndStroke(categoryStyle(category).color, INK);
		doc.font('regular').fontSize(8.5).fillColor(INK).text(categoryLabel(category), cx + 12, cy, { lineBreak: false, continued: true });
		doc.fillColor(MUTED).text(`  ${count.toLocaleString('en')}`, { lineBreak: false });
	});
	top += Math.ceil(entries.length / columns) * 14 + 2;
	if (!vector) return top;
	const kinds: Array<[string, (cx: number, cy: number) => void]> = [];
	const has = (type: string) => data.assets.some((asset) => asset.geometry.type === type);
	if (has('Point')) kinds.push([t('pdf.geometry.Point'), (cx, cy) => doc.lineWidth(0.6).circle(cx + 4, cy + 4.5, 3).fillAndStroke('#ffffff', INK)]);
	if (has('Polygon')) kinds.push([t('pdf.geometry.Polygon'), (cx, cy) => doc.save().fillOpacity(0.28).lineWidth(0.9).rect(cx, cy + 1, 9, 7).fillAndStroke(MUTED, MUTED).restore()]);
	if (has('LineString')) kinds.push([t('pdf.geometry.LineString'), (cx, cy) => doc.lineWidth(1.6).lineCap('round').moveTo(cx, cy + 6).lineTo(cx + 10, cy + 2).stroke(MUTED)]);
	if (data.links.some((link) => link.kind === 'connects')) kinds.push([t('pdf.connection'), (cx, cy) => doc.lineWidth(0.7).lineCap('butt').dash(2.5, { space: 1.5 }).moveTo(cx, cy + 4.5).lineTo(cx + 12, cy + 4.5).stroke(LINK).undash()]);
	let cx = x;
	for (const [label, mark] of kinds) {
		mark(cx, top);
		doc.font('regular').fontSize(8).fillColor(MUTED).text(label, cx + 16, top + 0.5, { lineBreak: false });
		cx += 16 + doc.widthOfString(label) + 18;
	}
	return kinds.length > 0 ? top + 14 : top;
}
