/**
 * Brings a document made by an earlier version up to SCHEMA_VERSION. The server runs it
 * when it loads a map (under its own client id, stored and sent like any update), so every
 * peer sees one migration, once; clients never migrate (an editor may not write `meta`).
 *
 * Each step only adds: readers of every version tolerate missing and extra fields
 * (shared/DESIGN.md), so a peer still on the earlier version keeps working beside it.
 */
import { SCHEMA_VERSION } from './model.ts';
import { readAllGoals, readAllProgress, readMeta, insertEntry, transact, writeMeta, type AtlasDoc } from './schema.ts';

export const MIGRATION_ORIGIN = 'asset-atlas:migration';

/**
 * 1 → 2: check-in rounds (`rounds`, `responses`) and goal progress (`progress`) are new root
 * maps, empty until used. Each existing goal's timeline starts with its current status as
 * it stood at the migration (from unknown), so no goal shows an empty history. That first
 * entry is keyed by the goal's own id (as addGoal keys it), so two instances migrating the
 * same map at once write the same entries instead of doubling them.
 */
function toVersion2(doc: AtlasDoc, now: number): void {
	const started = new Set(readAllProgress(doc).map((entry) => entry.goal));
	for (const goal of readAllGoals(doc)) {
		if (started.has(goal.id)) continue;
		const id = goal.id;
		insertEntry(doc, 'progress', id, { id, goal: goal.id, to: goal.status, note: '', by: goal.updatedBy ?? undefined, at: goal.updatedAt || now });
	}
}

/** The document's schema version (0 for one whose meta says nothing: not a map yet). */
export function schemaVersionOf(doc: AtlasDoc): number {
	return readMeta(doc).schemaVersion;
}

/**
 * Migrates in one transaction; returns whether anything changed. A document without a
 * version (empty, or not made by initMap) and one from a newer version are left alone.
 */
export function migrateDoc(doc: AtlasDoc, now = Date.now(), origin: unknown = MIGRATION_ORIGIN): boolean {
	const version = schemaVersionOf(doc);
	if (version < 1 || version >= SCHEMA_VERSION) return false;
	transact(
		doc,
		() => {
			if (version < 2) toVersion2(doc, now);
			writeMeta(doc, { schemaVersion: SCHEMA_VERSION });
		},
		origin
	);
	return true;
}
