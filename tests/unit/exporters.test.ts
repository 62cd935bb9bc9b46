/** Exact output of the pure exporters (src/lib/export/), their round trips, and CSV formula cells. */
import { describe, expect, it } from 'vitest';
import { DOMParser } from '@xmldom/xmldom';
import { kml as kmlToGeoJson } from '@tmcw/togeojson';
import { asset, goal, supports, connects } from '../helpers/links.ts';
import { mapData, exportFileName } from '../../src/lib/export/map-data.ts';
import { toGeoJson } from '../../src/lib/export/geojson.ts';
import { toCsv, neutralise } from '../../src/lib/export/csv.ts';
import { toKml, escapeXml } from '../../src/lib/export/kml.ts';
import type { MapMeta, PolygonGeometry } from '../../src/lib/doc/model.ts';
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';

const meta: MapMeta = { title: 'Eastside strengths', place: 'Springfield', description: '', createdAt: 0, schemaVersion: 1, locked: false, view: null, creditNames: false };
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);

function sample() {
	const garden = asset('garden', { name: 'Community garden', category: 'places', createdAt: T0, description: 'Raised beds, "open" Saturdays', holder: 'Eastside Growers', tags: ['food', 'youth'], geometry: { type: 'Point', coordinates: [-89.65, 39.8] } });
	const pantry = asset('pantry', { name: 'Food pantry', category: 'organizations', createdAt: T0 + 1, geometry: { type: 'Point', coordinates: [-89.648, 39.803] } }, 'faculty');
	const park = asset('park', {
		name: 'Riverside park',
		category: 'places',
		createdAt: T0 + 2,
		geometry: { type: 'Polygon', coordinates: [[[0, 0], [2, 0], [2, 2], [1, 0.5], [0, 2], [0, 0]]] }
	});
	const hidden = asset('hidden', { name: 'Moderated', hidden: true, createdAt: T0 + 3 });
	const gone = asset('gone', { name: 'Deleted', deletedAt: T0, createdAt: T0 + 4 });
	const food = goal('food', { title: 'Fresh food within walking distance', createdAt: T0 });
	const oldGoal = goal('old', { title: 'Old goal', deletedAt: T0, createdAt: T0 + 1 });
	const links = [supports('garden', 'food'), supports('pantry', 'food'), supports('park', 'old'), supports('hidden', 'food'), connects('garden', 'pantry'), connects('garden', 'gone')];
	links[4] = { ...links[4], note: 'shares space' };
	return mapData(meta, [gone, hidden, park, pantry, garden], [oldGoal, food], links);
}

describe('map data', () => {
	it('keeps only what anyone may see, oldest first, and links between kept things', () => {
		const data = sample();
		expect(data.assets.map((a) => a.id)).toEqual(['garden', 'pantry', 'park']);
		expect(data.goals.map((g) => g.id)).toEqual(['food']);
		expect(data.links.map((l) => l.id)).toEqual(['connects:garden:pantry', 'supports:garden:food', 'supports:pantry:food']);
	});

	it('names files after the map', () => {
		expect(exportFileName('Éastside strengths: 2026!', 'csv')).toBe('eastside-strengths-2026.csv');
		expect(exportFileName('***', 'kml')).toBe('asset-map.kml');
	});
});

describe('GeoJSON', () => {
	it('is an RFC 7946 FeatureCollection with exact, canonical bytes', () => {
		const text = toGeoJson(sample(), { takenAt: T0 });
		expect(text.endsWith('}\n')).toBe(true);
		const value = JSON.parse(text);
		expect(value).not.toHaveProperty('crs');
		expect(Object.keys(value)).toEqual(['type', 'title', 'place', 'takenAt', 'goals', 'features']);
		expect(value.features).toHaveLength(4);
		expect(value.features[0]).toEqual({
			type: 'Feature',
			id: 'garden',
			geometry: { type: 'Point', coordinates: [-89.65, 39.8] },
			properties: {
				kind: 'asset',
				name: 'Community garden',
				category: 'places',
				description: 'Raised beds, "open" Saturdays',
				holder: 'Eastside Growers',
				tags: ['food', 'youth'],
				goalIds: ['food'],
				goalTitles: ['Fresh food within walking distance'],
				addedBy: 'community-member',
				createdAt: '2026-11-30T12:00:00.000Z'
			}
		});
		expect(value.features[3]).toEqual({
			type: 'Feature',
			id: 'connects:garden:pantry',
			geometry: { type: 'LineString', coordinates: [[-89.65, 39.8], [-89.648, 39.803]] },
			properties: { kind: 'connects', from: 'garden', to: 'pantry', note: 'shares space' }
		});
		// The same map always gives the same bytes, whatever order the document listed things in.
		expect(toGeoJson(sample(), { takenAt: T0 })).toBe(text);
		expect(text).toBe(`${JSON.stringify(value)}\n`);
	});

	it('draws a connection across ±180° the short way', () => {
		const east = asset('east', { geometry: { type: 'Point', coordinates: [179.5, -17] } });
		const west = asset('west', { geometry: { type: 'Point', coordinates: [-179.5, -17] } });
		const value = JSON.parse(toGeoJson(mapData(meta, [east, west], [], [connects('east', 'west')])));
		expect(value.features[2].geometry.coordinates).toEqual([[179.5, -17], [180.5, -17]]);
	});
});

