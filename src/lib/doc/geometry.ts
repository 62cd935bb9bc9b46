/**
 * Geometry of assets, done by @turf modules rather than by hand: a representative point
 * that is always on the shape, boxes, moving a shape (wrapping at ±180°), self-crossing
 * areas, sizes and lasso selection. Pure functions over plain GeoJSON geometries, so the
 * server, the exporters and the map share them.
 */
import { area as turfArea } from '@turf/area';
import { bbox as turfBbox } from '@turf/bbox';
import { booleanIntersects } from '@turf/boolean-intersects';
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import { kinks } from '@turf/kinks';
import { pointOnFeature } from '@turf/point-on-feature';
import polylabel from 'polylabel';
import type { AssetGeometry, PolygonGeometry, Position } from './model.ts';

export type Bounds = [[west: number, south: number], [east: number, north: number]];

/**
 * Where an area's name goes: the point inside it farthest from its edges (polylabel), so
 * the label sits inside even a crescent or an L-shaped area, where the average of the
 * corners can fall outside. Precision is a hundredth of the area's larger side.
 */
export function areaLabelAnchor(geometry: AssetGeometry): Position | null {
	if (geometry.type !== 'Polygon' || geometry.coordinates.length === 0 || geometry.coordinates[0].length < 4) return null;
	const [[west, south], [east, north]] = geometryBounds(geometry);
	const span = Math.max(east - west, north - south);
	const ring = geometry.coordinates[0];
	if (!(span > 0)) return [ring[0][0], ring[0][1]];
	const [lng, lat] = polylabel(geometry.coordinates, span / 100);
	return [lng, lat];
}

/**
 * A representative point of any geometry, for a marker, for centring the map and as the
 * handle a move drags. A point is itself; a line gets a point on the line (@turf/point-on-feature);
 * an area gets the centre of its box when that lies inside it (the familiar middle of a
 * square or a park), and otherwise polylabel's point (always inside, away from the edges),
 * so a crescent's or an L's marker never lands outside the area.
 */
export function geometryAnchor(geometry: AssetGeometry): Position {
	if (geometry.type === 'Point') return geometry.coordinates;
	if (geometry.type === 'LineString') return position(pointOnFeature(geometry).geometry.coordinates);
	const [[west, south], [east, north]] = geometryBounds(geometry);
	const centre: Position = [(west + east) / 2, (south + north) / 2];
	if (booleanPointInPolygon(centre, geometry, { ignoreBoundary: true })) return centre;
	return areaLabelAnchor(geometry) ?? position(pointOnFeature(geometry).geometry.coordinates);
}

function position(coordinates: number[]): Position {
	return [coordinates[0], coordinates[1]];
}

/** The box around a geometry's coordinates: [[west, south], [east, north]] (@turf/bbox). */
export function geometryBounds(geometry: AssetGeometry): Bounds {
	const [west, south, east, north] = turfBbox(geometry);
	return [
		[west, south],
		[east, north]
	];
}

/**
 * The box around every coordinate of the geometries (areas and lines whole), or null when
 * there are none. When the assets sit on both sides of the antimeridian (Fiji, the Aleutians),
 * the box goes the short way across it: its east is then beyond 180° (MapLibre frames that).
 */
export function boundsOfGeometries(geometries: Iterable<AssetGeometry>): Bounds | null {
	const list = [...geometries];
	if (list.length === 0) return null;
	const [west, south, east, north] = turfBbox({ type: 'GeometryCollection', geometries: list });
	const across = east - west > 180 ? acrossAntimeridian(list) : null;
	return across ? [[across[0], south], [across[1], north]] : [[west, south], [east, north]];
}

/** [west, east + 360] of the narrowest box crossing ±180°, when it is narrower than the usual one. */
function acrossAntimeridian(geometries: AssetGeometry[]): [number, number] | null {
	const lngs = geometries
		.flatMap((g) => (g.type === 'Point' ? [g.coordinates] : g.type === 'LineString' ? g.coordinates : g.coordinates.flat()))
		.map((p) => p[0])
		.sort((a, b) => a - b);
	// The widest empty stretch of longitude inside (-180, 180) is what the box leaves out.
	let gap = 0;
	let at = -1;
	for (let i = 1; i < lngs.length; i++) {
		if (lngs[i] - lngs[i - 1] > gap) {
			gap = lngs[i] - lngs[i - 1];
			at = i;
		}
	}
	const usual = lngs[lngs.length - 1] - lngs[0];
	if (at < 0 || 360 - gap >= usual) return null;
	return [lngs[at], lngs[at - 1] + 360];
}

/** The box around a set of positions, or null when there are none. */
export function boundsOfPositions(positions: Position[]): Bounds | null {
	if (positions.length === 0) return null;
	const [west, south, east, north] = turfBbox({ type: 'MultiPoint', coordinates: positions });
	return [
		[west, south],
		[east, north]
	];
}

/**
 * `lng` shifted by whole turns to within 180° of `reference`: from 179 to -179 is 2° east
 * (to 181), not 358° west.
 */
export function unwrapLongitude(lng: number, reference: number): number {
	let out = lng;
	while (out - reference > 180) out -= 360;
	while (out - reference < -180) out += 360;
	return out;
}

