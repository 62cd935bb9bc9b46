import type { StyleSpecification } from 'maplibre-gl';

export const BASEMAP_COLORS = {
	water: '#cfe3ef',
	land: '#f4f1ea',
	border: '#9a8f80'
} as const;

/**
 * A style that needs nothing beyond our own origin: water as the background, Natural
 * Earth land on top, dashed country borders. No glyphs or sprites, so no text layers;
 * asset icons and cluster counts are drawn as images by the asset layer instead.
 */
export function offlineStyle(origin: string): StyleSpecification {
	return {
		version: 8,
		name: 'Asset Atlas offline',
		sources: {
			land: {
				type: 'geojson',
				data: `${origin}/basemap/land.json`,
				attribution: 'Natural Earth'
			},
			borders: { type: 'geojson', data: `${origin}/basemap/borders.json` }
		},
		layers: [
			{ id: 'water', type: 'background', paint: { 'background-color': BASEMAP_COLORS.water } },
			{ id: 'land', type: 'fill', source: 'land', paint: { 'fill-color': BASEMAP_COLORS.land } },
			{
				id: 'borders',
				type: 'line',
				source: 'borders',
				paint: {
					'line-color': BASEMAP_COLORS.border,
					'line-width': ['interpolate', ['linear'], ['zoom'], 2, 0.6, 8, 1.5],
					'line-dasharray': [3, 2]
				}
			}
		]
	};
}
