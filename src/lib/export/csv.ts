/**
 * CSV (RFC 4180): one row per public asset, CRLF line ends, UTF-8 with a byte-order mark
 * so spreadsheet apps read accents right. A cell of user text that a spreadsheet would
 * run as a formula (starting with = + - @, a tab or a carriage return) gets a leading
 * apostrophe; the numbers we write (longitude, latitude) are left as numbers.
 */
import { geometryAnchor } from '../doc/geometry.ts';
import { goalsSupportedBy, type MapData } from './map-data.ts';

export const CSV_COLUMNS = ['id', 'name', 'category', 'description', 'holder', 'tags', 'lon', 'lat', 'geometry', 'goals', 'goal_ids', 'added_by', 'created_at'] as const;

const FORMULA_START = /^[=+\-@\t\r]/;

/** A user-text cell made safe to open in a spreadsheet. */
export function neutralise(text: string): string {
	return FORMULA_START.test(text) ? `'${text}` : text;
}

function cell(value: string): string {
	return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function toCsv(data: MapData): string {
	const rows: string[][] = [[...CSV_COLUMNS]];
	for (const asset of data.assets) {
		const [lon, lat] = geometryAnchor(asset.geometry);
		const goals = goalsSupportedBy(data, asset.id);
		rows.push([
			asset.id,
			neutralise(asset.name),
			asset.category ?? 'unknown',
			neutralise(asset.description),
			neutralise(asset.holder),
			neutralise(asset.tags.join('; ')),
			String(lon),
			String(lat),
			asset.geometry.type,
			neutralise(goals.map((goal) => goal.title).join('; ')),
			goals.map((goal) => goal.id).join('; '),
			asset.createdBy?.affiliation ?? '',
			new Date(asset.createdAt).toISOString()
		]);
	}
	return `\uFEFF${rows.map((row) => row.map(cell).join(',')).join('\r\n')}\r\n`;
}
