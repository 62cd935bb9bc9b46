/**
 * A DocStore wrapper whose writes and loads can be held back or made to fail, to test
 * what rooms do while the disk is slow or broken.
 */
import type { DocStore } from '../../server/persistence/doc-store.ts';

export interface Gate {
	/** Resolves when the next held call arrives. */
	reached: Promise<void>;
	release(): void;
}

export interface FaultyStore extends DocStore {
	holdAppends(): Gate;
	holdLoads(): Gate;
	failAppends(fail: boolean): void;
	appendCalls: number;
}

function gate(): Gate & { wait(): Promise<void> } {
	let arrive = () => {};
	let open = () => {};
	const reached = new Promise<void>((resolve) => (arrive = resolve));
	const opened = new Promise<void>((resolve) => (open = resolve));
	return {
		reached,
		release: open,
		wait() {
			arrive();
			return opened;
		}
	};
}

export function faultyStore(inner: DocStore): FaultyStore {
	let appendGate: ReturnType<typeof gate> | null = null;
	let loadGate: ReturnType<typeof gate> | null = null;
	let failing = false;
	const store: FaultyStore = {
		...inner,
		appendCalls: 0,
		async appendUpdate(mapId, update, extras) {
			store.appendCalls++;
			if (appendGate) await appendGate.wait();
			if (failing) throw new Error('disk full (simulated)');
			return inner.appendUpdate(mapId, update, extras);
		},
		async loadUpdates(mapId) {
			if (loadGate) await loadGate.wait();
			return inner.loadUpdates(mapId);
		},
		holdAppends() {
			appendGate = gate();
			return appendGate;
		},
		holdLoads() {
			loadGate = gate();
			return loadGate;
		},
		failAppends(fail) {
			failing = fail;
		}
	};
	return store;
}
