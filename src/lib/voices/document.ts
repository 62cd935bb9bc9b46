/**
 * Contributions read from a map's document, for when no history journal exists (a map
 * kept in memory by a test, or one from before the journal): each asset, goal, link and
 * answer with the affiliation of its `createdBy` (written by the client that made it).
 * Deleted and hidden entries count too: they were contributed, as the journal counts
 * every create. An answer without a contributor is an anonymous answer.
 */
import { readAllAssets, readAllGoals, readAllLinks, readAllResponses, type AtlasDoc } from '../doc/schema.ts';
import type { Contributor } from '../doc/model.ts';
import { aggregateVoices, type Contribution, type VoiceInput, type Voices } from './aggregate.ts';

const affiliationOf = (who: Contributor | null) => who?.affiliation ?? null;

export function fromDocument(doc: AtlasDoc): VoiceInput {
	const contributions: Contribution[] = [];
	for (const asset of readAllAssets(doc)) contributions.push({ at: asset.createdAt, collection: 'assets', affiliation: affiliationOf(asset.createdBy), category: asset.category });
	for (const goal of readAllGoals(doc)) contributions.push({ at: goal.createdAt, collection: 'goals', affiliation: affiliationOf(goal.createdBy), category: null });
	for (const link of readAllLinks(doc)) contributions.push({ at: link.createdAt, collection: 'links', affiliation: affiliationOf(link.createdBy), category: null });
	let anonymousAnswers = 0;
	for (const response of readAllResponses(doc)) {
		if (response.createdBy === null) anonymousAnswers++;
		else contributions.push({ at: response.createdAt, collection: 'responses', affiliation: response.createdBy.affiliation, category: null });
	}
	return { contributions, anonymousAnswers };
}

/** The voices of a document (source 'document'). */
export function documentVoices(doc: AtlasDoc): Voices {
	return aggregateVoices(fromDocument(doc), 'document');
}
