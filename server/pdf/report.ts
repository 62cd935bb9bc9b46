/**
 * The PDF report of a citable snapshot (issue 11): a cover with the citation and the
 * fingerprint a reader checks a download against, the map, the goals and the assets that
 * support them, annotations with the competencies they evidence, the network of
 * connections, contributors by affiliation, whose voices are on the map (the counts frozen
 * with the snapshot, src/lib/voices), and every asset by category. Each goal shows its next
 * steps and its timeline (the snapshot's `progress`: when, from → to, who — a name only when
 * the map opted in to naming contributors, otherwise the affiliation — and the note). A footer on each
 * page carries a short citation, the short hash and the page number.
 *
 * Made with pdfkit from the snapshot's stored state alone, so it never changes with the
 * live map; everything a person typed is printed as text (through printable()), in an
 * embedded Unicode font. The creation date is the moment the snapshot was taken, so the
 * same snapshot (with the same annotations) gives the same bytes.
 *
 * Bounded: descriptions are shortened, long lists end with "and N more", and at most
 * MAX_LISTED_ASSETS assets are listed one by one; the downloads hold everything.
 */
import PDFDocument from 'pdfkit';
import { AFFILIATIONS, CATEGORIES, affiliationGroup, type Affiliation, type Asset, type Category, type Goal, type GoalProgress } from '../../src/lib/doc/model.ts';
import { categoryStyle } from '../../src/lib/doc/categories.ts';
import { geometryAnchor } from '../../src/lib/doc/geometry.ts';
import { applyState, createDoc, readAllProgress } from '../../src/lib/doc/schema.ts';
import { citation, citationAuthor, shortHash, SNAPSHOT_KIND, PUBLISHER } from '../../src/lib/export/citation.ts';
import { COMPETENCIES } from '../../src/lib/export/competencies.ts';
import { exportFileName, goalsSupportedBy, mapDataOf, type MapData } from '../../src/lib/export/map-data.ts';
import { keptProgress } from '../../src/lib/export/snapshot.ts';
import { VOICE_GROUPS, emptyCounts, parseVoices, type GroupCounts, type VoiceGroup, type Voices } from '../../src/lib/voices/aggregate.ts';
import { documentVoices } from '../../src/lib/voices/document.ts';
import { t, type MessageKey } from '../../src/lib/i18n/index.ts';
import type { SnapshotAnnotation, SnapshotRecord } from '../persistence/doc-store.ts';
import type { StoredSnapshotMeta } from '../snapshots.ts';
import { fontFiles, oneLine, printable, shorten } from './fonts.ts';
import { INK, MUTED, RULE, categoryLabel, drawLegend, drawPicture, drawVectorMap } from './map-figure.ts';

type Doc = PDFKit.PDFDocument;

const ACCENT = '#0b5563';
const PANEL = '#f3f6f8';

const PAGE = { width: 612, height: 792 };
const MARGIN = { top: 56, bottom: 66, left: 56, right: 56 };
const LEFT = MARGIN.left;
const WIDTH = PAGE.width - MARGIN.left - MARGIN.right;
const BOTTOM = PAGE.height - MARGIN.bottom;

/** Limits that keep a report of a large map quick to make and to print. */
export const REPORT_LIMITS = {
	assets: 5000,
	assetDescription: 600,
	goalDescription: 1500,
	mapDescription: 700,
	namesPerGoal: 60,
	goalsPerAsset: 12,
	links: 2000,
	/** Status changes listed per goal (the latest). */
	timeline: 40,
	progressNote: 600,
	nextSteps: 1500,
	/** Days listed in the voices' daily table (the latest with contributions). */
	voiceDays: 120
} as const;

const COMPETENCY_LABELS = new Map<string, string>(COMPETENCIES.map(({ id }) => [id, t(`snapshot.competency.${id}` as MessageKey)]));

const count = (n: number) => n.toLocaleString('en');

function dateTime(ms: number): string {
	const at = new Date(ms);
	const date = at.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
	return t('pdf.dateTime', { date, time: at.toISOString().slice(11, 16) });
}