describe('CSV', () => {
	it('has a BOM, CRLF rows, quoted cells and a point inside each area', () => {
		const text = toCsv(sample());
		expect(text.startsWith('\uFEFFid,name,category,description,holder,tags,lon,lat,geometry,goals,goal_ids,added_by,created_at\r\n')).toBe(true);
		const rows = text.slice(1).split('\r\n');
		expect(rows).toHaveLength(5);
		expect(rows[4]).toBe('');
		expect(rows[1]).toBe(
			'garden,Community garden,places,"Raised beds, ""open"" Saturdays",Eastside Growers,food; youth,-89.65,39.8,Point,Fresh food within walking distance,food,community-member,2026-11-30T12:00:00.000Z'
		);
		// The concave park's point is inside it (its vertex average, 1 and 0.9, is in the notch, outside).
		const [, , , , , , lon, lat, type] = rows[3].split(',');
		expect(type).toBe('Polygon');
		const park = sample().assets[2].geometry as PolygonGeometry;
		expect(booleanPointInPolygon([Number(lon), Number(lat)], park)).toBe(true);
		expect(booleanPointInPolygon([1, 0.9], park)).toBe(false);
	});

	it('neutralises cells a spreadsheet would run as formulas, and keeps coordinates as numbers', () => {
		for (const attack of ['=HYPERLINK("http://x")', '+1', '-1+2', '@SUM(A1)', '\tx', '\rx']) expect(neutralise(attack)).toBe(`'${attack}`);
		expect(neutralise('Safe = fine')).toBe('Safe = fine');
		const evil = asset('evil', { name: '=cmd|" /C calc"!A0', holder: '@holder', tags: ['-tag'], geometry: { type: 'Point', coordinates: [-1.5, -2.5] } });
		const row = toCsv(mapData(meta, [evil], [], [])).slice(1).split('\r\n')[1];
		expect(row).toBe(`evil,"'=cmd|"" /C calc""!A0",places,,'@holder,'-tag,-1.5,-2.5,Point,,,community-member,1970-01-01T00:00:00.000Z`);
	});
});

describe('KML', () => {
	it('escapes user text and round-trips through togeojson with names and categories', () => {
		const tricky = asset('tricky', { name: 'Bread & <Roses> "co-op"', category: 'economy', geometry: { type: 'LineString', coordinates: [[1, 1], [2, 2]] } });
		const data = mapData(meta, [...sample().assets, tricky], sample().goals, sample().links);
		const text = toKml(data);
		expect(text).toContain('<name>Bread &amp; &lt;Roses&gt; &quot;co-op&quot;</name>');
		const parsed = kmlToGeoJson(new DOMParser().parseFromString(text, 'text/xml') as unknown as Document);
		const byName = new Map(parsed.features.map((f) => [f.properties?.name, f]));
		expect(byName.get('Community garden')?.properties?.category).toBe('places');
		expect(byName.get('Community garden')?.geometry).toEqual({ type: 'Point', coordinates: [-89.65, 39.8] });
		expect(byName.get('Bread & <Roses> "co-op"')?.properties?.category).toBe('economy');
		expect(byName.get('Riverside park')?.geometry?.type).toBe('Polygon');
		expect(byName.get('Food pantry')?.properties?.goals).toBe('Fresh food within walking distance');
		expect(byName.get('Community garden — Food pantry')?.properties?.kind).toBe('connects');
		expect(parsed.features).toHaveLength(5);
	});

	it('drops characters XML cannot hold', () => {
		expect(escapeXml('a\u0000b\u0007c\u{1F331}')).toBe('abc\u{1F331}');
	});
});
