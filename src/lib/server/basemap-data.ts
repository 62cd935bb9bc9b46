/**
 * The offline basemap: Natural Earth 1:50m land and country borders (world-atlas package),
 * converted from TopoJSON to GeoJSON once at build time and served from our own origin,
 * so the map shows land, water and borders with no internet at all. The routes end in
 * .json so adapter-node precompresses them (1 MB of land is ~340 kB gzipped).
 */
import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import countries from 'world-atlas/countries-50m.json' with { type: 'json' };
import land from 'world-atlas/land-50m.json' with { type: 'json' };

/** ~100 m precision is finer than 1:50m data and cuts the files by a third. */
function compact(value: unknown): string {
	return JSON.stringify(value, (_key, v) => (typeof v === 'number' ? Math.round(v * 1e3) / 1e3 : v));
}

export function landGeoJson(): string {
	const topology = land as unknown as Topology<{ land: GeometryCollection }>;
	return compact(feature(topology, topology.objects.land));
}

export function bordersGeoJson(): string {
	const topology = countries as unknown as Topology<{ countries: GeometryCollection }>;
	// Interior borders only: coastlines come from the land layer.
	return compact(mesh(topology, topology.objects.countries, (a, b) => a !== b));
}
