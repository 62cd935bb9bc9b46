/**
 * Importing assets (src/lib/import/, src/lib/doc/import-mutations.ts): the CSV reader, the
 * column guesses, a preview with every kind of row that cannot be added, the size limits,
 * exports of this app read back to the same assets, and the writing: parts within the
 * server's update limits (judged by the server's own gate), one undo step for the whole.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DOMParser } from '@xmldom/xmldom';
import { detectSeparator, parseCsv } from '../../src/lib/import/csv.ts';
import { checkFileSize, decodeText, formatOf, IMPORT_LIMITS, ImportError, readSource, type ImportSource } from '../../src/lib/import/source.ts';
import { guessMapping, mappedFields, type ColumnMapping } from '../../src/lib/import/mapping.ts';
import { buildPreview, parseCoordinate, unneutralise, type ImportPreview } from '../../src/lib/import/preview.ts';
import { parseWkt } from '../../src/lib/import/geometry-cell.ts';
import { estimateEntry, importAssets, IMPORT_UPDATE_BUDGET } from '../../src/lib/doc/import-mutations.ts';
import { addAsset, LOCAL_ORIGIN } from '../../src/lib/doc/mutations.ts';
import { readAllAssets } from '../../src/lib/doc/schema.ts';
import { geometryAnchor } from '../../src/lib/doc/geometry.ts';
import { OwnUndo } from '../../src/lib/edit/own-undo.ts';
import { InvalidInputError } from '../../src/lib/doc/validate.ts';
import { mapDataOf } from '../../src/lib/export/map-data.ts';
import { toCsv } from '../../src/lib/export/csv.ts';
import { toGeoJson } from '../../src/lib/export/geojson.ts';
import { toKml } from '../../src/lib/export/kml.ts';
import { connectAssets } from '../../src/lib/doc/link-mutations.ts';
import type { AssetFields, Category, Contributor } from '../../src/lib/doc/model.ts';
import { en } from '../../src/lib/i18n/en.ts';
import { measureUpdate, UPDATE_LIMITS } from '../../server/room/update-shape.ts';
import { MAX_PAYLOAD_BYTES } from '../../server/sync-server.ts';
import { checkUpdate } from '../../server/room/write-gate.ts';

const ana: Contributor = { id: 'ana-device', name: 'Ana', affiliation: 'community-organization' };
const bytes = (text: string) => new TextEncoder().encode(text);
const xml = new DOMParser();

async function preview(name: string, text: string, defaultCategory: Category = 'places', change: Partial<ColumnMapping> = {}) {
	const source = await readSource(name, bytes(text), xml);
	const mapping = { ...guessMapping(source.columns, source.format), ...change };
	return { source, mapping, preview: buildPreview(source, mapping, defaultCategory) };
}

/** Each rejection as `row: key`, to compare whole lists at once. */
const reasons = (result: ImportPreview) => result.rejected.map(({ row, reason }) => `${row}: ${reason.key}`);

async function importError(run: () => unknown): Promise<ImportError> {
	try {
		await run();
	} catch (error) {
		if (error instanceof ImportError) return error;
		throw error;
	}
	throw new Error('no ImportError');
}

describe('the CSV reader', () => {
	it('reads RFC 4180 quotes, doubled quotes and line breaks inside quotes, with CRLF line ends', () => {
		const text = 'name,description\r\n"Tool library","Lends tools, ""free"",\r\nSaturdays"\r\nPlain,x\r\n';
		expect(parseCsv(text).rows).toEqual([
			['name', 'description'],
			['Tool library', 'Lends tools, "free",\r\nSaturdays'],
			['Plain', 'x']
		]);
	});

	it('skips a byte-order mark and blank lines, and reads LF and old Mac CR line ends', () => {
		expect(parseCsv('\uFEFFa,b\n1,2\n\n3,4').rows).toEqual([['a', 'b'], ['1', '2'], ['3', '4']]);
		expect(parseCsv('a,b\r1,2\r').rows).toEqual([['a', 'b'], ['1', '2']]);
	});

	it('keeps empty cells, an empty quoted cell, and a quote inside an unquoted cell', () => {
		expect(parseCsv('a,b,c\n,"",x\n5" pipe,y,\n').rows).toEqual([['a', 'b', 'c'], ['', '', 'x'], ['5" pipe', 'y', '']]);
	});

	it('finds the separator from the header, outside quotes', () => {
		expect(detectSeparator('name;lat;lon\n"a,b";1;2')).toBe(';');
		expect(detectSeparator('name\tlat\tlon\n')).toBe('\t');
		expect(detectSeparator('"a;b;c",lat,lon\n')).toBe(',');
		expect(detectSeparator('name\n')).toBe(',');
		expect(parseCsv('name;lat;lon\nGarden;39,8;-89,65\n').rows[1]).toEqual(['Garden', '39,8', '-89,65']);
		expect(parseCsv('name\tlat\nGarden\t39.8\n').rows[1]).toEqual(['Garden', '39.8']);
	});
});

