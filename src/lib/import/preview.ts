/**
 * What an import would add, judged row by row before anything is written: each row becomes
 * an asset exactly as the asset form would save it (cleanNewAsset, selfCrossings), or a reason it cannot
 * (an i18n key with its values). Categories the map does not know take the default the
 * person picks. Text stays plain text: trimmed, within the model's limits, never markup.
 */
import { CATEGORIES, LIMITS, type AssetFields, type Category } from '../doc/model.ts';
import { cleanNewAsset } from '../doc/mutations.ts';
import { selfCrossings } from '../doc/geometry.ts';
import { InvalidInputError, parseGeometry, parseTags } from '../doc/validate.ts';
import type { MessageKey } from '../i18n/en.ts';
import { t } from '../i18n/index.ts';
import { parseGeometryCell } from './geometry-cell.ts';
import type { ColumnMapping } from './mapping.ts';
import type { ImportSource, SourceRecord } from './source.ts';

export interface Reason {
	key: MessageKey;
	params?: Record<string, string | number>;
}

export interface ImportRow {
	/** Where it came from (SourceRecord.row). */
	row: number;
	fields: AssetFields;
	/** The category as the file wrote it, when the map does not know it (the default was given). */
	categoryAsWritten: string | null;
	/** A line or an area that our CSV export carried as its middle point only: imported as that point. */
	pointFrom: 'LineString' | 'Polygon' | null;
}

export interface Rejection {
	row: number;
	reason: Reason;
}

export interface ImportPreview {
	ok: ImportRow[];
	rejected: Rejection[];
	/** Category values the map does not know, as written ('' for rows with none), first seen first. */
	unknownCategories: string[];
	/** Connections between assets in one of our exports: not assets, so left out. */
	connections: number;
}

class Rejected extends Error {
	constructor(readonly reason: Reason) {
		super(reason.key);
	}
}
const reject = (key: MessageKey, params?: Record<string, string | number>): never => {
	throw new Rejected({ key, params });
};

/** Our CSV export puts an apostrophe before text a spreadsheet would run as a formula; it is taken off again. */
export function unneutralise(text: string): string {
	return /^'[=+\-@\t\r]/.test(text) ? text.slice(1) : text;
}

/** A cell or property as text: lists joined, KML's HTML descriptions as their text as written. */
function cellText(value: unknown): string {
	if (typeof value === 'string') return unneutralise(value.trim()).trim();
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	if (Array.isArray(value)) return value.map(cellText).filter(Boolean).join('; ');
	if (typeof value === 'object' && value !== null && typeof (value as { value?: unknown }).value === 'string') {
		return cellText((value as { value: string }).value);
	}
	return '';
}

/** One line of text: line breaks and runs of spaces become one space. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

const folded = (text: string) =>
	text
		.normalize('NFD')
		.replace(/\p{Diacritic}/gu, '')
		.toLowerCase()
		.replace(/[^a-z0-9]/g, '');

/** Category ids and labels (this language's and the ids themselves), singular or plural. */
function categoryNames(): Map<string, Category> {
	const names = new Map<string, Category>();
	const add = (name: string, category: Category) => {
		const key = folded(name);
		if (!key) return;
		names.set(key, category);
		if (key.endsWith('s')) names.set(key.slice(0, -1), category);
	};
	for (const category of CATEGORIES) {
		add(category, category);
		add(t(`category.${category}`), category);
	}
	add('organisations', 'organizations');
	return names;
}

/** A number written in a cell: a decimal point, or a decimal comma when that is the only separator in it. */
export function parseCoordinate(text: string): number | null {
	const cell = text.trim().replace(/^\+/, '');
	const normalized = /^-?\d+,\d+$/.test(cell) ? cell.replace(',', '.') : cell;
	if (!/^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(normalized)) return null;
	const value = Number(normalized);
	return Number.isFinite(value) ? value : null;
}

