/**
 * The check-in rounds, their answers and the goals' progress of one open map, as reactive
 * state (read like runes). Small collections: each change re-reads the ones that changed.
 * Made by the map page and the present view beside their LiveMap; `destroy` stops observing.
 */
import type { GoalProgress, Round, RoundResponse } from './doc/model.ts';
import { observeCollections, readAllProgress, readAllResponses, readAllRounds, type AtlasDoc } from './doc/schema.ts';
import { ownRemovals, type OwnAnswerSeen } from './round-view.ts';

export class Reflection {
	rounds = $state<Round[]>([]);
	responses = $state<RoundResponse[]>([]);
	progress = $state<GoalProgress[]>([]);
	readonly #stop: Array<() => void>;

	constructor(doc: AtlasDoc) {
		this.rounds = readAllRounds(doc);
		this.responses = readAllResponses(doc);
		this.progress = readAllProgress(doc);
		this.#stop = [
			observeCollections(doc, ['rounds'], () => (this.rounds = readAllRounds(doc))),
			observeCollections(doc, ['responses'], () => (this.responses = readAllResponses(doc))),
			observeCollections(doc, ['progress'], () => (this.progress = readAllProgress(doc)))
		];
	}

	destroy(): void {
		for (const stop of this.#stop) stop();
	}
}

/**
 * What a participant has typed and not yet sent, per round and prompt, kept while they
 * switch tabs and, in this tab's session storage, through a reload (an anonymous answer
 * written offline waits here until there is a connection). And, for as long as the page
 * is open, what became of what they sent: which of their named answers a facilitator
 * removed (not withdrawn by them on this device), so the prompt's form can say so instead
 * of "Answer added."
 */
export class AnswerDrafts {
	#texts = $state<Record<string, string>>({});
	readonly #storageKey: string;
	/** This person's live named answers when last looked at (not reactive: only compared). */
	#seen = new Map<string, OwnAnswerSeen>();
	/** Answers this person withdrew on this device (their own doing, not news to them). */
	readonly #withdrawnHere = new Set<string>();
	/** `round:prompt` where a facilitator removed one of this person's answers. */
	#removed = $state<Record<string, true>>({});

	constructor(mapId: string) {
		this.#storageKey = `atlas:answer-drafts:${mapId}`;
		try {
			const stored: unknown = JSON.parse(sessionStorage.getItem(this.#storageKey) ?? '{}');
			if (stored && typeof stored === 'object' && !Array.isArray(stored)) {
				this.#texts = Object.fromEntries(Object.entries(stored).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
			}
		} catch {
			// No storage (private mode) or a damaged entry: start empty.
		}
	}

	/** `field`: 'text' or 'goal' (the goal picked for the answer). */
	static key(roundId: string, prompt: number, field: 'text' | 'goal' = 'text'): string {
		return `${roundId}:${prompt}:${field}`;
	}

	get(roundId: string, prompt: number, field: 'text' | 'goal' = 'text'): string {
		return this.#texts[AnswerDrafts.key(roundId, prompt, field)] ?? '';
	}

	set(roundId: string, prompt: number, value: string, field: 'text' | 'goal' = 'text'): void {
		const key = AnswerDrafts.key(roundId, prompt, field);
		if (value) this.#texts[key] = value;
		else delete this.#texts[key];
		try {
			sessionStorage.setItem(this.#storageKey, JSON.stringify(this.#texts));
		} catch {
			// Kept in memory only.
		}
	}

	/**
	 * Looks at the map's answers for this person's own: one that was live and is now
	 * withdrawn, not by them on this device, was removed by a facilitator.
	 */
	noteOwnAnswers(responses: Iterable<RoundResponse>, personId: string | null): void {
		const { seen, removed } = ownRemovals(this.#seen, responses, personId, this.#withdrawnHere);
		this.#seen = seen;
		// Live again (an undo): a later removal is news again.
		for (const id of seen.keys()) this.#withdrawnHere.delete(id);
		for (const answer of removed) {
			this.#withdrawnHere.delete(answer.id);
			this.#removed[`${answer.round}:${answer.prompt}`] = true;
		}
	}

	/** Called just before this person withdraws their own answer here. */
	markWithdrawn(id: string): void {
		this.#withdrawnHere.add(id);
	}

	/** Whether a facilitator removed this person's answer to this prompt (since it was said). */
	removedFrom(roundId: string, prompt: number): boolean {
		return this.#removed[`${roundId}:${prompt}`] === true;
	}

	/** Whether a facilitator removed any of this person's answers to this round. */
	removedIn(roundId: string): boolean {
		return Object.keys(this.#removed).some((key) => key.startsWith(`${roundId}:`));
	}

	/** Said and done with: a new answer was sent to the prompt. */
	clearRemoved(roundId: string, prompt: number): void {
		delete this.#removed[`${roundId}:${prompt}`];
	}
}