describe('reading a file', () => {
	it('decodes UTF-8, and Windows-1252 from older spreadsheet apps', () => {
		expect(decodeText(bytes('\uFEFFcafé'))).toBe('café');
		expect(decodeText(new Uint8Array([0x63, 0x61, 0x66, 0xe9]))).toBe('café');
	});

	it('tells the format by extension, else by how the text begins', () => {
		expect(formatOf('assets.CSV', '{')).toBe('csv');
		expect(formatOf('assets.geojson', '')).toBe('geojson');
		expect(formatOf('assets.json', '')).toBe('geojson');
		expect(formatOf('assets.kml', '')).toBe('kml');
		expect(formatOf('download', ' {"type":"FeatureCollection"}')).toBe('geojson');
		expect(formatOf('download', '<?xml version="1.0"?><kml/>')).toBe('kml');
		expect(formatOf('download', 'name,lat,lon')).toBe('csv');
		expect(() => formatOf('places.kmz', '')).toThrow(ImportError);
	});

	it('says why a file cannot be read at all', async () => {
		expect((await importError(() => readSource('a.csv', bytes('')))).key).toBe('import.error.empty');
		expect((await importError(() => readSource('a.csv', bytes('name,lat,lon\n')))).key).toBe('import.error.noRows');
		expect((await importError(() => readSource('a.geojson', bytes('{"type":')))).key).toBe('import.error.badJson');
		expect((await importError(() => readSource('a.geojson', bytes('{"hello":1}')))).key).toBe('import.error.notGeoJson');
		expect((await importError(() => readSource('a.geojson', bytes('{"type":"FeatureCollection","features":[]}')))).key).toBe('import.error.noFeatures');
		expect((await importError(() => readSource('a.kml', bytes('<kml><Placemark>', ), xml))).key).toBe('import.error.badKml');
		expect((await importError(() => readSource('a.kml', bytes('<html><body/></html>'), xml))).key).toBe('import.error.badKml');
	});
});

describe('limits', () => {
	it('refuses a file over 5 MB before reading it, with both sizes in the message', async () => {
		expect(IMPORT_LIMITS).toEqual({ bytes: 5 * 1024 * 1024, rows: 5000 });
		expect(() => checkFileSize(5 * 1024 * 1024)).not.toThrow();
		const error = await importError(() => checkFileSize(7 * 1024 * 1024 + 1));
		expect(error.key).toBe('import.error.tooBig');
		expect(error.params).toEqual({ size: 7, max: 5 });
		const big = new Uint8Array(5 * 1024 * 1024 + 1).fill(0x61);
		expect((await importError(() => readSource('big.csv', big))).key).toBe('import.error.tooBig');
	});

	it('takes 5,000 rows and refuses 5,001 with the count', async () => {
		const rows = (count: number) => ['name,lon,lat', ...Array.from({ length: count }, (_, i) => `Asset ${i},-89.6,39.8`)].join('\n');
		expect((await readSource('ok.csv', bytes(rows(5000)))).records).toHaveLength(5000);
		const error = await importError(() => readSource('many.csv', bytes(rows(5001))));
		expect(error).toMatchObject({ key: 'import.error.tooManyRows', params: { count: 5001, max: 5000 } });
		const features = (count: number) => JSON.stringify({ type: 'FeatureCollection', features: Array.from({ length: count }, () => ({ type: 'Feature', properties: { name: 'x' }, geometry: { type: 'Point', coordinates: [0, 0] } })) });
		expect((await importError(() => readSource('many.geojson', bytes(features(5001))))).key).toBe('import.error.tooManyRows');
	});

	it('has a sentence for every error and reason, filled by its parameters', () => {
		for (const key of ['import.error.tooBig', 'import.error.tooManyRows', 'import.reason.outOfRange', 'import.reason.swapped', 'import.reason.selfCrossing']) {
			expect(en[key as keyof typeof en]).toBeTruthy();
		}
		expect(en['import.error.tooManyRows'].replace('{count}', '5001').replace('{max}', '5000')).toBe('This file has 5001 rows; an import takes up to 5000. Split it into smaller files.');
	});
});

