/**
 * How many TCP connections the process may hold at once. Each takes a file descriptor,
 * and so do the SQLite file, its WAL, the basemap cache and the compaction worker: when
 * 20,000 slow connections used them all up, every real request was reset. Past this many,
 * new connections are dropped on arrival and the server keeps working for those it has.
 */
import { readFileSync } from 'node:fs';

/** Descriptors kept for the process's own files and the upstream basemap requests. */
const RESERVED_DESCRIPTORS = 256;
/** When the limit cannot be read (not Linux): Node's usual soft limit is 1,024 or more. */
const FALLBACK_SOFT_LIMIT = 1024;

/** The soft "Max open files" limit from /proc/self/limits text, or null. */
export function parseOpenFilesLimit(limits: string): number | null {
	const match = /^Max open files\s+(\d+|unlimited)\s+/m.exec(limits);
	if (!match) return null;
	return match[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(match[1]);
}

export function maxConnectionsFor(softLimit: number): number {
	return Math.max(64, Math.min(Math.floor(softLimit * 0.8), softLimit - RESERVED_DESCRIPTORS));
}

export function readMaxConnections(): number {
	let soft: number | null = null;
	try {
		soft = parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8'));
	} catch {
		soft = null;
	}
	return maxConnectionsFor(soft ?? FALLBACK_SOFT_LIMIT);
}
