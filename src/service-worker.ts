/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
/**
 * Lets a phone reopen its maps with no network: the app shell and the offline countries
 * map are cached at install; pages, the street style and the basemap tiles this phone
 * has seen are cached as it goes. The map's data itself lives in IndexedDB (y-indexeddb),
 * so a reload offline shows the map, the list and the changes waiting to sync.
 *
 * Never cached: the sync socket, the API (keys, links, history are live answers), the
 * short join addresses and the basemap status, which must say what is true now.
 */
import { build, files, prerendered, version } from '$service-worker';

const worker = self as unknown as ServiceWorkerGlobalScope;

const SHELL = `shell-${version}`;
const PAGES = `pages-${version}`;
/** Basemap tiles outlive app versions: they depend on the map, not on the code. */
const BASEMAP = 'basemap-v1';
const MAX_BASEMAP_ENTRIES = 4000;
const MAX_PAGES = 60;
/** How long a page waits for the network before the cached copy is used. */
const NETWORK_TIMEOUT_MS = 4000;

const SHELL_FILES = new Set([...build, ...files, ...prerendered]);

worker.addEventListener('install', (event) => {
	event.waitUntil(
		(async () => {
			const cache = await caches.open(SHELL);
			await cache.addAll([...SHELL_FILES, '/']);
			await worker.skipWaiting();
		})()
	);
});

worker.addEventListener('activate', (event) => {
	event.waitUntil(
		(async () => {
			for (const name of await caches.keys()) if (name !== SHELL && name !== PAGES && name !== BASEMAP) await caches.delete(name);
			await worker.clients.claim();
		})()
	);
});

function isLive(path: string): boolean {
	return path.startsWith('/sync') || path.startsWith('/api/') || path.startsWith('/j/') || path === '/basemap/status';
}

function isBasemapResource(path: string): boolean {
	return path.startsWith('/basemap/tiles/') || path.startsWith('/basemap/glyphs/') || path.startsWith('/basemap/sprites/');
}

async function withTimeout(request: Request, ms: number): Promise<Response> {
	return fetch(request, { signal: AbortSignal.timeout(ms) });
}

/** Oldest first (Cache keys keep insertion order): drop the oldest beyond the cap. */
async function trim(cacheName: string, max: number): Promise<void> {
	const cache = await caches.open(cacheName);
	const keys = await cache.keys();
	for (const key of keys.slice(0, Math.max(0, keys.length - max))) await cache.delete(key);
}

let basemapPuts = 0;

async function page(request: Request): Promise<Response> {
	const url = new URL(request.url);
	const key = url.origin + url.pathname;
	try {
		const response = await withTimeout(request, NETWORK_TIMEOUT_MS);
		if (response.ok && (response.headers.get('content-type') ?? '').includes('text/html')) {
			const copy = response.clone();
			void caches.open(PAGES).then(async (cache) => {
				await cache.put(key, copy);
				await trim(PAGES, MAX_PAGES);
			});
		}
		return response;
	} catch {
		// Offline or too slow: the page as last seen, else the shell (the router takes it from there).
		return (await caches.match(key, { cacheName: PAGES })) ?? (await caches.match('/', { cacheName: SHELL })) ?? Response.error();
	}
}

async function basemapResource(request: Request): Promise<Response> {
	const cache = await caches.open(BASEMAP);
	const cached = await cache.match(request);
	if (cached) return cached;
	const response = await fetch(request);
	if (response.status === 200 || response.status === 204) {
		await cache.put(request, response.clone());
		if (++basemapPuts % 200 === 0) void trim(BASEMAP, MAX_BASEMAP_ENTRIES);
	}
	return response;
}

/** The street style: fresh when the server answers, the last one seen when it does not. */
async function basemapStyle(request: Request): Promise<Response> {
	try {
		const response = await withTimeout(request, NETWORK_TIMEOUT_MS);
		if (response.ok) {
			const copy = response.clone();
			void caches.open(BASEMAP).then((cache) => cache.put(request, copy));
		}
		return response;
	} catch {
		return (await caches.match(request, { cacheName: BASEMAP })) ?? Response.error();
	}
}

worker.addEventListener('fetch', (event) => {
	const request = event.request;
	if (request.method !== 'GET') return;
	const url = new URL(request.url);
	if (url.origin !== worker.location.origin || isLive(url.pathname)) return;
	if (request.mode === 'navigate') return event.respondWith(page(request));
	if (SHELL_FILES.has(url.pathname)) {
		return event.respondWith(caches.match(url.pathname, { cacheName: SHELL }).then((cached) => cached ?? fetch(request)));
	}
	if (url.pathname === '/basemap/style.json') return event.respondWith(basemapStyle(request));
	if (isBasemapResource(url.pathname)) return event.respondWith(basemapResource(request));
});