describe('column guesses', () => {
	it('finds the usual names for each field, in any case, with accents and units', () => {
		expect(guessMapping(['Title', 'Type', 'Longitude (°)', 'LATITUDE', 'Notes', 'Organization', 'Keywords'], 'csv')).toEqual({
			name: 'Title',
			category: 'Type',
			lon: 'Longitude (°)',
			lat: 'LATITUDE',
			geometry: null,
			description: 'Notes',
			holder: 'Organization',
			tags: 'Keywords'
		});
		expect(guessMapping(['name', 'lng', 'lat', 'owner'], 'csv')).toMatchObject({ lon: 'lng', lat: 'lat', holder: 'owner' });
		expect(guessMapping(['X', 'Y', 'Nom', 'WKT'], 'csv')).toMatchObject({ lon: 'X', lat: 'Y', name: 'Nom', geometry: 'WKT' });
		expect(guessMapping(['long', 'lat', 'Category', 'description', 'holder', 'tags'], 'csv')).toMatchObject({ lon: 'long', category: 'Category', description: 'description', holder: 'holder', tags: 'tags' });
	});

	it('guesses nothing it has no name for, and never one column for two fields', () => {
		expect(guessMapping(['foo', 'bar'], 'csv')).toEqual({ name: null, category: null, lon: null, lat: null, geometry: null, description: null, holder: null, tags: null });
		const mapping = guessMapping(['name', 'title'], 'csv');
		expect(mapping.name).toBe('name');
	});

	it('asks GeoJSON and KML only for properties: features carry their own geometry', () => {
		expect(mappedFields('geojson')).toEqual(['name', 'category', 'description', 'holder', 'tags']);
		expect(guessMapping(['name', 'lat', 'lon'], 'kml')).toMatchObject({ name: 'name', lat: null, lon: null });
	});

	it('follows the person’s choice over the guess', async () => {
		const text = 'title,name,lon,lat\nWhat the person meant,A code,-89.6,39.8\n';
		const guessed = await preview('a.csv', text);
		expect(guessed.preview.ok[0].fields.name).toBe('A code');
		const chosen = await preview('a.csv', text, 'places', { name: 'title' });
		expect(chosen.preview.ok[0].fields.name).toBe('What the person meant');
	});
});

