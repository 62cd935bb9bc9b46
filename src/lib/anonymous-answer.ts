/**
 * Sending an answer to an anonymous check-in round. It is never written into the document
 * by this device (its Yjs client id would tie it to this person): the server writes it under
 * its own id, with no name (`POST /api/maps/<id>/rounds/<roundId>/responses`, server/api.ts).
 * The key travels in the Authorization header only. The outcome is a value, never a throw,
 * so the form can keep what was typed and say plainly what happened.
 */

export type AnonymousOutcome =
	| { kind: 'sent'; id: string }
	/** No connection: the text stays in the form to send again. */
	| { kind: 'offline' }
	/** The facilitator closed the round (409). */
	| { kind: 'closed' }
	/** A view-only link (403). */
	| { kind: 'forbidden' }
	/** Too many answers from here at once (429). */
	| { kind: 'busy' }
	/** The server refused the answer itself (400): a goal removed meanwhile, a round gone. */
	| { kind: 'refused' }
	/** Anything else (5xx, an unexpected answer). */
	| { kind: 'failed' };

export interface AnonymousAnswer {
	prompt: number;
	text: string;
	goal?: string;
}

export async function sendAnonymousAnswer(
	mapId: string,
	roundId: string,
	key: string,
	answer: AnonymousAnswer,
	fetcher: typeof fetch = fetch
): Promise<AnonymousOutcome> {
	if (typeof navigator !== 'undefined' && navigator.onLine === false) return { kind: 'offline' };
	const body: AnonymousAnswer = { prompt: answer.prompt, text: answer.text };
	if (answer.goal) body.goal = answer.goal;
	let response: Response;
	try {
		response = await fetcher(`/api/maps/${encodeURIComponent(mapId)}/rounds/${encodeURIComponent(roundId)}/responses`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${key}` },
			body: JSON.stringify(body)
		});
	} catch {
		// fetch rejects only when no answer came back at all.
		return { kind: 'offline' };
	}
	return outcomeOf(response.status, await response.json().catch(() => null));
}

/** What an HTTP answer to the POST means for the person. */
export function outcomeOf(status: number, body: unknown): AnonymousOutcome {
	if (status === 201) {
		const id = body && typeof body === 'object' && 'id' in body && typeof body.id === 'string' ? body.id : null;
		return id ? { kind: 'sent', id } : { kind: 'failed' };
	}
	if (status === 409) return { kind: 'closed' };
	if (status === 401 || status === 403) return { kind: 'forbidden' };
	if (status === 429) return { kind: 'busy' };
	if (status === 400 || status === 404 || status === 413 || status === 422) return { kind: 'refused' };
	return { kind: 'failed' };
}