/** A longitude brought into [-180, 180]: 181 is -179. */
export function wrapLongitude(lng: number): number {
	if (lng >= -180 && lng <= 180) return lng;
	const wrapped = ((((lng + 180) % 360) + 360) % 360) - 180;
	// 540 is the antimeridian seen from the east, so keep its sign.
	return wrapped === -180 && lng > 0 ? 180 : wrapped;
}

const clampLatitude = (lat: number) => Math.max(-90, Math.min(90, lat));

/**
 * The same shape shifted by a distance in degrees, for moving points, lines and areas whole.
 * Longitudes wrap at ±180°: a point moved past the antimeridian comes back on the other side,
 * and a line or an area wraps as one piece (by whole turns of 360°) so that its anchor stays on
 * the map. The document stores longitudes within [-180, 180] only, so a line or an area cannot
 * straddle the antimeridian: one that would is slid back until it touches ±180° on its anchor's side.
 * Latitudes stop at the poles, the whole shape together, so it keeps its form.
 */
export function translateGeometry(geometry: AssetGeometry, dLng: number, dLat: number): AssetGeometry {
	if (geometry.type === 'Point') {
		const [lng, lat] = geometry.coordinates;
		return { type: 'Point', coordinates: [wrapLongitude(lng + dLng), clampLatitude(lat + dLat)] };
	}
	const all = geometry.type === 'LineString' ? geometry.coordinates : geometry.coordinates.flat();
	const lats = all.map((p) => p[1]);
	const lngs = all.map((p) => p[0]);
	// Latitude: the whole shape stops at a pole rather than being squashed against it.
	const latShift = Math.max(-90 - Math.min(...lats), Math.min(90 - Math.max(...lats), dLat));
	// Longitude: move, wrap by whole turns around the anchor, then slide back inside ±180°.
	const anchor = geometryAnchor(geometry)[0] + dLng;
	let lngShift = dLng + (wrapLongitude(anchor) - anchor);
	const west = Math.min(...lngs) + lngShift;
	const east = Math.max(...lngs) + lngShift;
	if (east > 180) lngShift -= east - 180;
	else if (west < -180) lngShift += -180 - west;
	const shift = ([lng, lat]: Position): Position => [lng + lngShift, lat + latShift];
	if (geometry.type === 'LineString') return { type: 'LineString', coordinates: geometry.coordinates.map(shift) };
	return { type: 'Polygon', coordinates: geometry.coordinates.map((ring) => ring.map(shift)) };
}

/** Where an area's edges cross each other (its own or another ring's), as positions; empty when none. */
export function selfCrossings(geometry: PolygonGeometry): Position[] {
	return kinks(geometry).features.map((feature) => position(feature.geometry.coordinates));
}

/** An area's size in square metres on the globe (@turf/area); 0 for points and lines. */
export function areaSquareMetres(geometry: AssetGeometry): number {
	return geometry.type === 'Polygon' ? turfArea(geometry) : 0;
}

/**
 * Which of the geometries a drawn lasso takes in: a point inside it (or on its edge), a line
 * or an area that it touches. The lasso is a list of positions (closed or not, as drawn; a
 * freehand lasso that crosses itself counts what it encircles, even-odd). Fewer than three
 * distinct corners take in nothing.
 */
export function lassoContains(lasso: Position[], geometry: AssetGeometry): boolean {
	const polygon = lassoPolygon(lasso);
	if (!polygon) return false;
	const inside = (shape: AssetGeometry) =>
		shape.type === 'Point' ? booleanPointInPolygon(shape.coordinates, polygon) : booleanIntersects(shape, polygon);
	if (inside(geometry)) return true;
	// A loop drawn across ±180° comes from the map in unwrapped longitudes (179 → 181), so
	// an asset stored at -179 is also tried one turn east, and likewise one turn west.
	const longitudes = polygon.coordinates[0].map(([lng]) => lng);
	if (Math.max(...longitudes) > 180 && inside(turned(geometry, 360))) return true;
	if (Math.min(...longitudes) < -180 && inside(turned(geometry, -360))) return true;
	return false;
}

/** The shape a whole turn away, unwrapped (unlike translateGeometry, which keeps ±180°). */
function turned(geometry: AssetGeometry, dLng: number): AssetGeometry {
	const shift = ([lng, lat]: Position): Position => [lng + dLng, lat];
	if (geometry.type === 'Point') return { type: 'Point', coordinates: shift(geometry.coordinates) };
	if (geometry.type === 'LineString') return { type: 'LineString', coordinates: geometry.coordinates.map(shift) };
	return { type: 'Polygon', coordinates: geometry.coordinates.map((ring) => ring.map(shift)) };
}

/** The lasso as a closed polygon, or null when it encloses nothing. */
export function lassoPolygon(lasso: Position[]): PolygonGeometry | null {
	const ring = lasso.filter((p, i) => i === 0 || p[0] !== lasso[i - 1][0] || p[1] !== lasso[i - 1][1]);
	if (ring.length > 1 && ring[0][0] === ring[ring.length - 1][0] && ring[0][1] === ring[ring.length - 1][1]) ring.pop();
	if (new Set(ring.map((p) => `${p[0]},${p[1]}`)).size < 3) return null;
	return { type: 'Polygon', coordinates: [[...ring, ring[0]]] };
}