describe('the preview', () => {
	it('shows every row that can’t be added, with its reason, and adds nothing meanwhile', async () => {
		const text = [
			'name,category,lon,lat,description,holder,tags',
			'Tool library,Organizations,-89.65,39.80,"Lends tools, free",Eastside Growers,tools; repair',
			',places,-89.6,39.8,,,',
			'   ,places,-89.6,39.8,,,',
			'No place,places,,,,,',
			'Half a place,places,-89.6,,,,',
			'Words,places,east,39.8,,,',
			'Far away,places,-200,39.8,,,',
			'Upside down,places,39.8,-191,,,',
			'Swapped,places,39.8,-100.5,,,',
			'Mystery,Parks,-89.6,39.8,,,',
			'No kind,,-89.6,39.8,,,',
			`${'n'.repeat(201)},places,-89.6,39.8,,,`,
			`Long story,places,-89.6,39.8,${'d'.repeat(4001)},,`,
			`Big holder,places,-89.6,39.8,,${'h'.repeat(201)},`,
			'Mystery two,parks,-89.6,39.8,,,',
			'Singular,place,-89.6,39.8,,,',
			'Label case,ECONOMY,-89.6,39.8,,,'
		].join('\n');
		const { preview: result } = await preview('workshop.csv', text, 'culture');
		expect(reasons(result)).toEqual([
			'3: import.reason.noName',
			'4: import.reason.noName',
			'5: import.reason.noCoordinates',
			'6: import.reason.noCoordinates',
			'7: import.reason.badCoordinates',
			'8: import.reason.outOfRange',
			'9: import.reason.outOfRange',
			'10: import.reason.swapped',
			'13: import.reason.nameTooLong',
			'14: import.reason.descriptionTooLong',
			'15: import.reason.holderTooLong'
		]);
		expect(result.rejected.find((r) => r.row === 7)?.reason.params).toEqual({ value: 'east' });
		expect(result.rejected.find((r) => r.row === 8)?.reason.params).toEqual({ lon: -200, lat: 39.8 });
		expect(result.rejected.find((r) => r.row === 13)?.reason.params).toEqual({ max: 200, length: 201 });
		expect(result.ok.map((row) => [row.row, row.fields.name, row.fields.category, row.categoryAsWritten])).toEqual([
			[2, 'Tool library', 'organizations', null],
			[11, 'Mystery', 'culture', 'Parks'],
			[12, 'No kind', 'culture', ''],
			[16, 'Mystery two', 'culture', 'parks'],
			[17, 'Singular', 'places', null],
			[18, 'Label case', 'economy', null]
		]);
		// Unknown categories, each once, as written, get the default the person picked.
		expect(result.unknownCategories).toEqual(['Parks', '', 'parks']);
		expect(result.ok[0].fields).toEqual({
			name: 'Tool library',
			category: 'organizations',
			description: 'Lends tools, free',
			holder: 'Eastside Growers',
			geometry: { type: 'Point', coordinates: [-89.65, 39.8] },
			tags: ['tools', 'repair']
		});
	});

	it('refuses areas whose edges cross, shapes the map cannot hold, and broken ones', async () => {
		const feature = (name: string, geometry: unknown) => ({ type: 'Feature', properties: { name, category: 'places' }, geometry });
		const bowTie = { type: 'Polygon', coordinates: [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]] };
		const text = JSON.stringify({
			type: 'FeatureCollection',
			features: [
				feature('Park', { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]] }),
				feature('Bow tie', bowTie),
				feature('Two parks', { type: 'MultiPolygon', coordinates: [bowTie.coordinates, bowTie.coordinates] }),
				feature('One park', { type: 'MultiPolygon', coordinates: [[[[0, 0], [1, 0], [1, 1], [0, 0]]]] }),
				feature('Nowhere', null),
				feature('Dot line', { type: 'LineString', coordinates: [[0, 0]] }),
				feature('Sliver', { type: 'Polygon', coordinates: [[[0, 0], [1, 1], [0, 0]]] }),
				feature('Far line', { type: 'LineString', coordinates: [[0, 0], [0, 95]] }),
				feature('Huge', { type: 'LineString', coordinates: Array.from({ length: 5001 }, (_, i) => [i / 1000, 0]) }),
				feature('Text coordinates', { type: 'Point', coordinates: ['1', '2'] }),
				feature('Height kept out', { type: 'Point', coordinates: [1, 2, 300] }),
				feature('Collection', { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [3, 4] }] }),
				{ type: 'Feature', properties: { kind: 'connects', from: 'a', to: 'b' }, geometry: { type: 'LineString', coordinates: [[0, 0], [1, 1]] } }
			]
		});
		const { preview: result } = await preview('shapes.geojson', text);
		expect(reasons(result)).toEqual([
			'2: import.reason.selfCrossing',
			'3: import.reason.unsupportedGeometry',
			'5: import.reason.noCoordinates',
			'6: import.reason.shortLine',
			'7: import.reason.smallArea',
			'8: import.reason.swapped',
			'9: import.reason.tooManyCorners',
			'10: import.reason.badGeometry'
		]);
		expect(result.rejected[0].reason.params).toEqual({ lon: 1, lat: 1 });
		expect(result.rejected[1].reason.params).toEqual({ type: 'MultiPolygon' });
		expect(result.ok.map((row) => row.fields.name)).toEqual(['Park', 'One park', 'Height kept out', 'Collection']);
		// An open ring is closed; a height is left out; a single-member multi-shape unwrapped.
		expect(result.ok[0].fields.geometry).toEqual({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] });
		expect(result.ok[2].fields.geometry).toEqual({ type: 'Point', coordinates: [1, 2] });
		expect(result.ok[3].fields.geometry).toEqual({ type: 'Point', coordinates: [3, 4] });
		expect(result.connections).toBe(1);
	});

	it('keeps hostile text as plain text, trimmed, and takes off the export’s formula guard', async () => {
		const text = [
			'name,lon,lat,description,tags',
			'"<img src=x onerror=alert(1)>  ",-89.6,39.8,"<script>alert(1)</script>",',
			`"'=HYPERLINK(""http://evil"")",-89.6,39.8,"'+1 plus",`,
			'"Two\r\nlines   in a name",-89.6,39.8,"  keeps\nits lines  ","a, b ,, c"',
			`${'t'.repeat(5)},-89.6,39.8,,"${Array.from({ length: 25 }, (_, i) => `tag${i}`).join(';')};${'x'.repeat(60)}"`
		].join('\n');
		const { preview: result } = await preview('hostile.csv', text);
		expect(result.rejected).toEqual([]);
		expect(result.ok.map((row) => row.fields.name)).toEqual(['<img src=x onerror=alert(1)>', '=HYPERLINK("http://evil")', 'Two lines in a name', 'ttttt']);
		expect(result.ok[0].fields.description).toBe('<script>alert(1)</script>');
		expect(result.ok[1].fields.description).toBe('+1 plus');
		expect(result.ok[2].fields.description).toBe('keeps\nits lines');
		expect(result.ok[2].fields.tags).toEqual(['a', 'b', 'c']);
		// The model's limits: 20 tags of at most 40 characters.
		expect(result.ok[3].fields.tags).toHaveLength(20);
		expect(unneutralise("'@SUM(A1)")).toBe('@SUM(A1)');
		expect(unneutralise("'quoted'")).toBe("'quoted'");
	});

	it('reads decimal commas (with ; as separator), WKT and GeoJSON shapes in a CSV cell', async () => {
		const text = [
			'name;lon;lat;wkt',
			'Comma;-89,65;39,8;',
			'Square;;;POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))',
			'Path;;;LINESTRING Z (0 0 5, 1 1 5)',
			'Json;;;"{""type"":""Point"",""coordinates"":[5,6]}"',
			'Garbage;;;POLYGON ((0 0, 1 0'
		].join('\r\n');
		const { preview: result } = await preview('shapes.csv', text);
		expect(result.ok.map((row) => row.fields.geometry)).toEqual([
			{ type: 'Point', coordinates: [-89.65, 39.8] },
			{ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] },
			{ type: 'LineString', coordinates: [[0, 0], [1, 1]] },
			{ type: 'Point', coordinates: [5, 6] }
		]);
		expect(reasons(result)).toEqual(['6: import.reason.badGeometryCell']);
		expect(parseWkt('SRID=4326;POINT(30 10)')).toEqual({ type: 'Point', coordinates: [30, 10] });
		expect(parseWkt('POLYGON ((0 0, 4 0, 4 4, 0 0), (1 1, 2 1, 2 2, 1 1))')).toEqual({ type: 'Polygon', coordinates: [[[0, 0], [4, 0], [4, 4], [0, 0]], [[1, 1], [2, 1], [2, 2], [1, 1]]] });
		expect(parseWkt('MULTIPOINT (1 2)')).toBeNull();
		expect(parseCoordinate('1e2')).toBe(100);
		expect(parseCoordinate('+12.5')).toBe(12.5);
		expect(parseCoordinate('12.5.1')).toBeNull();
		expect(parseCoordinate('Infinity')).toBeNull();
		expect(parseCoordinate('0x10')).toBeNull();
	});
});

