/**
 * The work on snapshots that is too heavy for the event loop, run in the report worker
 * (pdf/worker.mjs), or on this thread where no worker can start: freezing a map's stored
 * rows into a snapshot's public state and GeoJSON, and the files made from a snapshot's
 * stored state rather than stored as they are (its PDF report, CSV and KML).
 */
import * as Y from 'yjs';
import { createDoc, applyState, readAllProgress } from '../src/lib/doc/schema.ts';
import { toCsv } from '../src/lib/export/csv.ts';
import { toGeoJson } from '../src/lib/export/geojson.ts';
import { toKml } from '../src/lib/export/kml.ts';
import { mapDataOf } from '../src/lib/export/map-data.ts';
import { publicDoc, snapshotMeta, type SnapshotMeta } from '../src/lib/export/snapshot.ts';
import type { Voices } from '../src/lib/voices/aggregate.ts';
import { documentVoices } from '../src/lib/voices/document.ts';
import type { SnapshotRecord } from './persistence/doc-store.ts';
import { snapshotReport } from './pdf/report.ts';

export type MadeFormat = 'pdf' | 'csv' | 'kml';

export type SnapshotTask = { kind: 'file'; record: SnapshotRecord; format: MadeFormat } | { kind: 'freeze'; updates: Uint8Array[]; takenAt: number };

export interface FrozenState {
	/** The public document as one Yjs update. */
	state: Uint8Array;
	/** The canonical GeoJSON bytes the snapshot's hash is of. */
	geojson: Uint8Array;
	meta: SnapshotMeta;
	/** Whose voices the document holds (its `createdBy` fields): kept when the map has no history journal. */
	voices: Voices;
}

export async function snapshotFile(record: SnapshotRecord, format: MadeFormat): Promise<Uint8Array> {
	if (format === 'pdf') return snapshotReport(record);
	const doc = createDoc();
	applyState(doc, record.state);
	const data = mapDataOf(doc);
	doc.destroy();
	return new TextEncoder().encode(format === 'csv' ? toCsv(data) : toKml(data));
}

/** Everything the updates hold, as the public face of the map at `takenAt`. */
export function freezeState(updates: Uint8Array[], takenAt: number): FrozenState {
	const source = createDoc();
	for (const update of updates) applyState(source, update);
	const data = mapDataOf(source);
	const progress = readAllProgress(source);
	const voices = documentVoices(source);
	source.destroy();
	const frozen = publicDoc(data, progress);
	const state = Y.encodeStateAsUpdate(frozen);
	frozen.destroy();
	return { state, geojson: new TextEncoder().encode(toGeoJson(data, { takenAt })), meta: snapshotMeta(data, progress), voices };
}

export async function runTask(task: SnapshotTask): Promise<unknown> {
	return task.kind === 'freeze' ? freezeState(task.updates, task.takenAt) : snapshotFile(task.record, task.format);
}
