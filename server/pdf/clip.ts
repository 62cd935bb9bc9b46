/**
 * Plane geometry for the report's map, in page points: clipping rings and lines to a
 * rectangle (so a continent seen from one town costs a few vertices, not thirty thousand)
 * and dropping vertices too close together to see.
 */
export type Pt = [number, number];

export interface Rect {
	x0: number;
	y0: number;
	x1: number;
	y1: number;
}

type Edge = (p: Pt) => boolean;

/** Sutherland–Hodgman: the part of a closed ring inside `rect` (empty when none is). */
export function clipRing(ring: Pt[], rect: Rect): Pt[] {
	const edges: Array<{ inside: Edge; cross: (a: Pt, b: Pt) => Pt }> = [
		{ inside: (p) => p[0] >= rect.x0, cross: (a, b) => [rect.x0, a[1] + ((b[1] - a[1]) * (rect.x0 - a[0])) / (b[0] - a[0])] },
		{ inside: (p) => p[0] <= rect.x1, cross: (a, b) => [rect.x1, a[1] + ((b[1] - a[1]) * (rect.x1 - a[0])) / (b[0] - a[0])] },
		{ inside: (p) => p[1] >= rect.y0, cross: (a, b) => [a[0] + ((b[0] - a[0]) * (rect.y0 - a[1])) / (b[1] - a[1]), rect.y0] },
		{ inside: (p) => p[1] <= rect.y1, cross: (a, b) => [a[0] + ((b[0] - a[0]) * (rect.y1 - a[1])) / (b[1] - a[1]), rect.y1] }
	];
	let out = ring;
	for (const { inside, cross } of edges) {
		if (out.length === 0) break;
		const input = out;
		out = [];
		let prev = input[input.length - 1];
		let prevIn = inside(prev);
		for (const point of input) {
			const pointIn = inside(point);
			if (pointIn) {
				if (!prevIn) out.push(cross(prev, point));
				out.push(point);
			} else if (prevIn) out.push(cross(prev, point));
			prev = point;
			prevIn = pointIn;
		}
	}
	return out.length >= 3 ? out : [];
}

/** Liang–Barsky on each segment: the runs of a line inside `rect`. */
export function clipLine(line: Pt[], rect: Rect): Pt[][] {
	const runs: Pt[][] = [];
	let run: Pt[] = [];
	const flush = () => {
		if (run.length > 1) runs.push(run);
		run = [];
	};
	for (let i = 1; i < line.length; i++) {
		const [ax, ay] = line[i - 1];
		const [bx, by] = line[i];
		const dx = bx - ax;
		const dy = by - ay;
		let t0 = 0;
		let t1 = 1;
		let visible = true;
		for (const [p, q] of [
			[-dx, ax - rect.x0],
			[dx, rect.x1 - ax],
			[-dy, ay - rect.y0],
			[dy, rect.y1 - ay]
		]) {
			if (p === 0) {
				if (q < 0) visible = false;
			} else {
				const r = q / p;
				if (p < 0) t0 = Math.max(t0, r);
				else t1 = Math.min(t1, r);
			}
			if (t0 > t1) visible = false;
			if (!visible) break;
		}
		if (!visible) {
			flush();
			continue;
		}
		const start: Pt = [ax + t0 * dx, ay + t0 * dy];
		const end: Pt = [ax + t1 * dx, ay + t1 * dy];
		if (run.length === 0 || t0 > 0) {
			flush();
			run.push(start);
		}
		run.push(end);
		if (t1 < 1) flush();
	}
	flush();
	return runs;
}

/** Drops vertices closer than `min` to the last one kept (the last vertex always stays). */
export function thin(points: Pt[], min: number): Pt[] {
	if (points.length <= 2) return points;
	const out: Pt[] = [points[0]];
	const minSq = min * min;
	for (let i = 1; i < points.length - 1; i++) {
		const [x, y] = points[i];
		const [lx, ly] = out[out.length - 1];
		if ((x - lx) ** 2 + (y - ly) ** 2 >= minSq) out.push(points[i]);
	}
	out.push(points[points.length - 1]);
	return out;
}