/** A map with every kind of asset, exported and read back. */
function sampleDoc() {
	const doc = new Y.Doc();
	const me: Contributor = { id: 'ben', name: 'Ben', affiliation: 'faculty' };
	const fields: AssetFields[] = [
		{ name: 'Community garden', category: 'places', description: 'Raised beds, "open" Saturdays\nand Sundays', holder: 'Eastside Growers', tags: ['food', 'youth'], geometry: { type: 'Point', coordinates: [-89.65, 39.8] } },
		{ name: '=Formula-looking name', category: 'economy', description: '-starts with a minus', holder: '@handle', tags: ['+plus'], geometry: { type: 'Point', coordinates: [-89.64912345678901, 39.80123456789] } },
		{ name: 'Bread & <Roses> "co-op"', category: 'culture', description: 'Café ünïcödé 🌱', holder: '', tags: [], geometry: { type: 'LineString', coordinates: [[1, 1], [2, 2.5], [3, 1]] } },
		{ name: 'Riverside park', category: 'networks', description: '', holder: 'City', tags: ['green'], geometry: { type: 'Polygon', coordinates: [[[0, 0], [2, 0], [2, 2], [1, 0.5], [0, 2], [0, 0]], [[1.5, 0.2], [1.8, 0.2], [1.8, 0.4], [1.5, 0.2]]] } }
	];
	// Oldest first, as exports list them.
	const ids = fields.map((input, i) => addAsset(doc, input, me, 1_700_000_000_000 + i));
	connectAssets(doc, ids[0], ids[1], 'shares space', me);
	return { doc, fields };
}

