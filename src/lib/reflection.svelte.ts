/**
 * The check-in rounds, their answers and the goals' progress of one open map, as reactive
 * state (read like runes). Small collections: each change re-reads the ones that changed.
 * Made by the map page and the present view beside their LiveMap; `destroy` stops observing.
 */
import type { GoalProgress, Round, RoundResponse } from './doc/model.ts';
import { observeCollections, readAllProgress, readAllResponses, readAllRounds, type AtlasDoc } from './doc/schema.ts';

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
 * written offline waits here until there is a connection).
 */
export class AnswerDrafts {
	#texts = $state<Record<string, string>>({});
	readonly #storageKey: string;

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
}