const inRange = ([lng, lat]: number[]) => lng >= -180 && lng <= 180 && lat >= -90 && lat <= 90;
const round = (n: number) => Math.round(n * 1e6) / 1e6;

function outOfRange(lng: number, lat: number): never {
	// Latitude first is a common slip: say so when swapping them would make sense.
	if (inRange([lat, lng])) return reject('import.reason.swapped', { lon: round(lng), lat: round(lat) });
	return reject('import.reason.outOfRange', { lon: round(lng), lat: round(lat) });
}

/** Every position of a GeoJSON-like geometry, or null when the shape of its coordinates is wrong. */
function allPositions(type: string, coordinates: unknown): number[][] | null {
	const depth = type === 'Point' ? 0 : type === 'LineString' ? 1 : 2;
	const out: number[][] = [];
	const walk = (value: unknown, level: number): boolean => {
		if (!Array.isArray(value)) return false;
		if (level === 0) {
			if (value.length < 2 || typeof value[0] !== 'number' || typeof value[1] !== 'number') return false;
			out.push(value as number[]);
			return true;
		}
		return value.every((item) => walk(item, level - 1));
	};
	return walk(coordinates, depth) ? out : null;
}

/**
 * A feature's geometry as the map can hold it: a Point, LineString or Polygon (a Multi- or
 * a collection with a single member is unwrapped; an area's open ring is closed).
 */
function featureGeometry(raw: unknown): AssetFields['geometry'] {
	if (raw === null || raw === undefined) return reject('import.reason.noCoordinates');
	if (typeof raw !== 'object') return reject('import.reason.badGeometry');
	let geometry = raw as { type?: unknown; coordinates?: unknown; geometries?: unknown };
	if (geometry.type === 'GeometryCollection' && Array.isArray(geometry.geometries) && geometry.geometries.length === 1) {
		geometry = geometry.geometries[0] as typeof geometry;
	}
	if (typeof geometry.type === 'string' && geometry.type.startsWith('Multi') && Array.isArray(geometry.coordinates) && geometry.coordinates.length === 1) {
		geometry = { type: geometry.type.slice('Multi'.length), coordinates: geometry.coordinates[0] };
	}
	const type = String(geometry.type);
	if (type !== 'Point' && type !== 'LineString' && type !== 'Polygon') {
		return reject('import.reason.unsupportedGeometry', { type: type.slice(0, 40) });
	}
	const positions = allPositions(type, geometry.coordinates);
	if (!positions || positions.length === 0) return reject('import.reason.badGeometry');
	for (const [lng, lat] of positions) {
		if (!Number.isFinite(lng) || !Number.isFinite(lat)) return reject('import.reason.badGeometry');
		if (!inRange([lng, lat])) return outOfRange(lng, lat);
	}
	if (positions.length > LIMITS.vertices) return reject('import.reason.tooManyCorners', { max: LIMITS.vertices });
	let coordinates = geometry.coordinates;
	if (type === 'Polygon') {
		coordinates = (coordinates as number[][][]).map((ring) => {
			const [first, last] = [ring[0], ring[ring.length - 1]];
			return first && last && (first[0] !== last[0] || first[1] !== last[1]) ? [...ring, first] : ring;
		});
	}
	const parsed = parseGeometry({ type, coordinates });
	if (!parsed) return reject(type === 'Point' ? 'import.reason.badGeometry' : type === 'LineString' ? 'import.reason.shortLine' : 'import.reason.smallArea');
	if (parsed.type === 'Polygon') {
		const crossings = selfCrossings(parsed);
		if (crossings.length > 0) return reject('import.reason.selfCrossing', { lon: round(crossings[0][0]), lat: round(crossings[0][1]) });
	}
	return parsed;
}

