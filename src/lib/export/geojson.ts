/**
 * GeoJSON (RFC 7946): one feature per public asset, with its properties and the goals it
 * supports, and one LineString per connection between two assets. Coordinates are
 * [lng, lat] in WGS 84 and there is no `crs` member. The output is canonical — fixed key
 * order, no whitespace, a final newline — because a snapshot's citation hashes these bytes.
 */
import { geometryAnchor, unwrapLongitude } from '../doc/geometry.ts';

import { goalsSupportedBy, type MapData } from './map-data.ts';

export interface GeoJsonOptions {
	/** When the content was taken (a snapshot), as epoch ms; left out of live exports' content. */
	takenAt?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The FeatureCollection as a plain value, keys in their final order. */
export function geoJsonValue(data: MapData, options: GeoJsonOptions = {}) {
	const assets = data.assets.map((asset) => {
		const goals = goalsSupportedBy(data, asset.id);
		return {
			type: 'Feature',
			id: asset.id,
			geometry: asset.geometry,
			properties: {
				kind: 'asset',
				name: asset.name,
				category: asset.category ?? 'unknown',
				description: asset.description,
				holder: asset.holder,
				tags: asset.tags,
				goalIds: goals.map((goal) => goal.id),
				goalTitles: goals.map((goal) => goal.title),
				addedBy: asset.createdBy?.affiliation ?? null,
				createdAt: iso(asset.createdAt)
			}
		};
	});
	const connections = data.links
		.filter((link) => link.kind === 'connects')
		.map((link) => {
			const from = geometryAnchor(data.index.assets.get(link.from)!.geometry);
			const to = geometryAnchor(data.index.assets.get(link.to)!.geometry);
			// The short way across ±180°: RFC 7946 §3.1.9 lets a line leave [-180, 180].
			return {
				type: 'Feature',
				id: link.id,
				geometry: { type: 'LineString', coordinates: [from, [unwrapLongitude(to[0], from[0]), to[1]]] },
				properties: { kind: link.kind, from: link.from, to: link.to, note: link.note }
			};
		});
	return {
		type: 'FeatureCollection',
		// Foreign members (RFC 7946 §6.1): what the collection is, for a reader of the file.
		title: data.meta.title,
		place: data.meta.place,
		...(options.takenAt === undefined ? {} : { takenAt: iso(options.takenAt) }),
		goals: data.goals.map((goal) => ({ id: goal.id, title: goal.title, description: goal.description, horizon: goal.horizon, status: goal.status })),
		features: [...assets, ...connections]
	};
}

export function toGeoJson(data: MapData, options: GeoJsonOptions = {}): string {
	return `${JSON.stringify(geoJsonValue(data, options))}\n`;
}
