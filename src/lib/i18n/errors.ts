/**
 * The one way a refused change is told to the person: every mutation error becomes a
 * sentence from the catalog. Mutations throw InvalidInputError naming the field at fault
 * (their English message is for developers and logs); anything else is unexpected.
 */
import { InvalidInputError } from '../doc/validate.ts';
import { t, type MessageKey } from './index.ts';

const FIELD_MESSAGES: Record<string, MessageKey> = {
	name: 'refusal.name',
	title: 'refusal.title',
	place: 'refusal.place',
	category: 'refusal.category',
	description: 'refusal.description',
	holder: 'refusal.holder',
	tags: 'refusal.tags',
	geometry: 'refusal.geometry',
	view: 'refusal.view',
	id: 'refusal.gone'
};

const REASON_MESSAGES: Record<string, MessageKey> = {
	'self-crossing': 'refusal.selfCrossing'
};

export function errorMessage(error: unknown): string {
	if (error instanceof InvalidInputError) {
		return t((error.reason && REASON_MESSAGES[error.reason]) || FIELD_MESSAGES[error.field] || 'refusal.generic');
	}
	return t('refusal.generic');
}
