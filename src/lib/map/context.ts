import { getContext, setContext } from 'svelte';
import type { Map as MaplibreMap } from 'maplibre-gl';

const KEY = Symbol('asset-atlas-map');

export interface MapContext {
	readonly map: MaplibreMap;
	readonly maplibre: typeof import('maplibre-gl');
}

export function provideMap(context: MapContext): void {
	setContext(KEY, context);
}

/** For layer components: only rendered once the map has loaded, so the map is always there. */
export function useMap(): MapContext {
	const context = getContext<MapContext | undefined>(KEY);
	if (!context) throw new Error('useMap() must be used inside <MapView>');
	return context;
}
