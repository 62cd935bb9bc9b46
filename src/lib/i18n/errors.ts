/**
 * The one way a refused change is told to the person: every mutation error becomes a
 * sentence from the catalog. Mutations throw InvalidInputError naming the field at fault
 * (their English message is for developers and logs); anything else is unexpected.
 */
import { InvalidInputError } from '../doc/validate.ts';
import { t, type MessageKey } from './index.ts';

const FIELD_MESSAGES: Record<string, MessageKey> = {
	name: 'error.name',
	title: 'error.title',
	place: 'error.place',
	category: 'error.category',
	description: 'error.description',
	holder: 'error.holder',
	tags: 'error.tags',
	geometry: 'error.geometry',
	view: 'error.view',
	id: 'error.gone'
};

export function errorMessage(error: unknown): string {
	if (error instanceof InvalidInputError) return t(FIELD_MESSAGES[error.field] ?? 'error.generic');
	return t('error.generic');
}
