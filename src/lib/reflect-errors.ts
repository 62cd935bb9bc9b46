/**
 * A refused change to a check-in round, an answer or a goal's progress, in the person's
 * words (the round and goal mutations throw InvalidInputError naming the field); anything
 * else goes to the map's own sentences (i18n/errors.ts).
 */
import { InvalidInputError } from './doc/validate.ts';
import { errorMessage } from './i18n/errors.ts';
import { t, type MessageKey } from './i18n/index.ts';

const FIELDS: Record<string, MessageKey> = {
	title: 'rounds.refusal.title',
	prompt: 'rounds.refusal.prompt',
	prompts: 'rounds.refusal.prompt',
	text: 'rounds.refusal.text',
	goal: 'rounds.refusal.goal',
	note: 'rounds.refusal.note',
	nextSteps: 'rounds.refusal.nextSteps'
};

export function reflectErrorMessage(error: unknown): string {
	if (error instanceof InvalidInputError) {
		if (error.field === 'round') return t(error.reason === 'closed' ? 'rounds.refusal.closed' : 'refusal.gone');
		const key = FIELDS[error.field];
		if (key) return t(key);
	}
	return errorMessage(error);
}
