/**
 * A chosen file turned into records the preview can judge: CSV rows by their header, or
 * GeoJSON and KML features by their properties and geometry. Nothing here changes a map.
 * Pure apart from KML, which needs an XML parser (the browser's DOMParser; tests pass one).
 */
import type { MessageKey } from '../i18n/en.ts';
import { parseCsv } from './csv.ts';

export type ImportFormat = 'csv' | 'geojson' | 'kml';

/** The largest file and the most rows one import takes, with a clear message past either. */
export const IMPORT_LIMITS = { bytes: 5 * 1024 * 1024, rows: 5000 } as const;

export interface SourceRecord {
	/** What the person finds it by: the spreadsheet row (the header is row 1), or the feature's number. */
	row: number;
	/** Cells by column (CSV: text), or a feature's properties as written. */
	values: Record<string, unknown>;
	/** A feature's geometry as written (GeoJSON, KML); absent for CSV. */
	geometry?: unknown;
	/** One of our own exports' connections between two assets: not an asset, so not imported. */
	connection?: boolean;
}

export interface ImportSource {
	format: ImportFormat;
	/** Column names (CSV header, or the properties the features have), for the mapping form. */
	columns: string[];
	records: SourceRecord[];
}

/** A file that cannot be imported at all; `key` and `params` make the person's sentence. */
export class ImportError extends Error {
	constructor(
		readonly key: MessageKey,
		readonly params: Record<string, string | number> = {}
	) {
		super(key);
		this.name = 'ImportError';
	}
}

const megabytes = (bytes: number) => Math.round((bytes / (1024 * 1024)) * 10) / 10;

/** Before reading a file: refused when it is larger than IMPORT_LIMITS.bytes. */
export function checkFileSize(bytes: number): void {
	if (bytes > IMPORT_LIMITS.bytes) {
		throw new ImportError('import.error.tooBig', { size: megabytes(bytes), max: megabytes(IMPORT_LIMITS.bytes) });
	}
}

/**
 * The file's text: UTF-8 (with or without a byte-order mark), or, when it is not valid
 * UTF-8, Windows-1252, which older spreadsheet apps still save CSV in.
 */
export function decodeText(bytes: Uint8Array): string {
	try {
		return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
	} catch {
		return new TextDecoder('windows-1252').decode(bytes);
	}
}

/** By the file's extension, or else by how its text begins. */
export function formatOf(fileName: string, text: string): ImportFormat {
	const extension = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase() ?? '';
	if (extension === 'kmz') throw new ImportError('import.error.kmz');
	if (['csv', 'tsv', 'txt', 'tab'].includes(extension)) return 'csv';
	if (['geojson', 'json'].includes(extension)) return 'geojson';
	if (extension === 'kml') return 'kml';
	const start = text.trimStart()[0];
	if (start === '{' || start === '[') return 'geojson';
	if (start === '<') return 'kml';
	return 'csv';
}

function tooMany(count: number): ImportError {
	return new ImportError('import.error.tooManyRows', { count, max: IMPORT_LIMITS.rows });
}

/** Column names made unique and never empty, so each can be chosen in the mapping form. */
function columnNames(header: string[]): string[] {
	const seen = new Map<string, number>();
	return header.map((raw, index) => {
		const name = raw.trim() || `#${index + 1}`;
		const count = (seen.get(name) ?? 0) + 1;
		seen.set(name, count);
		return count === 1 ? name : `${name} (${count})`;
	});
}

export function csvSource(text: string): ImportSource {
	const { rows } = parseCsv(text);
	if (rows.length === 0) throw new ImportError('import.error.empty');
	const columns = columnNames(rows[0]);
	const body = rows.slice(1);
	if (body.length === 0) throw new ImportError('import.error.noRows');
	if (body.length > IMPORT_LIMITS.rows) throw tooMany(body.length);
	const records = body.map((cells, index) => ({
		row: index + 2,
		values: Object.fromEntries(columns.map((column, i) => [column, cells[i] ?? '']))
	}));
	return { format: 'csv', columns, records };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const GEOMETRY_TYPES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection']);
/** KML styling that togeojson copies into properties: not something to map to a field. */
const STYLE_PROPERTY = /^(style|stroke|fill|icon|label|visibility|timespan|timestamp|@)/i;
const MAX_COLUMNS = 200;

/** Records from GeoJSON features (or from KML turned into them). */
export function featureSource(features: unknown[], format: ImportFormat): ImportSource {
	const columns: string[] = [];
	const seen = new Set<string>();
	const records: SourceRecord[] = [];
	let assets = 0;
	features.forEach((feature, index) => {
		const properties = isRecord(feature) && isRecord(feature.properties) ? feature.properties : {};
		const geometry = isRecord(feature) ? (feature.type === 'Feature' ? feature.geometry : GEOMETRY_TYPES.has(String(feature.type)) ? feature : null) : null;
		const connection = properties.kind === 'connects';
		if (!connection && ++assets > IMPORT_LIMITS.rows) throw tooMany(features.length);
		for (const [key, value] of Object.entries(properties)) {
			if (seen.has(key) || columns.length >= MAX_COLUMNS || (format === 'kml' && STYLE_PROPERTY.test(key))) continue;
			if (isRecord(value) && typeof value.value !== 'string') continue;
			seen.add(key);
			columns.push(key);
		}
		records.push({ row: index + 1, values: properties, geometry: geometry ?? null, ...(connection ? { connection } : {}) });
	});
	if (records.length === 0) throw new ImportError('import.error.noFeatures');
	return { format, columns, records };
}

export function geoJsonSource(text: string): ImportSource {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		throw new ImportError('import.error.badJson');
	}
	if (Array.isArray(value)) return featureSource(value, 'geojson');
	if (!isRecord(value)) throw new ImportError('import.error.notGeoJson');
	if (value.type === 'FeatureCollection' && Array.isArray(value.features)) return featureSource(value.features, 'geojson');
	if (value.type === 'Feature' || GEOMETRY_TYPES.has(String(value.type))) return featureSource([value], 'geojson');
	throw new ImportError('import.error.notGeoJson');
}

/** What parses XML: the browser's DOMParser, or @xmldom/xmldom's in tests. */
export interface XmlParser {
	parseFromString(text: string, type: 'text/xml'): unknown;
}

export async function kmlSource(text: string, parser?: XmlParser): Promise<ImportSource> {
	// Loaded only when a KML file is chosen, so the map page does not carry it.
	const { kmlFeatures } = await import('./kml.ts');
	return featureSource(kmlFeatures(text, parser), 'kml');
}

/** The file's records, or ImportError saying why it cannot be read. */
export async function readSource(fileName: string, bytes: Uint8Array, parser?: XmlParser): Promise<ImportSource> {
	checkFileSize(bytes.byteLength);
	const text = decodeText(bytes);
	if (!text.trim()) throw new ImportError('import.error.empty');
	const format = formatOf(fileName, text);
	if (format === 'csv') return csvSource(text);
	if (format === 'geojson') return geoJsonSource(text);
	return kmlSource(text, parser);
}
