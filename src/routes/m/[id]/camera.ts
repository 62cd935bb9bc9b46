/**
 * Where the map page's camera goes: framing the assets once the map opens, showing an asset
 * chosen from the list (the whole of an area or a line, not its centre), showing a place
 * found by search, and the area on screen. This device's view only; nothing here writes.
 */
import type { Map as MaplibreMap } from 'maplibre-gl';
import type { PlaceResult } from '$lib/api.ts';
import type { Asset, MapView } from '$lib/doc/model.ts';
import { boundsOfGeometries, geometryBounds, type Bounds } from '$lib/doc/geometry.ts';
import { assetAnchor } from '$lib/doc/selectors.ts';

export type { Bounds };
export { geometryBounds };

/** All the assets in view (or the map's starting view when it has none), at once. */
export function frameAssets(map: MaplibreMap, assets: Asset[], view: MapView | null): void {
	if (assets.length === 0) {
		if (view) map.jumpTo({ center: view.center, zoom: view.zoom });
		return;
	}
	const bounds = boundsOfGeometries(assets.map((asset) => asset.geometry));
	if (bounds) map.fitBounds(bounds, { padding: 60, maxZoom: 15, duration: 0 });
}

/**
 * Brings an asset chosen from the list into view: a point centred (zoomed to a street), an
 * area or a line whole. On a phone the details card covers the lower half, so the asset
 * goes in the upper half.
 */
export function showAsset(map: MaplibreMap, asset: Asset): void {
	const container = map.getContainer();
	const narrow = container.clientWidth < 600;
	const bottom = narrow ? container.clientHeight * 0.5 : 0;
	if (asset.geometry.type === 'Point') {
		map.easeTo({ center: assetAnchor(asset), zoom: Math.max(map.getZoom(), 16.5), padding: { top: 0, left: 0, right: 0, bottom } });
		return;
	}
	const margin = 40;
	map.fitBounds(geometryBounds(asset.geometry), { padding: { top: margin, left: margin, right: margin, bottom: bottom + margin }, maxZoom: 18 });
}

/** The place search moves this device's view only; "Start everyone here" shares it. */
export function showPlace(map: MaplibreMap, place: PlaceResult): void {
	if (place.bbox) map.fitBounds([[place.bbox[0], place.bbox[1]], [place.bbox[2], place.bbox[3]]], { padding: 40, maxZoom: 16 });
	else map.flyTo({ center: [place.lon, place.lat], zoom: place.zoom });
}

/** The area on screen, for "Make this area work offline". */
export function visibleBbox(map: MaplibreMap): [number, number, number, number] {
	const bounds = map.getBounds();
	const clamp = (value: number, limit: number) => Math.max(-limit, Math.min(limit, value));
	return [clamp(bounds.getWest(), 180), clamp(bounds.getSouth(), 85), clamp(bounds.getEast(), 180), clamp(bounds.getNorth(), 85)];
}

/** The view a facilitator shares as everyone's starting view. */
export function currentView(map: MaplibreMap): MapView {
	const center = map.getCenter();
	return { center: [center.lng, center.lat], zoom: map.getZoom() };
}

/** The map's centre, where "Place here", "Add corner here" and "Move to the centre" act. */
export function centerOf(map: MaplibreMap): [number, number] {
	const center = map.getCenter();
	return [center.lng, center.lat];
}
