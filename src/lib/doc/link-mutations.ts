/**
 * Linking assets to goals (`supports`) and to each other (`connects`).
 *
 * A link lives under its derived id (ids.ts), so two people making the same link at once
 * write the same key and end with one link. Unlinking sets `deletedAt` on the entry (the
 * server refuses deleting keys to participants); linking again clears it, so a link never
 * needs a second entry. Many links made together (a lasso) are one transaction: one
 * update on the wire and one step for undo.
 */
import { connectsLinkId, supportsLinkId } from './ids.ts';
import { LIMITS, type Contributor, type LinkKind } from './model.ts';
import { hasEntity, insertEntry, patchEntity, readLink, transact, type AtlasDoc, type Collection } from './schema.ts';
import { cleanText, LOCAL_ORIGIN, stamp } from './mutations.ts';
import { InvalidInputError } from './validate.ts';

interface Ends {
	kind: LinkKind;
	from: string;
	to: string;
}

function idOf({ kind, from, to }: Ends): string {
	return kind === 'supports' ? supportsLinkId(from, to) : connectsLinkId(from, to);
}

function requireEntry(doc: AtlasDoc, collection: Collection, id: string): void {
	if (!hasEntity(doc, collection, id)) throw new InvalidInputError('id', `no ${collection === 'goals' ? 'goal' : 'asset'} ${id}`);
}

/**
 * Makes each link that is not already live: a new entry, or a removed one brought back.
 * A note, when given, is written on every link made or already there. Returns the ids of
 * links that changed (empty when all were already there).
 */
function makeLinks(doc: AtlasDoc, ends: Ends[], note: string | undefined, by: Contributor, now: number, origin: unknown): string[] {
	const cleanNote = note === undefined ? undefined : cleanText(note, 'note', LIMITS.description);
	const seen = new Set<string>();
	const plan: Array<{ id: string; ends: Ends; existing: ReturnType<typeof readLink> }> = [];
	for (const link of ends) {
		if (link.kind === 'connects' && link.from === link.to) throw new InvalidInputError('to', 'an asset cannot connect to itself');
		requireEntry(doc, 'assets', link.from);
		requireEntry(doc, link.kind === 'supports' ? 'goals' : 'assets', link.to);
		const id = idOf(link);
		if (seen.has(id)) continue;
		seen.add(id);
		const existing = readLink(doc, id);
		const live = existing !== null && existing.deletedAt === null;
		if (live && (cleanNote === undefined || existing.note === cleanNote)) continue;
		plan.push({ id, ends: link, existing });
	}
	if (plan.length === 0) return [];
	const who = stamp(by);
	transact(
		doc,
		() => {
			for (const { id, ends: link, existing } of plan) {
				if (existing) {
					const fields: Record<string, unknown> = { deletedAt: undefined, updatedBy: who, updatedAt: now };
					if (cleanNote !== undefined) fields.note = cleanNote;
					patchEntity(doc, 'links', id, fields);
					continue;
				}
				// `connects` is stored with its ends in id order, so both directions read the same.
				const [from, to] = link.kind === 'connects' ? [link.from, link.to].sort() : [link.from, link.to];
				insertEntry(doc, 'links', id, { id, kind: link.kind, from, to, note: cleanNote ?? '', createdBy: who, createdAt: now });
			}
		},
		origin
	);
	return plan.map(({ id }) => id);
}

/** Ties every given asset to a goal ("supports"), as one step. Returns the links that changed. */
export function linkAssetsToGoal(
	doc: AtlasDoc,
	assetIds: readonly string[],
	goalId: string,
	note: string | undefined,
	by: Contributor,
	now = Date.now(),
	origin: unknown = LOCAL_ORIGIN
): string[] {
	return makeLinks(doc, assetIds.map((from) => ({ kind: 'supports', from, to: goalId })), note, by, now, origin);
}

/** Connects two assets ("connects", e.g. "shares space"); the same in either direction. */
export function connectAssets(
	doc: AtlasDoc,
	a: string,
	b: string,
	note: string | undefined,
	by: Contributor,
	now = Date.now(),
	origin: unknown = LOCAL_ORIGIN
): string | null {
	return makeLinks(doc, [{ kind: 'connects', from: a, to: b }], note, by, now, origin)[0] ?? null;
}

/** Removes links (softly). Links not there or already removed are skipped; returns those removed. */
export function unlink(doc: AtlasDoc, linkIds: readonly string[], by: Contributor, now = Date.now(), origin: unknown = LOCAL_ORIGIN): string[] {
	const live = [...new Set(linkIds)].filter((id) => readLink(doc, id)?.deletedAt === null);
	if (live.length === 0) return [];
	const who = stamp(by);
	transact(doc, () => live.forEach((id) => patchEntity(doc, 'links', id, { deletedAt: now, updatedBy: who, updatedAt: now })), origin);
	return live;
}

/** The note on a live link ("shares space", "how this asset serves the goal"). */
export function setLinkNote(doc: AtlasDoc, linkId: string, note: string, by: Contributor, now = Date.now(), origin: unknown = LOCAL_ORIGIN): boolean {
	const link = readLink(doc, linkId);
	if (!link || link.deletedAt !== null) throw new InvalidInputError('id', `no link ${linkId}`);
	const clean = cleanText(note, 'note', LIMITS.description);
	if (clean === link.note) return false;
	transact(doc, () => patchEntity(doc, 'links', linkId, { note: clean, updatedBy: stamp(by), updatedAt: now }), origin);
	return true;
}
