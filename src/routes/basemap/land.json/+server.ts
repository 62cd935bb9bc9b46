import { landGeoJson } from '$lib/server/basemap-data.ts';

export const prerender = true;

export function GET() {
	return new Response(landGeoJson(), { headers: { 'content-type': 'application/geo+json' } });
}
