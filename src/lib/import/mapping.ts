/**
 * Which column feeds which field of an asset. Guessed from the header's names (in English
 * and a few common variants), and the person can change each one before importing.
 */
import type { ImportFormat } from './source.ts';

export const IMPORT_FIELDS = ['name', 'category', 'lon', 'lat', 'geometry', 'description', 'holder', 'tags'] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];

/** A column name per field, or null when nothing feeds it. */
export type ColumnMapping = Record<ImportField, string | null>;

/** Fields whose column the person picks: GeoJSON and KML features carry their own geometry. */
export function mappedFields(format: ImportFormat): ImportField[] {
	return format === 'csv' ? [...IMPORT_FIELDS] : IMPORT_FIELDS.filter((field) => field !== 'lon' && field !== 'lat' && field !== 'geometry');
}

/** Names each field is known by, best first, compared as normalizeHeader leaves them. */
const SYNONYMS: Record<ImportField, string[]> = {
	name: ['name', 'title', 'assetname', 'asset', 'label', 'nom', 'nombre'],
	category: ['category', 'type', 'assettype', 'categorie', 'categoria', 'class'],
	lon: ['lon', 'lng', 'longitude', 'long', 'x', 'xcoord', 'xcoordinate', 'lonx'],
	lat: ['lat', 'latitude', 'y', 'ycoord', 'ycoordinate', 'laty'],
	geometry: ['geometry', 'geom', 'wkt', 'thegeom', 'shape', 'geojson'],
	description: ['description', 'notes', 'note', 'desc', 'details', 'comment', 'comments', 'about'],
	holder: ['holder', 'organization', 'organisation', 'owner', 'steward', 'whostewardsit', 'org', 'contact'],
	tags: ['tags', 'tag', 'keywords', 'keyword', 'labels']
};

/** Lower case, accents and everything but letters and digits left out: "Longitude (°)" is "longitude". */
export function normalizeHeader(name: string): string {
	return name
		.normalize('NFD')
		.replace(/\p{Diacritic}/gu, '')
		.toLowerCase()
		.replace(/[^a-z0-9]/g, '');
}

/** The likely column of each field; a column feeds one field at most. */
export function guessMapping(columns: string[], format: ImportFormat): ColumnMapping {
	const mapping = Object.fromEntries(IMPORT_FIELDS.map((field) => [field, null])) as ColumnMapping;
	const normalized = columns.map(normalizeHeader);
	const used = new Set<number>();
	for (const field of mappedFields(format)) {
		for (const synonym of SYNONYMS[field]) {
			const index = normalized.findIndex((name, i) => name === synonym && !used.has(i));
			if (index >= 0) {
				mapping[field] = columns[index];
				used.add(index);
				break;
			}
		}
	}
	return mapping;
}
