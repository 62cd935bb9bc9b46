// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
	namespace App {}
	interface Window {
		/** Test hook set by MapView once its map has loaded (README "Test hook"). */
		__atlas?: { map: import('maplibre-gl').Map };
	}
}

export {};
