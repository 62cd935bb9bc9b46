/**
 * Pure parts of the lasso tool, tested without a map: thinning a freehand stroke to a
 * handful of corners, closing it, and bringing it back onto the world as stored.
 */

export type Point = [number, number];

/** Perpendicular distance from p to the segment a–b. */
function distanceToSegment(p: Point, a: Point, b: Point): number {
	const dx = b[0] - a[0];
	const dy = b[1] - a[1];
	const length2 = dx * dx + dy * dy;
	if (length2 === 0) return Math.hypot(p[0] - a[0], p[1] - a[1]);
	const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2));
	return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

/** Douglas–Peucker on an open polyline: the points that matter within `tolerance`. */
function douglasPeucker(points: Point[], tolerance: number): Point[] {
	if (points.length <= 2) return points.slice();
	const keep = new Uint8Array(points.length);
	keep[0] = keep[points.length - 1] = 1;
	const stack: Array<[number, number]> = [[0, points.length - 1]];
	while (stack.length > 0) {
		const [first, last] = stack.pop()!;
		let farthest = -1;
		let distance = tolerance;
		for (let i = first + 1; i < last; i++) {
			const d = distanceToSegment(points[i], points[first], points[last]);
			if (d > distance) {
				distance = d;
				farthest = i;
			}
		}
		if (farthest >= 0) {
			keep[farthest] = 1;
			stack.push([first, farthest], [farthest, last]);
		}
	}
	return points.filter((_, i) => keep[i] === 1);
}

/**
 * A drawn stroke as a closed ring of at most `maxVertices` distinct corners (plus the
 * closing repeat of the first). Consecutive duplicates go; the stroke is thinned with
 * Douglas–Peucker, starting at `tolerance` (in the stroke's units, e.g. screen pixels) and
 * loosening until it fits. Null when fewer than three distinct corners remain.
 */
export function simplifyRing(stroke: Point[], maxVertices = 200, tolerance = 1): Point[] | null {
	const points = stroke.filter((p, i) => Number.isFinite(p[0]) && Number.isFinite(p[1]) && (i === 0 || p[0] !== stroke[i - 1][0] || p[1] !== stroke[i - 1][1]));
	if (points.length > 1 && samePoint(points[0], points[points.length - 1])) points.pop();
	if (points.length < 3) return null;
	// Close the stroke first so the thinning keeps the corner where it started.
	const ring = [...points, points[0]];
	const most = Math.max(3, Math.floor(maxVertices));
	let step = tolerance;
	let thinned = douglasPeucker(ring, step);
	while (thinned.length - 1 > most) {
		step *= 1.5;
		const looser = douglasPeucker(ring, step);
		if (looser.length - 1 < 3) break;
		thinned = looser;
	}
	// Too loose a tolerance collapses a ring to a line; then keep corners evenly spaced.
	if (thinned.length - 1 > most) thinned = evenly(thinned.slice(0, -1), most).concat([thinned[0]]);
	if (new Set(thinned.map((p) => `${p[0]},${p[1]}`)).size < 3) return null;
	return thinned.map((p) => [p[0], p[1]]);
}

/** `count` of the points, evenly spaced along the list, the first one kept. */
function evenly(points: Point[], count: number): Point[] {
	return Array.from({ length: count }, (_, i) => points[Math.floor((i * points.length) / count)]);
}

function samePoint(a: Point, b: Point): boolean {
	return a[0] === b[0] && a[1] === b[1];
}

/**
 * A ring in [lng, lat] moved by whole turns of 360° so that its middle longitude lies within
 * [-180, 180]: a lasso drawn on a copy of the world east or west of the main one lands on the
 * stored coordinates. The ring stays continuous, so one drawn across the antimeridian keeps
 * its shape (and may reach beyond ±180° on one side).
 */
export function ringOnWorld(ring: Point[]): Point[] {
	if (ring.length === 0) return [];
	const lngs = ring.map((p) => p[0]);
	const middle = (Math.min(...lngs) + Math.max(...lngs)) / 2;
	const turns = middle > 180 ? Math.ceil((middle - 180) / 360) : middle < -180 ? -Math.ceil((-180 - middle) / 360) : 0;
	if (turns === 0) return ring.map((p) => [p[0], p[1]]);
	return ring.map((p) => [p[0] - turns * 360, p[1]]);
}