function csvGeometry(values: (column: string | null) => string, mapping: ColumnMapping): { geometry: AssetFields['geometry']; pointFrom: ImportRow['pointFrom'] } {
	let pointFrom: ImportRow['pointFrom'] = null;
	const cell = values(mapping.geometry);
	if (cell) {
		const parsed = parseGeometryCell(cell);
		if (parsed.kind === 'unreadable') return reject('import.reason.badGeometryCell');
		if (parsed.kind === 'geometry') return { geometry: featureGeometry(parsed.geometry), pointFrom: null };
		if (parsed.type !== 'Point') pointFrom = parsed.type;
	}
	const lonText = values(mapping.lon);
	const latText = values(mapping.lat);
	if (!lonText || !latText) return reject('import.reason.noCoordinates');
	const lng = parseCoordinate(lonText);
	const lat = parseCoordinate(latText);
	if (lng === null || lat === null) return reject('import.reason.badCoordinates', { value: (lng === null ? lonText : latText).slice(0, 40) });
	if (!inRange([lng, lat])) return outOfRange(lng, lat);
	return { geometry: { type: 'Point', coordinates: [lng, lat] }, pointFrom };
}

/** Tags as a list: a GeoJSON array, or text split at `;` (or at `,` when it has no `;`). */
function tagsOf(value: unknown): string[] {
	if (Array.isArray(value)) return parseTags(value.map(cellText));
	const text = cellText(value);
	if (!text) return [];
	return parseTags(text.split(text.includes(';') ? ';' : ','));
}

function tooLong(text: string, max: number, key: MessageKey): void {
	if (text.length > max) reject(key, { max, length: text.length });
}

/** The reason for a refusal of checkNewAsset that the checks above did not already give. */
function refusalReason(error: InvalidInputError): Reason {
	return { key: error.field === 'name' ? 'import.reason.noName' : 'import.reason.badGeometry' };
}

export function buildPreview(source: ImportSource, mapping: ColumnMapping, defaultCategory: Category): ImportPreview {
	const categories = categoryNames();
	const ok: ImportRow[] = [];
	const rejected: Rejection[] = [];
	const unknown = new Set<string>();
	let connections = 0;

	const judge = (record: SourceRecord): ImportRow => {
		const raw = (column: string | null) => (column === null ? undefined : record.values[column]);
		const text = (column: string | null) => cellText(raw(column));
		const name = oneLine(text(mapping.name));
		if (!name) reject('import.reason.noName');
		tooLong(name, LIMITS.name, 'import.reason.nameTooLong');
		const { geometry, pointFrom } = source.format === 'csv' ? csvGeometry(text, mapping) : { geometry: featureGeometry(record.geometry), pointFrom: null };
		const description = text(mapping.description);
		tooLong(description, LIMITS.description, 'import.reason.descriptionTooLong');
		const holder = oneLine(text(mapping.holder));
		tooLong(holder, LIMITS.holder, 'import.reason.holderTooLong');
		const written = oneLine(text(mapping.category));
		const known = categories.get(folded(written)) ?? null;
		const fields: AssetFields = { name, category: known ?? defaultCategory, description, holder, geometry, tags: tagsOf(raw(mapping.tags)) };
		try {
			// As addAsset judges it (the area's crossings were looked for above, once: on a
			// shape of thousands of corners that takes a while).
			cleanNewAsset(fields);
		} catch (error) {
			if (error instanceof InvalidInputError) throw new Rejected(refusalReason(error));
			throw error;
		}
		return { row: record.row, fields, categoryAsWritten: known ? null : written.slice(0, LIMITS.name), pointFrom };
	};

	for (const record of source.records) {
		if (record.connection) {
			connections++;
			continue;
		}
		try {
			const row = judge(record);
			if (row.categoryAsWritten !== null) unknown.add(row.categoryAsWritten);
			ok.push(row);
		} catch (error) {
			if (!(error instanceof Rejected)) throw error;
			rejected.push({ row: record.row, reason: error.reason });
		}
	}
	return { ok, rejected, unknownCategories: [...unknown], connections };
}
