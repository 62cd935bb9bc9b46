/**
 * How close the process is to its heap limit. Every map shares one Node heap, and a Yjs
 * document costs many times its stored size in memory: past this line the server stops
 * loading more maps and stops accepting writes that grow a map, rather than dying with an
 * out-of-memory crash that would stop every workshop at once. Reads, presence and
 * deletions still work, and the line is left again as idle rooms unload.
 */
import { getHeapStatistics } from 'node:v8';

/** Share of the heap limit past which memory is "tight". */
export const HEAP_TIGHT_RATIO = 0.7;
/** Reading the heap costs about a microsecond; rooms ask per write, so it is cached briefly. */
const SAMPLE_MS = 250;

export interface MemoryGauge {
	tight(): boolean;
}

export function heapGauge(ratio = HEAP_TIGHT_RATIO, read = getHeapStatistics, now = Date.now): MemoryGauge {
	let sampledAt = -Infinity;
	let tight = false;
	return {
		tight() {
			const time = now();
			if (time - sampledAt >= SAMPLE_MS) {
				const { used_heap_size, heap_size_limit, external_memory = 0 } = read();
				// Queued frames and stored rows are buffers outside the heap: they count against
				// the same line, or sockets' queues could fill the machine's memory unseen.
				tight = used_heap_size / heap_size_limit > ratio || external_memory / heap_size_limit > ratio;
				sampledAt = time;
			}
			return tight;
		}
	};
}
