/**
 * The browser's side of GET /api/maps/<id>/voices: the key in the Authorization header,
 * the answer checked by parseVoices before anything shows it.
 */
import { parseVoices, type Voices } from './aggregate.ts';

export class VoicesUnavailableError extends Error {
	constructor(readonly status: number) {
		super(`voices could not be read (${status})`);
		this.name = 'VoicesUnavailableError';
	}
}

export async function fetchVoices(mapId: string, key: string, signal?: AbortSignal): Promise<Voices> {
	const response = await fetch(`/api/maps/${encodeURIComponent(mapId)}/voices`, { headers: { accept: 'application/json', authorization: `Bearer ${key}` }, signal });
	if (!response.ok) throw new VoicesUnavailableError(response.status);
	const voices = parseVoices(await response.json().catch(() => null));
	if (!voices) throw new VoicesUnavailableError(response.status);
	return voices;
}