const comparable = (fields: AssetFields) => ({ name: fields.name, category: fields.category, description: fields.description, holder: fields.holder, tags: fields.tags, geometry: fields.geometry });

describe('exports of this app import back to the same assets', () => {
	it('GeoJSON: every field and shape, the connection left out', async () => {
		const { doc, fields } = sampleDoc();
		const { preview: result } = await preview('map.geojson', toGeoJson(mapDataOf(doc)), 'knowledge');
		expect(result.rejected).toEqual([]);
		expect(result.unknownCategories).toEqual([]);
		expect(result.connections).toBe(1);
		expect(result.ok.map((row) => comparable(row.fields))).toEqual(fields.map(comparable));
	});

	it('KML: every field and shape, the connection left out', async () => {
		const { doc, fields } = sampleDoc();
		const { preview: result } = await preview('map.kml', toKml(mapDataOf(doc)), 'knowledge');
		expect(result.rejected).toEqual([]);
		expect(result.unknownCategories).toEqual([]);
		expect(result.connections).toBe(1);
		expect(result.ok.map((row) => comparable(row.fields))).toEqual(fields.map(comparable));
	});

	it('CSV: every field; points exactly, lines and areas as their middle point (all a CSV holds), and says so', async () => {
		const { doc, fields } = sampleDoc();
		const { preview: result, mapping } = await preview('map.csv', toCsv(mapDataOf(doc)), 'knowledge');
		expect(mapping).toEqual({ name: 'name', category: 'category', lon: 'lon', lat: 'lat', geometry: 'geometry', description: 'description', holder: 'holder', tags: 'tags' });
		expect(result.rejected).toEqual([]);
		expect(result.unknownCategories).toEqual([]);
		const expected = fields.map((input) => ({ ...comparable(input), geometry: { type: 'Point', coordinates: geometryAnchor(input.geometry) } }));
		expect(result.ok.map((row) => comparable(row.fields))).toEqual(expected);
		expect(result.ok.map((row) => row.pointFrom)).toEqual([null, null, 'LineString', 'Polygon']);
	});

	it('an asset of a category this version does not know exports as "unknown" and imports with the default', async () => {
		const doc = new Y.Doc();
		const id = addAsset(doc, { name: 'From a newer app', category: 'places', description: '', holder: '', tags: [], geometry: { type: 'Point', coordinates: [1, 2] } }, ana);
		(doc.getMap('assets').get(id) as Y.Map<unknown>).set('category', 'wisdom');
		const { preview: result } = await preview('map.csv', toCsv(mapDataOf(doc)), 'knowledge');
		expect(result.ok[0].fields.category).toBe('knowledge');
		expect(result.unknownCategories).toEqual(['unknown']);
	});
});

/** A doc standing in for the server's: each update is judged by the server's gate as an editor's, then applied. */
function serverTwin() {
	const server = new Y.Doc();
	const sizes: number[] = [];
	const verdicts: string[] = [];
	return {
		server,
		sizes,
		verdicts,
		take(update: Uint8Array) {
			sizes.push(update.byteLength);
			const shape = measureUpdate(update);
			expect(shape.structs).toBeLessThanOrEqual(UPDATE_LIMITS.structs / 4);
			expect(shape.values).toBeLessThanOrEqual(UPDATE_LIMITS.values / 4);
			expect(update.byteLength).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES / 4);
			const verdict = checkUpdate(server, update, { role: 'editor', locked: false, mayWriteClient: () => true });
			verdicts.push(verdict.kind);
			if (verdict.kind === 'ok') Y.applyUpdate(server, update, 'client');
		}
	};
}

function manyRows(count: number, make: (i: number) => Partial<AssetFields> = () => ({})): AssetFields[] {
	return Array.from({ length: count }, (_, i) => ({
		name: `Asset ${i}`,
		category: 'places',
		description: 'Volunteers meet here on Saturdays to share seeds, tools and recipes.',
		holder: 'Eastside Growers',
		tags: ['food', 'outdoors'],
		geometry: { type: 'Point', coordinates: [-89.65 + (i % 100) * 0.001, 39.8 + Math.floor(i / 100) * 0.001] },
		...make(i)
	}));
}

