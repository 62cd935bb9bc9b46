import { bordersGeoJson } from '$lib/server/basemap-data.ts';

export const prerender = true;

export function GET() {
	return new Response(bordersGeoJson(), { headers: { 'content-type': 'application/geo+json' } });
}
