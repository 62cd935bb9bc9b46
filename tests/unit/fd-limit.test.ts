import { describe, expect, it } from 'vitest';
import { maxConnectionsFor, parseOpenFilesLimit } from '../../server/http/fd-limit.ts';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1048576              1048576              files
Max locked memory         8388608              8388608              bytes
`;

describe('connection cap from the open-files limit', () => {
	it('reads the soft limit', () => {
		expect(parseOpenFilesLimit(LIMITS)).toBe(1_048_576);
		expect(parseOpenFilesLimit(LIMITS.replace('1048576              1048576', '1024                 4096'))).toBe(1024);
		expect(parseOpenFilesLimit('nothing here')).toBeNull();
	});

	it('keeps descriptors for the process’s own files', () => {
		expect(maxConnectionsFor(1024)).toBe(768);
		expect(maxConnectionsFor(65_536)).toBe(52_428);
		expect(maxConnectionsFor(100)).toBe(64);
	});
});