describe('writing an import', () => {
	it('adds 5,000 rows in parts the server’s gate takes from an editor, each well within its update limits', async () => {
		const text = ['name,category,lon,lat,description,holder,tags', ...manyRows(5000).map((row, i) => `Asset ${i},places,${(row.geometry.coordinates as number[])[0]},${(row.geometry.coordinates as number[])[1]},${row.description},${row.holder},food; outdoors`)].join('\n');
		let start = performance.now();
		const { preview: result } = await preview('big.csv', text);
		const previewMs = performance.now() - start;
		expect(result.ok).toHaveLength(5000);

		const doc = new Y.Doc();
		const updates: Uint8Array[] = [];
		doc.on('update', (update: Uint8Array) => updates.push(update));
		start = performance.now();
		const { ids, parts } = importAssets(doc, result.ok.map((row) => row.fields), ana, { now: 7 });
		const importMs = performance.now() - start;
		const twin = serverTwin();
		start = performance.now();
		for (const update of updates) twin.take(update);
		const gateMs = performance.now() - start;
		console.log(
			`import of 5,000 CSV rows: preview ${previewMs.toFixed(0)} ms, writing ${importMs.toFixed(0)} ms in ${parts.length} updates of ` +
				`${Math.min(...twin.sizes)}–${Math.max(...twin.sizes)} bytes (budget ${IMPORT_UPDATE_BUDGET.bytes}; the server takes frames up to ${MAX_PAYLOAD_BYTES}); ` +
				`the server's gate and Yjs took ${gateMs.toFixed(0)} ms for all of them`
		);
		expect(parts.length).toBeGreaterThan(1);
		expect(parts.reduce((a, b) => a + b, 0)).toBe(5000);
		expect(twin.sizes.every((size) => size <= IMPORT_UPDATE_BUDGET.bytes)).toBe(true);
		expect(twin.verdicts.every((kind) => kind === 'ok')).toBe(true);
		const stored = readAllAssets(twin.server);
		expect(stored).toHaveLength(5000);
		expect(new Set(stored.map((asset) => asset.id))).toEqual(new Set(ids));
		// The importer is the contributor of every one.
		expect(stored.every((asset) => asset.createdBy?.id === ana.id && asset.updatedBy?.name === 'Ana' && asset.createdAt === 7)).toBe(true);
	});

	it('sizes parts by what the assets hold: long texts and big areas make smaller parts, still within the limits', () => {
		const ring = (n: number) => [...Array.from({ length: n }, (_, i) => [Math.cos((2 * Math.PI * i) / n), Math.sin((2 * Math.PI * i) / n)] as [number, number]), [1, 0] as [number, number]];
		const rows = manyRows(300, (i) => ({
			description: '✿ü'.repeat(1999),
			geometry: i % 3 === 0 ? { type: 'Polygon', coordinates: [ring(1000)] } : { type: 'Point', coordinates: [i / 1000, 0] }
		}));
		const doc = new Y.Doc();
		const twin = serverTwin();
		const exact: number[] = [];
		doc.on('update', (update: Uint8Array) => {
			twin.take(update);
			exact.push(update.byteLength);
		});
		const { parts } = importAssets(doc, rows, ana);
		expect(parts.length).toBeGreaterThan(10);
		expect(twin.verdicts.every((kind) => kind === 'ok')).toBe(true);
		expect(Math.max(...exact)).toBeLessThanOrEqual(IMPORT_UPDATE_BUDGET.bytes);
	});

	it('estimates an entry’s bytes from above, and not wildly so', () => {
		const rows = manyRows(3, (i) => (i === 1 ? { description: '🌱'.repeat(1000), name: 'Ünïcödé' } : i === 2 ? { geometry: { type: 'LineString', coordinates: [[0.1, 0.2], [1, 1], [-179.123456789, 89.5]] } } : {}));
		for (const row of rows) {
			const doc = new Y.Doc();
			const { ids } = importAssets(doc, [row], ana, { now: 1_700_000_000_000 });
			const actual = Y.encodeStateAsUpdate(doc).byteLength;
			const value = (doc.getMap('assets').get(ids[0]) as Y.Map<unknown>).toJSON();
			const estimate = estimateEntry(ids[0], value).bytes;
			expect(estimate).toBeGreaterThanOrEqual(actual);
			expect(estimate).toBeLessThan(actual * 2);
		}
	});

	it('checks every row first: one bad row and nothing is written', () => {
		const doc = new Y.Doc();
		const rows = manyRows(3);
		rows[2] = { ...rows[2], name: '  ' };
		expect(() => importAssets(doc, rows, ana)).toThrow(InvalidInputError);
		expect(doc.getMap('assets').size).toBe(0);
	});

	it('is one undo step: Undo takes back every imported asset for everyone, in parts within the limits; Redo brings them back', () => {
		const mine = new Y.Doc();
		const twin = serverTwin();
		mine.on('update', (update: Uint8Array, origin: unknown) => origin !== 'remote' && twin.take(update));
		const undo = new OwnUndo(mine, { locked: () => false, by: () => ana, now: () => 99 });
		const before = addAsset(mine, { name: 'Before the import', category: 'skills', description: '', holder: '', tags: [], geometry: { type: 'Point', coordinates: [0, 0] } }, ana);
		const { ids, parts } = undo.group(() => importAssets(mine, manyRows(1200), ana, { origin: LOCAL_ORIGIN }));
		expect(parts.length).toBeGreaterThan(2);
		const updatesBeforeUndo = twin.sizes.length;

		expect(undo.undo()).toEqual({ status: 'done', skipped: [] });
		const onServer = new Map(readAllAssets(twin.server).map((asset) => [asset.id, asset]));
		expect(ids.every((id) => onServer.get(id)?.deletedAt === 99)).toBe(true);
		expect(onServer.get(before)?.deletedAt).toBeNull();
		// Undone in parts too (1,200 soft deletes), each judged and taken by the gate.
		expect(twin.sizes.length - updatesBeforeUndo).toBe(3);
		expect(twin.verdicts.every((kind) => kind === 'ok')).toBe(true);

		// The earlier asset is the next step, on its own.
		expect(undo.canUndo).toBe(true);
		expect(undo.redo().status).toBe('done');
		const back = readAllAssets(twin.server).filter((asset) => ids.includes(asset.id));
		expect(back.every((asset) => asset.deletedAt === null)).toBe(true);
		expect(twin.verdicts.every((kind) => kind === 'ok')).toBe(true);
	});

	it('groups steps only while the group runs, and keeps what was written when the action fails', () => {
		const doc = new Y.Doc();
		const undo = new OwnUndo(doc, { locked: () => false, by: () => ana, now: () => 5 });
		const point = { type: 'Point' as const, coordinates: [0, 0] as [number, number] };
		const add = (name: string) => addAsset(doc, { name, category: 'skills', description: '', holder: '', tags: [], geometry: point }, ana);
		let first = '';
		expect(() =>
			undo.group(() => {
				first = add('One');
				undo.group(() => add('Two'));
				throw new Error('stopped half way');
			})
		).toThrow('stopped half way');
		const third = add('Three');
		undo.undo();
		const deleted = () => readAllAssets(doc).filter((asset) => asset.deletedAt !== null).map((asset) => asset.name).sort();
		expect(deleted()).toEqual(['Three']);
		undo.undo();
		expect(deleted()).toEqual(['One', 'Three', 'Two']);
		expect(undo.canUndo).toBe(false);
		expect(first).not.toBe(third);
	});
});

