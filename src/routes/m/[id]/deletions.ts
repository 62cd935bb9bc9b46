/** Deleting together: when to ask first, and which deletions to tell the facilitator about. */
import type { Asset, Contributor } from '$lib/doc/model.ts';

/**
 * Someone else's asset is deleted only after asking ("Maria added this. Delete it for
 * everyone?"). One's own, or one with no known author, goes at once, with Undo.
 */
export function askBeforeDeleting(asset: Pick<Asset, 'createdBy'>, me: Pick<Contributor, 'id'>): boolean {
	return asset.createdBy !== null && asset.createdBy.id !== me.id;
}

/** Deletions older than this when they reach the page are history, not news. */
export const FRESH_DELETION_MS = 2 * 60_000;

/**
 * Whether an asset change is a deletion by someone else that just happened: it was not
 * deleted before (`wasDeleted`), is now, and was not made by this person.
 */
export function isFreshDeletionByOther(asset: Pick<Asset, 'deletedAt' | 'updatedBy'> | undefined, wasDeleted: boolean, me: Pick<Contributor, 'id'> | null, now: number): boolean {
	if (!asset || asset.deletedAt === null || wasDeleted) return false;
	if (me && asset.updatedBy?.id === me.id) return false;
	return Math.abs(now - asset.deletedAt) <= FRESH_DELETION_MS;
}