function day(ms: number): string {
	return new Date(ms).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

/** Degrees to five places (about a metre), with an ASCII minus so a GIS tool takes them pasted. */
function coordinate(value: number): string {
	return value.toFixed(5);
}

/** `text` cut with an ellipsis to fit `width` in the current font. */
function fitted(doc: Doc, text: string, width: number): string {
	if (doc.widthOfString(text) <= width) return text;
	const chars = [...text];
	let low = 0;
	let high = chars.length;
	while (low < high) {
		const mid = Math.ceil((low + high) / 2);
		if (doc.widthOfString(`${chars.slice(0, mid).join('').trimEnd()}…`) <= width) low = mid;
		else high = mid - 1;
	}
	return `${chars.slice(0, low).join('').trimEnd()}…`;
}

function assetName(asset: Pick<Asset, 'name'>): string {
	return oneLine(asset.name) || t('snapshot.unnamed');
}

/** Writes flowing text and starts new pages; every section goes through it. */
class Writer {
	readonly sections: Array<{ title: string; page: number }> = [];

	constructor(readonly doc: Doc) {}

	get page(): number {
		const range = this.doc.bufferedPageRange();
		return range.start + range.count - 1;
	}

	/** Starts a new page unless `height` points still fit on this one. */
	ensure(height: number): void {
		if (this.doc.y + height > BOTTOM) this.newPage();
	}

	newPage(): void {
		this.doc.addPage();
		this.doc.x = LEFT;
		this.doc.y = MARGIN.top;
	}

	gap(points: number): void {
		this.doc.y += points;
	}

	/** A section's heading and introduction, kept on one page with `room` points of what follows. */
	section(title: string, intro?: string, { newPage = false, room = 60 } = {}): void {
		if (newPage) this.newPage();
		else {
			this.ensure(50 + (intro ? 30 : 0) + room);
			if (this.doc.y > MARGIN.top) this.gap(16);
		}
		this.sections.push({ title, page: this.page });
		this.doc.outline.addItem(title);
		const { doc } = this;
		doc.font('bold').fontSize(16).fillColor(INK).text(title, LEFT, doc.y, { width: WIDTH });
		doc.moveTo(LEFT, doc.y + 3).lineTo(LEFT + 36, doc.y + 3).lineWidth(2).strokeColor(ACCENT).stroke();
		this.gap(10);
		if (intro) {
			doc.font('regular').fontSize(8.5).fillColor(MUTED).text(intro, LEFT, doc.y, { width: WIDTH, lineGap: 1.5 });
			this.gap(8);
		}
	}

	text(value: string, options: { font?: string; size?: number; color?: string; indent?: number; gap?: number; width?: number; lineGap?: number } = {}): void {
		const { doc } = this;
		const indent = options.indent ?? 0;
		doc.font(options.font ?? 'regular').fontSize(options.size ?? 9).fillColor(options.color ?? INK);
		doc.text(value, LEFT + indent, doc.y, { width: options.width ?? WIDTH - indent, lineGap: options.lineGap ?? 1 });
		if (options.gap) this.gap(options.gap);
	}

	/** A small label over a value, as on the cover. */
	labelled(label: string, value: string, width = WIDTH): void {
		this.text(label.toUpperCase(), { font: 'bold', size: 7, color: MUTED, gap: 2, width });
		this.text(value, { size: 9.5, gap: 9, lineGap: 1.5, width });
	}

	rule(color = RULE): void {
		const { doc } = this;
		doc.moveTo(LEFT, doc.y).lineTo(LEFT + WIDTH, doc.y).lineWidth(0.5).strokeColor(color).stroke();
	}
}

interface Context {
	record: SnapshotRecord;
	meta: StoredSnapshotMeta;
	data: MapData;
	/** Each kept goal's status changes, oldest first. */
	progress: Map<string, GoalProgress[]>;
	voices: Voices;
	title: string;
	place: string;
	citation: { apa: string; plain: string };
}

/** Where the cover keeps room for the contents; the sections are fixed, so their number is known. */
const SECTIONS = 7;
const CONTENTS_HEIGHT = 26 + SECTIONS * 14;

function cover(w: Writer, c: Context): { x: number; y: number; width: number; height: number } {
	const { doc } = w;
	const { record, meta, data } = c;
	doc.rect(0, 0, PAGE.width, 8).fill(ACCENT);
	doc.font('bold').fontSize(8).fillColor(ACCENT).text(t('pdf.brand').toUpperCase(), LEFT, MARGIN.top - 8, { characterSpacing: 1.5, lineBreak: false });
	doc.font('regular').fontSize(8).fillColor(MUTED).text(t('snapshot.kind'), LEFT, MARGIN.top - 8, { width: WIDTH, align: 'right', lineBreak: false });
	doc.y = MARGIN.top + 40;
	w.text(c.title, { font: 'bold', size: 26, lineGap: 2, gap: 4 });
	if (c.place) w.text(c.place, { size: 14, color: MUTED, gap: 4 });
	const description = printable(data.meta.description).trim();
	if (description) {
		w.gap(6);
		w.text(shorten(description, REPORT_LIMITS.mapDescription).text, { size: 10, lineGap: 2 });
	}
	w.gap(18);

	// Four figures at a glance.
	const contributors = Object.values(meta.counts.contributors).reduce<number>((sum, n) => sum + (n ?? 0), 0);
	const stats: Array<[number, string]> = [
		[data.assets.length, t('pdf.statAssets')],
		[data.goals.length, t('pdf.statGoals')],
		[data.links.filter((link) => link.kind === 'connects').length, t('pdf.statConnections')],
		[contributors, t('pdf.statContributors')]
	];
	const top = doc.y;
	const boxWidth = (WIDTH - 3 * 10) / 4;
	stats.forEach(([value, label], i) => {
		const x = LEFT + i * (boxWidth + 10);
		doc.roundedRect(x, top, boxWidth, 48, 4).fill(PANEL);
		doc.font('bold').fontSize(20).fillColor(ACCENT).text(count(value), x + 10, top + 7, { width: boxWidth - 20, lineBreak: false });
		doc.font('regular').fontSize(8).fillColor(MUTED).text(label, x + 10, top + 33, { width: boxWidth - 20, lineBreak: false });
	});
	doc.y = top + 48 + 20;

	// Beside when and by whom, the contents (filled in once every section's page is known).
	const bandTop = doc.y;
	const detailsWidth = 260;
	w.labelled(t('pdf.takenAt'), dateTime(record.takenAt), detailsWidth);
	if (record.takenBy) {
		const name = oneLine(record.takenBy.name);
		const affiliation = record.takenBy.affiliation ? t(`affiliation.${record.takenBy.affiliation}` as MessageKey) : null;
		w.labelled(t('pdf.takenBy'), affiliation ? t('pdf.takenByWith', { name, affiliation }) : name, detailsWidth);
	}
	const url = oneLine(meta.url);
	w.text(t('pdf.address').toUpperCase(), { font: 'bold', size: 7, color: MUTED, gap: 2 });
	doc.font('regular').fontSize(8.5).fillColor(ACCENT).text(url, LEFT, doc.y, { width: detailsWidth, lineGap: 1.5, link: /^https?:\/\//.test(url) ? url : undefined });
	const contentsBox = { x: LEFT + detailsWidth + 24, y: bandTop, width: WIDTH - detailsWidth - 24, height: CONTENTS_HEIGHT };
	doc.y = Math.max(doc.y, bandTop + CONTENTS_HEIGHT) + 18;

	w.text(t('snapshot.cite'), { font: 'bold', size: 11, gap: 6 });
	w.labelled(t('snapshot.apa'), printable(c.citation.apa));
	w.labelled(t('snapshot.plain'), printable(c.citation.plain));
	w.gap(4);

	w.text(t('snapshot.hash'), { font: 'bold', size: 11, gap: 6 });
	w.text(record.sha256, { font: 'mono', size: 9, gap: 4 });
	const file = exportFileName(meta.title, 'geojson', `-snapshot-${new Date(record.takenAt).toISOString().slice(0, 10)}`);
	w.text(t('pdf.hashCheck', { file }), { size: 8.5, color: MUTED, gap: 2 });
	w.text(t('snapshot.hashHint'), { size: 8.5, color: MUTED, gap: 8 });
	if (record.png && record.pngSha256) {
		w.text(t('pdf.pngHash').toUpperCase(), { font: 'bold', size: 7, color: MUTED, gap: 2 });
		w.text(record.pngSha256, { font: 'mono', size: 9, gap: 8 });
	}
	w.text(t('snapshot.frozen'), { font: 'italic', size: 8.5, color: MUTED, lineGap: 1.5 });
	return contentsBox;
}

/** The contents, drawn on the cover once every section's page is known. */
function contents(w: Writer, box: { x: number; y: number; width: number; height: number }): void {
	const { doc } = w;
	doc.switchToPage(0);
	doc.roundedRect(box.x, box.y, box.width, box.height, 4).fill(PANEL);
	doc.font('bold').fontSize(7).fillColor(MUTED).text(t('pdf.contents').toUpperCase(), box.x + 10, box.y + 9, { lineBreak: false });
	w.sections.slice(0, SECTIONS).forEach(({ title, page }, i) => {
		const y = box.y + 24 + i * 14;
		doc.font('regular').fontSize(8).fillColor(INK);
		doc.text(fitted(doc, title, box.width - 44), box.x + 10, y, { lineBreak: false });
		doc.fillColor(MUTED).text(String(page + 1), box.x + box.width - 34, y, { width: 24, align: 'right', lineBreak: false });
	});
}

function mapSection(w: Writer, c: Context): void {
	const { doc } = w;
	const picture = c.record.png;
	w.section(t('pdf.map'), picture ? t('pdf.mapPicture') : t('pdf.mapDrawn'), { newPage: true });
	const legendHeight = 22 + Math.ceil((CATEGORIES.length + 1) / 4) * 14 + 16;
	const maxHeight = BOTTOM - doc.y - legendHeight;
	let below = picture ? drawPicture(doc, picture, LEFT, doc.y, WIDTH, maxHeight) : null;
	const vector = below === null;
	if (below === null) below = drawVectorMap(doc, c.data, LEFT, doc.y, WIDTH, maxHeight);
	doc.y = drawLegend(doc, c.data, LEFT, below + 12, WIDTH, vector);
	doc.x = LEFT;
}

function namesList(names: string[], limit: number): string {
	const shown = names.slice(0, limit).join(' · ');
	return names.length > limit ? `${shown} · ${t('pdf.andMore', { count: count(names.length - limit) })}` : shown;
}

function goalsSection(w: Writer, c: Context): void {
	const { doc } = w;
	w.section(t('snapshot.goals'), c.data.goals.length > 0 ? t('pdf.goalsIntro') : undefined, { newPage: true });
	if (c.data.goals.length === 0) {
		w.text(t('snapshot.noGoals'), { color: MUTED });
		return;
	}
	const horizons: Record<Goal['horizon'], MessageKey> = { short: 'goals.horizon.short', long: 'goals.horizon.long' };
	for (const goal of c.data.goals) {
		w.ensure(60);
		const supporters = [...(c.data.index.assetsOfGoal.get(goal.id) ?? [])].map((id) => c.data.index.assets.get(id)).filter((a): a is Asset => a !== undefined);
		// In the order the assets were added, like the inventory.
		const order = new Map(c.data.assets.map((asset, i) => [asset.id, i]));
		supporters.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
		w.text(oneLine(goal.title) || t('snapshot.unnamed'), { font: 'bold', size: 11, gap: 2 });
		w.text(t('pdf.goalMeta', { horizon: t(horizons[goal.horizon] ?? 'goals.horizon.short'), status: t(`goals.status.${goal.status}` as MessageKey) }), { size: 8, color: ACCENT, gap: 3 });
		const description = printable(goal.description).trim();
		if (description) w.text(shorten(description, REPORT_LIMITS.goalDescription).text, { size: 9, gap: 3, lineGap: 1.5 });
		if (supporters.length === 0) w.text(t('snapshot.goalNoAssets'), { size: 8.5, color: MUTED });
		else {
			const heading = supporters.length === 1 ? t('pdf.supportedByOne') : t('pdf.supportedBy', { count: count(supporters.length) });
			doc.font('bold').fontSize(8.5).fillColor(INK).text(`${heading}: `, LEFT, doc.y, { width: WIDTH, continued: true, lineGap: 1.5 });
			doc.font('regular').fillColor(INK).text(namesList(supporters.map(assetName), REPORT_LIMITS.namesPerGoal), { lineGap: 1.5 });
		}
		const nextSteps = printable(goal.nextSteps).trim();
		if (nextSteps) {
			w.gap(4);
			w.text(t('pdf.nextSteps'), { font: 'bold', size: 8.5, gap: 1 });
			w.text(shorten(nextSteps, REPORT_LIMITS.nextSteps).text, { size: 9, lineGap: 1.5 });
		}
		timeline(w, c, c.progress.get(goal.id) ?? []);
		w.gap(12);
	}
}

/** Who changed a goal's status: their name only when the map opted in (meta.progressNames), else their affiliation. */
function changedBy(c: Context, entry: GoalProgress): string {
	const affiliation = entry.by ? t(`affiliation.${entry.by.affiliation}` as MessageKey) : null;
	const name = c.meta.progressNames?.[entry.id];
	const named = typeof name === 'string' ? oneLine(name) : '';
	if (named) return affiliation ? t('pdf.timelineBy', { name: named, affiliation }) : named;
	return affiliation ?? t('pdf.timelineSomeone');
}

/** A goal's status changes, oldest first: date, from → to, who, and the note under it. */
function timeline(w: Writer, c: Context, entries: GoalProgress[]): void {
	if (entries.length === 0) return;
	const { doc } = w;
	w.gap(4);
	w.ensure(30);
	w.text(t('pdf.timeline'), { font: 'bold', size: 8.5, gap: 2 });
	const shown = entries.slice(-REPORT_LIMITS.timeline);
	if (entries.length > shown.length) w.text(t('pdf.timelineEarlier', { count: count(entries.length - shown.length) }), { size: 8, color: MUTED, indent: 10, gap: 1 });
	const status = (value: GoalProgress['to']) => t(`goals.status.${value}` as MessageKey);
	for (const entry of shown) {
		w.ensure(14);
		const change = entry.from === null ? t('pdf.timelineStart', { to: status(entry.to) }) : t('pdf.timelineChange', { from: status(entry.from), to: status(entry.to) });
		doc.font('regular').fontSize(8.5).fillColor(MUTED).text(`${day(entry.at)}   `, LEFT + 10, doc.y, { width: WIDTH - 10, continued: true, lineGap: 1 });
		doc.font('bold').fillColor(INK).text(change, { continued: true });
		doc.font('regular').fillColor(MUTED).text(`   ${changedBy(c, entry)}`, { lineGap: 1 });
		const note = printable(entry.note).trim();
		if (note) w.text(shorten(note, REPORT_LIMITS.progressNote).text, { size: 8.5, indent: 22, lineGap: 1, gap: 1 });
		w.gap(1.5);
	}
}

function annotationsSection(w: Writer, c: Context): void {
	const { doc } = w;
	const annotations: SnapshotAnnotation[] = [...c.record.annotations].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
	w.section(t('snapshot.annotations'), annotations.length > 0 ? t('pdf.annotationsIntro') : undefined);
	if (annotations.length === 0) {
		w.text(t('snapshot.noAnnotations'), { color: MUTED });
		return;
	}
	for (const annotation of annotations) {
		w.ensure(56);
		const page = w.page;
		const top = doc.y;
		const indent = 10;
		const by = t(annotation.by === 'facilitator' ? 'pdf.annotationBy.facilitator' : 'pdf.annotationBy.annotator');
		w.text(`${dateTime(annotation.at)} · ${by}`, { font: 'bold', size: 8.5, indent, gap: 2 });
		const labels = annotation.competencies.map((id) => COMPETENCY_LABELS.get(id)).filter((label): label is string => label !== undefined);
		if (labels.length > 0) w.text(t('pdf.competencies', { list: labels.join(' · ') }), { size: 8.5, color: ACCENT, indent, gap: 3 });
		w.text(printable(annotation.text).trim(), { size: 9.5, indent, lineGap: 2 });
		if (w.page === page) doc.moveTo(LEFT + 1, top).lineTo(LEFT + 1, doc.y).lineWidth(2).strokeColor(ACCENT).stroke();
		w.gap(12);
	}
}

function linksSection(w: Writer, c: Context): void {
	const { doc } = w;
	const connects = c.data.links.filter((link) => link.kind === 'connects');
	w.section(t('pdf.links'), connects.length > 0 ? t('pdf.linksIntro') : undefined);
	if (connects.length === 0) {
		w.text(t('pdf.noLinks'), { color: MUTED });
		return;
	}
	const name = (id: string) => {
		const asset = c.data.index.assets.get(id);
		return asset ? assetName(asset) : t('snapshot.unnamed');
	};
	for (const link of connects.slice(0, REPORT_LIMITS.links)) {
		w.ensure(14);
		doc.font('regular').fontSize(9).fillColor(INK).text(`${name(link.from)}  ↔  ${name(link.to)}`, LEFT, doc.y, { width: WIDTH, continued: Boolean(link.note.trim()), lineGap: 1 });
		const note = oneLine(link.note);
		if (note) doc.fillColor(MUTED).text(`  — ${shorten(note, 300).text}`, { lineGap: 1 });
		w.gap(3);
	}
	if (connects.length > REPORT_LIMITS.links) w.text(t('pdf.moreLinks', { count: count(connects.length - REPORT_LIMITS.links) }), { size: 8.5, color: MUTED });
}

function contributorsSection(w: Writer, c: Context): void {
	const { doc } = w;
	const counts = c.meta.counts.contributors;
	const rows = AFFILIATIONS.filter((a) => (counts[a] ?? 0) > 0).map((a): [Affiliation, number] => [a, counts[a] ?? 0]);
	w.section(t('pdf.contributors'), t('pdf.contributorsIntro'), { room: 16 * (rows.length + 1) + 4 });
	if (rows.length === 0) {
		w.text(t('pdf.noContributors'), { color: MUTED });
		return;
	}
	const total = rows.reduce((sum, [, n]) => sum + n, 0);
	const tableWidth = 300;
	const named = c.meta.contributorNames;
	for (const [affiliation, n] of rows) {
		const names = named?.[affiliation] ?? [];
		if (names.length > 0) w.ensure(16 + 12 * Math.ceil(names.length / 6));
		const y = doc.y;
		const group = affiliationGroup(affiliation);
		doc.rect(LEFT, y + 2, 3, 10).fill(group === 'community' ? ACCENT : group === 'campus' ? '#8c6d1f' : RULE);
		doc.font('regular').fontSize(9.5).fillColor(INK).text(t(`affiliation.${affiliation}` as MessageKey), LEFT + 10, y + 1, { width: tableWidth - 60, lineBreak: false });
		doc.text(count(n), LEFT + tableWidth - 50, y + 1, { width: 50, align: 'right', lineBreak: false });
		doc.y = y + 16;
		if (names.length > 0) {
			doc.font('regular').fontSize(8.5).fillColor(MUTED).text(names.join(', '), LEFT + 10, doc.y - 2, { width: tableWidth - 10 });
			doc.y += 3;
		}
		doc.moveTo(LEFT, doc.y - 1).lineTo(LEFT + tableWidth, doc.y - 1).lineWidth(0.4).strokeColor(RULE).stroke();
	}
	const y = doc.y + 2;
	doc.font('bold').fontSize(9.5).fillColor(INK).text(t('pdf.contributorsTotal'), LEFT + 10, y, { lineBreak: false });
	doc.text(count(total), LEFT + tableWidth - 50, y, { width: 50, align: 'right', lineBreak: false });
	doc.x = LEFT;
	doc.y = y + 16;
}

interface Column {
	label: string;
	width: number;
	align: 'left' | 'right';
}

/** A table: a bold header row, rows with rules between them, the header again on a new page; `bold` rows (a total) in bold. */
function table(w: Writer, caption: string, columns: Column[], rows: Array<{ cells: string[]; bold?: boolean }>): void {
	const { doc } = w;
	const rowHeight = 14;
	const header = () => {
		const y = doc.y;
		let x = LEFT;
		doc.font('bold').fontSize(7.5).fillColor(MUTED);
		for (const column of columns) {
			doc.text(fitted(doc, column.label.toUpperCase(), column.width - 4), x + 2, y, { width: column.width - 4, align: column.align, lineBreak: false });
			x += column.width;
		}
		doc.y = y + 11;
		doc.moveTo(LEFT, doc.y).lineTo(LEFT + columns.reduce((sum, col) => sum + col.width, 0), doc.y).lineWidth(0.6).strokeColor(INK).stroke();
		doc.y += 3;
	};
	w.ensure(16 + 12 + rowHeight * Math.min(rows.length, 3));
	w.text(caption, { font: 'bold', size: 9.5, gap: 3 });
	header();
	const tableWidth = columns.reduce((sum, col) => sum + col.width, 0);
	for (const row of rows) {
		if (doc.y + rowHeight > BOTTOM) {
			w.newPage();
			header();
		}
		const y = doc.y;
		let x = LEFT;
		doc.font(row.bold ? 'bold' : 'regular').fontSize(9).fillColor(INK);
		row.cells.forEach((cell, i) => {
			const column = columns[i];
			doc.text(fitted(doc, cell, column.width - 4), x + 2, y + 1, { width: column.width - 4, align: column.align, lineBreak: false });
			x += column.width;
		});
		doc.y = y + rowHeight;
		doc.moveTo(LEFT, doc.y - 1.5).lineTo(LEFT + tableWidth, doc.y - 1.5).lineWidth(0.4).strokeColor(RULE).stroke();
	}
	doc.x = LEFT;
	w.gap(10);
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

function voicesSection(w: Writer, c: Context): void {
	const v = c.voices;
	w.section(t('pdf.voices'), t(v.source === 'journal' ? 'pdf.voicesIntro.journal' : 'pdf.voicesIntro.document'), { room: 110 });
	if (v.anonymousAnswers > 0) w.text(v.anonymousAnswers === 1 ? t('pdf.voicesAnonymousOne') : t('pdf.voicesAnonymous', { count: count(v.anonymousAnswers) }), { size: 8.5, color: MUTED, gap: 4 });
	if (v.truncated) w.text(t('pdf.voicesTruncated', { count: count(v.total) }), { size: 8.5, color: MUTED, gap: 4 });
	if (v.total === 0) {
		w.text(t('pdf.voicesNone'), { color: MUTED });
		return;
	}
	w.gap(4);
	// Community and campus always; "other" and "not recorded" when there are any, as columns and rows.
	const groups = VOICE_GROUPS.filter((group) => group === 'community' || group === 'campus' || v.groups[group].count > 0);
	const groupLabel = (group: VoiceGroup) => t(`voices.group.${group}` as MessageKey);
	const number = (label: string, width = 66): Column => ({ label, width, align: 'right' });

	table(w, t('voices.byGroup'), [{ label: t('voices.col.group'), width: 270, align: 'left' }, number(t('voices.col.count'), 96), number(t('voices.col.share'))], [
		...groups.map((group) => ({ cells: [`${groupLabel(group)} (${t(`voices.groupHint.${group}` as MessageKey)})`, count(v.groups[group].count), percent(v.groups[group].share)] })),
		{ cells: [t('voices.col.total'), count(v.total), percent(1)], bold: true }
	]);

	if (v.dominance) {
		const { group, share } = v.dominance;
		w.ensure(70);
		const top = w.doc.y;
		w.text(t(`voices.dominant.${group}`, { percent: Math.round(share * 100) }), { font: 'bold', size: 9.5, indent: 10, gap: 2 });
		w.text(t(`voices.dominantHint.${group}`), { size: 9, indent: 10, gap: 4, lineGap: 1.5 });
		w.text(t('voices.questionHeading'), { font: 'bold', size: 8, color: ACCENT, indent: 10, gap: 2 });
		w.text(t(`voices.question.${group}.1`), { font: 'italic', size: 9.5, indent: 10, lineGap: 1.5 });
		w.doc.moveTo(LEFT + 1, top).lineTo(LEFT + 1, w.doc.y).lineWidth(2).strokeColor(ACCENT).stroke();
		w.gap(12);
	}

	const affiliations = [...AFFILIATIONS, 'unknown' as const].filter((a) => a !== 'unknown' || v.affiliations.unknown.count > 0);
	table(w, t('voices.byAffiliation'), [{ label: t('voices.col.affiliation'), width: 160, align: 'left' }, { label: t('voices.col.group'), width: 110, align: 'left' }, number(t('voices.col.count'), 96), number(t('voices.col.share'))], [
		...affiliations.map((a) => {
			const group: VoiceGroup = a === 'unknown' ? 'unknown' : (affiliationGroup(a) ?? 'other');
			return { cells: [a === 'unknown' ? groupLabel('unknown') : t(`affiliation.${a}` as MessageKey), groupLabel(group), count(v.affiliations[a].count), percent(v.affiliations[a].share)] };
		}),
		{ cells: [t('voices.col.total'), '', count(v.total), percent(1)], bold: true }
	]);

	const groupColumns = [...groups.map((group) => number(groupLabel(group))), number(t('voices.col.total'))];
	const groupCells = (counts: GroupCounts) => [...groups.map((group) => count(counts[group])), count(counts.total)];

	table(w, t('voices.byCollection'), [{ label: t('voices.col.kind'), width: 130, align: 'left' }, ...groupColumns], [
		...(['assets', 'goals', 'links', 'responses'] as const).map((collection) => ({ cells: [t(`voices.collection.${collection}`), ...groupCells(v.collections[collection])] }))
	]);

	const days = v.days.filter((d) => d.total > 0);
	const listed = days.slice(-REPORT_LIMITS.voiceDays);
	table(w, t('voices.perDay'), [{ label: t('voices.col.day'), width: 130, align: 'left' }, ...groupColumns], [
		...listed.map((d) => ({ cells: [day(Date.parse(`${d.day}T00:00:00Z`)), ...groupCells(d)] })),
		{ cells: [t('voices.col.total'), ...groupCells(v.days.reduce(addCounts, emptyCounts()))], bold: true }
	]);
	const notes = [t('pdf.voicesDaysNote')];
	if (days.length > listed.length) notes.push(t('pdf.voicesMoreDays', { count: count(days.length - listed.length) }));
	if (v.outside.total > 0) notes.push(t('pdf.voicesOutside', { count: count(v.outside.total) }));
	w.doc.y -= 6;
	w.text(notes.join(' '), { size: 8, color: MUTED, gap: 10 });

	table(w, t('voices.byCategory'), [{ label: t('voices.col.category'), width: 130, align: 'left' }, ...groupColumns], [
		...v.categories.filter((row) => row.category !== 'unknown' || row.total > 0).map((row) => ({ cells: [categoryLabel(row.category === 'unknown' ? null : row.category), ...groupCells(row)] })),
		{ cells: [t('voices.col.total'), ...groupCells(v.collections.assets)], bold: true }
	]);
}

function addCounts(sum: GroupCounts, counts: GroupCounts): GroupCounts {
	return { community: sum.community + counts.community, campus: sum.campus + counts.campus, other: sum.other + counts.other, unknown: sum.unknown + counts.unknown, total: sum.total + counts.total };
}

function assetsSection(w: Writer, c: Context): void {
	const { doc } = w;
	const { assets } = c.data;
	const listed = assets.slice(0, REPORT_LIMITS.assets);
	const intro = assets.length > 0 ? `${t('pdf.assetsIntro')} ${t('pdf.assetsShortened', { count: count(REPORT_LIMITS.assetDescription) })}` : undefined;
	w.section(t('pdf.assets'), intro, { newPage: true });
	if (assets.length === 0) {
		w.text(t('snapshot.noAssets'), { color: MUTED });
		return;
	}
	const groups = new Map<Category | null, Asset[]>([...CATEGORIES, null].map((category) => [category, []]));
	for (const asset of listed) groups.get(CATEGORIES.includes(asset.category as Category) ? asset.category : null)!.push(asset);
	const totals = new Map<Category | null, number>();
	for (const asset of assets) totals.set(asset.category, (totals.get(asset.category) ?? 0) + 1);
	const coordinateWidth = 118;
	const nameWidth = WIDTH - coordinateWidth - 8;
	for (const [category, members] of groups) {
		if (members.length === 0) continue;
		w.ensure(70);
		const total = totals.get(category) ?? members.length;
		const top = doc.y;
		doc.lineWidth(0.6).circle(LEFT + 5, top + 6.5, 5).fillAndStroke(categoryStyle(category).color, INK);
		const label = categoryLabel(category);
		doc.font('bold').fontSize(12.5).fillColor(INK).text(label, LEFT + 16, top, { lineBreak: false });
		const labelWidth = doc.widthOfString(label);
		doc.font('regular').fontSize(9).fillColor(MUTED).text(total === 1 ? t('pdf.categoryCountOne') : t('pdf.categoryCount', { count: count(total) }), LEFT + 16 + labelWidth + 8, top + 3.2, { lineBreak: false });
		doc.x = LEFT;
		doc.y = top + 18;
		w.rule();
		w.gap(6);
		for (const asset of members) {
			w.ensure(34);
			const y = doc.y;
			const [lon, lat] = asset.geometry.type === 'Point' ? asset.geometry.coordinates : geometryAnchor(asset.geometry);
			const where = `${t(`pdf.geometry.${asset.geometry.type}` as MessageKey)} · ${t('pdf.lonLat', { lon: coordinate(lon), lat: coordinate(lat) })}`;
			doc.font('regular').fontSize(7.5).fillColor(MUTED).text(where, LEFT + WIDTH - coordinateWidth, y + 1.5, { width: coordinateWidth, align: 'right', lineBreak: false });
			doc.font('bold').fontSize(9.5).fillColor(INK).text(assetName(asset), LEFT, y, { width: nameWidth, lineGap: 0.5 });
			const holder = oneLine(asset.holder);
			if (holder) w.text(t('pdf.heldBy', { holder }), { size: 8, color: MUTED, gap: 0.5 });
			const description = printable(asset.description).trim();
			if (description) w.text(shorten(description, REPORT_LIMITS.assetDescription).text, { size: 8.5, lineGap: 1, gap: 0.5 });
			const details: string[] = [];
			const tags = asset.tags.map(oneLine).filter(Boolean);
			if (tags.length > 0) details.push(t('pdf.tags', { tags: tags.join(', ') }));
			const goals = goalsSupportedBy(c.data, asset.id).map((goal) => oneLine(goal.title) || t('snapshot.unnamed'));
			if (goals.length > 0) details.push(t('pdf.supports', { goals: namesList(goals, REPORT_LIMITS.goalsPerAsset) }));
			if (details.length > 0) w.text(details.join('   ·   '), { size: 7.5, color: ACCENT });
			w.gap(7);
		}
		w.gap(8);
	}
	if (assets.length > listed.length) w.text(t('pdf.moreAssets', { count: count(assets.length - listed.length), shown: count(listed.length) }), { size: 9, color: MUTED });
}

/** Short citation, short hash and page number, on every page. */
function footers(doc: Doc, c: Context): void {
	const range = doc.bufferedPageRange();
	const short = `${c.title} [${SNAPSHOT_KIND}], ${day(c.record.takenAt)}`;
	for (let i = range.start; i < range.start + range.count; i++) {
		doc.switchToPage(i);
		// Writing below the bottom margin would start a new page.
		const margin = doc.page.margins.bottom;
		doc.page.margins.bottom = 0;
		const y = PAGE.height - 42;
		doc.moveTo(LEFT, y - 6).lineTo(LEFT + WIDTH, y - 6).lineWidth(0.5).strokeColor(RULE).stroke();
		const right = `${t('pdf.footerHash', { hash: shortHash(c.record.sha256) })}   ${t('pdf.page', { page: i + 1, pages: range.count })}`;
		doc.font('regular').fontSize(7.5).fillColor(MUTED);
		const rightWidth = doc.widthOfString(right) + 2;
		doc.text(right, LEFT + WIDTH - rightWidth, y, { width: rightWidth, align: 'right', lineBreak: false });
		doc.text(fitted(doc, short, WIDTH - rightWidth - 16), LEFT, y, { lineBreak: false });
		doc.page.margins.bottom = margin;
	}
}

/** The PDF report of one snapshot. */
export async function snapshotReport(record: SnapshotRecord): Promise<Uint8Array> {
	const source = createDoc();
	applyState(source, record.state);
	const data = mapDataOf(source);
	const meta = record.meta as StoredSnapshotMeta;
	const progress = new Map<string, GoalProgress[]>();
	for (const entry of keptProgress(data, readAllProgress(source))) {
		const list = progress.get(entry.goal);
		if (list) list.push(entry);
		else progress.set(entry.goal, [entry]);
	}
	// Frozen with the snapshot; a snapshot from before they were counts its own document.
	const voices = parseVoices(meta.voices) ?? documentVoices(source);
	source.destroy();
	const title = oneLine(meta.title) || t('snapshot.untitled');
	const place = oneLine(meta.place);
	const cited = citation({ title: meta.title, place: meta.place, takenAt: record.takenAt, url: meta.url, sha256: record.sha256, contributors: meta.counts.contributors });
	const c: Context = { record, meta, data, progress, voices, title, place, citation: cited };
	const lastChange = record.annotations.reduce((latest, a) => Math.max(latest, a.at), record.takenAt);

	const doc = new PDFDocument({
		size: [PAGE.width, PAGE.height],
		margins: MARGIN,
		bufferPages: true,
		lang: 'en',
		displayTitle: true,
		info: {
			Title: `${title} — ${SNAPSHOT_KIND}`,
			Author: citationAuthor(meta.counts.contributors),
			Subject: printable(cited.plain),
			Keywords: 'community asset map, snapshot, asset-based community development',
			Creator: PUBLISHER,
			Producer: `${PUBLISHER} (PDFKit)`,
			CreationDate: new Date(record.takenAt),
			ModDate: new Date(lastChange)
		}
	});
	const chunks: Buffer[] = [];
	doc.on('data', (chunk: Buffer) => chunks.push(chunk));
	const ended = new Promise<void>((resolve, reject) => {
		doc.on('end', resolve);
		doc.on('error', reject);
	});
	for (const [name, bytes] of Object.entries(fontFiles())) doc.registerFont(name, bytes);
	doc.font('regular');

	const w = new Writer(doc);
	const contentsBox = cover(w, c);
	mapSection(w, c);
	goalsSection(w, c);
	annotationsSection(w, c);
	linksSection(w, c);
	contributorsSection(w, c);
	voicesSection(w, c);
	assetsSection(w, c);
	contents(w, contentsBox);
	footers(doc, c);
	doc.end();
	await ended;
	const bytes = Buffer.concat(chunks);
	return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