describe('the source records', () => {
	it('names empty and repeated header cells so each can be chosen', async () => {
		const source: ImportSource = await readSource('a.csv', bytes('name,,name\nA,b,c\n'));
		expect(source.columns).toEqual(['name', '#2', 'name (2)']);
		expect(source.records[0]).toEqual({ row: 2, values: { name: 'A', '#2': 'b', 'name (2)': 'c' } });
	});

	it('lists KML ExtendedData as properties and leaves styling out of the columns', async () => {
		const kml = `<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>
			<Style id="s"><IconStyle><color>ff0000ff</color></IconStyle></Style>
			<Placemark><name>Library</name><styleUrl>#s</styleUrl><description><![CDATA[<b>Open</b> daily]]></description>
			<ExtendedData><Data name="type"><value>Institutions</value></Data></ExtendedData>
			<Point><coordinates>-89.6,39.8,0</coordinates></Point></Placemark></Document></kml>`;
		const { source, preview: result } = await preview('my-maps.kml', kml);
		expect(source.columns).toEqual(['name', 'description', 'type']);
		expect(result.ok[0].fields).toMatchObject({ name: 'Library', category: 'institutions', description: '<b>Open</b> daily', geometry: { type: 'Point', coordinates: [-89.6, 39.8] } });
	});
});
