/**
 * Snapshot records made in memory, the way POST /api/maps/<id>/snapshots makes them
 * (server/snapshots.ts createSnapshot), for tests and benchmarks of what is made from a
 * snapshot (the PDF report) without a server.
 */
import { createHash } from 'node:crypto';
import * as Y from 'yjs';
import { addAsset } from '../../src/lib/doc/mutations.ts';
import { addGoal } from '../../src/lib/doc/goal-mutations.ts';
import { connectAssets, linkAssetsToGoal } from '../../src/lib/doc/link-mutations.ts';
import { CATEGORIES, type Affiliation, type AssetGeometry, type Contributor } from '../../src/lib/doc/model.ts';
import { createDoc, readAllProgress, type AtlasDoc } from '../../src/lib/doc/schema.ts';
import { initMap } from '../../src/lib/doc/mutations.ts';
import { toGeoJson } from '../../src/lib/export/geojson.ts';
import { mapDataOf } from '../../src/lib/export/map-data.ts';
import { publicDoc, snapshotMeta } from '../../src/lib/export/snapshot.ts';
import type { Voices } from '../../src/lib/voices/aggregate.ts';
import { documentVoices } from '../../src/lib/voices/document.ts';
import type { SnapshotAnnotation, SnapshotAuthor, SnapshotRecord } from '../../server/persistence/doc-store.ts';
import type { StoredSnapshotMeta } from '../../server/snapshots.ts';

export const T0 = Date.UTC(2026, 2, 14, 15, 30);

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export interface RecordOptions {
	takenAt?: number;
	takenBy?: SnapshotAuthor | null;
	url?: string;
	annotations?: SnapshotAnnotation[];
	png?: Uint8Array | null;
	/** The voices frozen with it (the server's come from its journal); by default the document's. */
	voices?: Voices;
}

/** A snapshot of `doc` as the server would store it. */
export function snapshotRecordOf(doc: AtlasDoc, options: RecordOptions = {}): SnapshotRecord {
	const takenAt = options.takenAt ?? T0;
	const data = mapDataOf(doc);
	const progress = readAllProgress(doc);
	const frozen = publicDoc(data, progress);
	const state = Y.encodeStateAsUpdate(frozen);
	frozen.destroy();
	const geojson = new TextEncoder().encode(toGeoJson(data, { takenAt }));
	const meta: StoredSnapshotMeta = { ...snapshotMeta(data, progress), url: options.url ?? 'http://atlas.example.org/s/AAAAAAAAAAAAAAAAAAAAAA', voices: options.voices ?? documentVoices(doc) };
	const png = options.png ?? null;
	return {
		id: 'AAAAAAAAAAAAAAAAAAAAAA',
		mapId: 'map0000000',
		takenAt,
		takenBy: options.takenBy === undefined ? { name: 'Ana Ruiz', affiliation: 'faculty' } : options.takenBy,
		state,
		geojson,
		sha256: sha256(geojson),
		meta,
		annotationKeyHash: '0'.repeat(64),
		annotations: options.annotations ?? [],
		png,
		pngSha256: png ? sha256(png) : null
	};
}

const AFFILIATIONS: Affiliation[] = ['community-member', 'community-organization', 'campus-staff', 'faculty', 'student'];
const NAMES = ['Community garden', 'Café Ñandú', 'Hội Phụ nữ phường 5', 'Библиотека на Садовой', 'Βιβλιοθήκη Αγίου Νικολάου', 'Tool library', 'Youth soccer league', 'Seniors’ storytelling circle', 'Mercado de la esquina', 'Repair café'];
const HOLDERS = ['Eastside Growers', 'Asociación de vecinos', 'Nguyễn Thị Lan', 'City parks department', ''];

function person(n: number): Contributor {
	return { id: `person${String(n % 40).padStart(10, '0')}`, name: `Partner ${n % 40}`, affiliation: AFFILIATIONS[n % AFFILIATIONS.length] };
}

/**
 * A map shaped like a real workshop's: `count` assets around one town (points, with an
 * area and a line every few dozen), in every category and several scripts, four goals
 * most assets support, and connections between neighbours.
 */
export function workshopMap(count: number, centre: [number, number] = [-89.65, 39.8]): AtlasDoc {
	const doc = createDoc();
	initMap(doc, { title: 'Eastside strengths inventory', place: 'Springfield, Illinois', description: 'Assets named by residents, community organizations and campus partners at the spring workshops.' }, T0 - 86_400_000);
	const goals = [
		addGoal(doc, { title: 'Fresh food within a short walk', description: 'Every household reaches fresh, affordable food within fifteen minutes on foot.', horizon: 'long', status: 'active' }, person(1), T0 - 80_000_000),
		addGoal(doc, { title: 'Young people lead a summer program', horizon: 'short', status: 'proposed' }, person(2), T0 - 79_000_000),
		addGoal(doc, { title: 'Shared tools and skills', horizon: 'short', status: 'achieved' }, person(3), T0 - 78_000_000),
		addGoal(doc, { title: 'A neighbourhood oral history', horizon: 'long', status: 'paused' }, person(4), T0 - 77_000_000)
	];
	const ids: string[] = [];
	const side = Math.ceil(Math.sqrt(count));
	for (let n = 0; n < count; n++) {
		const lon = centre[0] + ((n % side) - side / 2) * 0.0009 + Math.sin(n * 12.9898) * 0.0003;
		const lat = centre[1] + (Math.floor(n / side) - side / 2) * 0.0007 + Math.cos(n * 78.233) * 0.0003;
		let geometry: AssetGeometry = { type: 'Point', coordinates: [lon, lat] };
		if (n % 37 === 5) {
			const d = 0.0008;
			geometry = { type: 'Polygon', coordinates: [[[lon, lat], [lon + d, lat], [lon + d, lat + d * 0.7], [lon + d * 0.2, lat + d], [lon, lat]]] };
		} else if (n % 53 === 7) {
			geometry = { type: 'LineString', coordinates: [[lon, lat], [lon + 0.001, lat + 0.0004], [lon + 0.002, lat + 0.0002]] };
		}
		const base = NAMES[n % NAMES.length];
		const id = addAsset(
			doc,
			{
				name: count > NAMES.length ? `${base} ${n + 1}` : base,
				category: CATEGORIES[n % CATEGORIES.length],
				description: n % 3 === 0 ? 'Volunteers meet here on Saturdays to share seeds, tools and recipes; newcomers are welcome and the kitchen is open to anyone who wants to cook for a neighbour.' : '',
				holder: HOLDERS[n % HOLDERS.length],
				tags: n % 4 === 0 ? ['food', 'outdoors'] : [],
				geometry
			},
			person(n),
			T0 - 70_000_000 + n * 1000
		);
		ids.push(id);
		if (n % 5 !== 4) linkAssetsToGoal(doc, [id], goals[n % goals.length], undefined, person(n), T0 - 60_000_000 + n);
		if (n > 0 && n % 6 === 0) connectAssets(doc, ids[n - 1], id, n % 12 === 0 ? 'Shares a kitchen on weekends' : undefined, person(n), T0 - 50_000_000 + n);
	}
	return doc;
}
