/**
 * Where "Place here" puts a new asset. In a workshop everyone's map opens on the same view,
 * so phones that add assets without moving the map would put them all on its centre, one
 * exactly on top of another (a cluster that hides all but one, and a snapshot that draws
 * one icon). The new asset goes to the centre when no marker is within `gap` pixels of it,
 * else to the first free spot on rings around it, starting above. Pure, in screen pixels.
 */
export type Px = readonly [number, number];

/** About a marker's width: closer than this, two markers read as one. */
export const MIN_GAP_PX = 28;
const RINGS = 6;

export function freeSpot(center: Px, taken: readonly Px[], gap = MIN_GAP_PX): Px {
	const near = taken.filter((point) => Math.hypot(point[0] - center[0], point[1] - center[1]) < (RINGS + 1) * gap);
	const free = (spot: Px) => near.every((point) => Math.hypot(point[0] - spot[0], point[1] - spot[1]) >= gap);
	if (free(center)) return center;
	for (let ring = 1; ring <= RINGS; ring++) {
		const spots = 6 * ring;
		for (let i = 0; i < spots; i++) {
			const angle = (2 * Math.PI * i) / spots - Math.PI / 2;
			const spot: Px = [center[0] + ring * gap * Math.cos(angle), center[1] + ring * gap * Math.sin(angle)];
			if (free(spot)) return spot;
		}
	}
	// Crowded all around: the centre, as before.
	return center;
}
