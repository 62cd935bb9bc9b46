/**
 * KML 2.2 for Google Earth and GIS tools: a folder of assets (points, lines and areas, each
 * with its category, holder, tags and goals as ExtendedData) and a folder of connections.
 * All user text is XML-escaped; names and descriptions stay plain text.
 */
import { geometryAnchor, unwrapLongitude } from '../doc/geometry.ts';
import type { AssetGeometry, Position } from '../doc/model.ts';

import { goalsSupportedBy, type MapData } from './map-data.ts';
import { t } from '../i18n/index.ts';

export function escapeXml(text: string): string {
	// Characters XML 1.0 cannot hold at all are dropped rather than written.
	return text
		.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/'/g, '&apos;');
}

const coordinates = (positions: Position[]) => positions.map(([lng, lat]) => `${lng},${lat}`).join(' ');

function geometryKml(geometry: AssetGeometry): string {
	if (geometry.type === 'Point') return `<Point><coordinates>${coordinates([geometry.coordinates])}</coordinates></Point>`;
	if (geometry.type === 'LineString') return `<LineString><coordinates>${coordinates(geometry.coordinates)}</coordinates></LineString>`;
	const [outer, ...holes] = geometry.coordinates;
	const ring = (positions: Position[]) => `<LinearRing><coordinates>${coordinates(positions)}</coordinates></LinearRing>`;
	return `<Polygon><outerBoundaryIs>${ring(outer)}</outerBoundaryIs>${holes.map((hole) => `<innerBoundaryIs>${ring(hole)}</innerBoundaryIs>`).join('')}</Polygon>`;
}

const data = (name: string, value: string) => `<Data name="${name}"><value>${escapeXml(value)}</value></Data>`;

export function toKml(map: MapData): string {
	const placemarks = map.assets.map((asset) => {
		const goals = goalsSupportedBy(map, asset.id);
		return [
			`<Placemark id="${escapeXml(asset.id)}">`,
			`<name>${escapeXml(asset.name)}</name>`,
			`<description>${escapeXml(asset.description)}</description>`,
			'<ExtendedData>',
			data('category', asset.category ?? 'unknown'),
			data('holder', asset.holder),
			data('tags', asset.tags.join('; ')),
			data('goals', goals.map((goal) => goal.title).join('; ')),
			data('added_by', asset.createdBy?.affiliation ?? ''),
			'</ExtendedData>',
			geometryKml(asset.geometry),
			'</Placemark>'
		].join('');
	});
	const lines = map.links
		.filter((link) => link.kind === 'connects')
		.map((link) => {
			const from = map.index.assets.get(link.from)!;
			const to = map.index.assets.get(link.to)!;
			const a = geometryAnchor(from.geometry);
			const b = geometryAnchor(to.geometry);
			return [
				`<Placemark id="${escapeXml(link.id)}">`,
				`<name>${escapeXml(`${from.name} — ${to.name}`)}</name>`,
				`<description>${escapeXml(link.note)}</description>`,
				`<ExtendedData>${data('kind', link.kind)}</ExtendedData>`,
				`<LineString><coordinates>${coordinates([a, [unwrapLongitude(b[0], a[0]), b[1]]])}</coordinates></LineString>`,
				'</Placemark>'
			].join('');
		});
	return [
		'<?xml version="1.0" encoding="UTF-8"?>',
		'<kml xmlns="http://www.opengis.net/kml/2.2"><Document>',
		`<name>${escapeXml(map.meta.title)}</name>`,
		`<description>${escapeXml(map.meta.place)}</description>`,
		`<Folder><name>${escapeXml(t('export.assetsFolder'))}</name>${placemarks.join('')}</Folder>`,
		lines.length > 0 ? `<Folder><name>${escapeXml(t('export.connectionsFolder'))}</name>${lines.join('')}</Folder>` : '',
		'</Document></kml>',
		''
	].join('\n');
}
