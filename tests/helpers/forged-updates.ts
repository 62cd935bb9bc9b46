/**
 * V1 updates written by hand, the way a hostile client would: structs at any client id
 * and clock, with any neighbours and parent, and delete sets over anyone's content.
 * Stock Yjs never writes most of these; the server must still judge them exactly.
 */
import * as encoding from 'lib0/encoding';

export type ForgedParent = { root: string } | { id: [client: number, clock: number] };

export interface ForgedItem {
	origin?: [client: number, clock: number];
	rightOrigin?: [client: number, clock: number];
	/** Written only when there are no neighbours (Yjs copies it from them otherwise). */
	parent?: ForgedParent;
	parentSub?: string;
	/** Values of a ContentAny, or a count of deleted clocks (ContentDeleted). */
	content: { any: unknown[] } | { deleted: number };
}

export type ForgedStruct = ({ kind: 'item' } & ForgedItem) | { kind: 'gc'; length: number };

export interface ForgedGroup {
	client: number;
	clock: number;
	structs: ForgedStruct[];
}

function writeStruct(encoder: encoding.Encoder, struct: ForgedStruct): void {
	if (struct.kind === 'gc') {
		encoding.writeUint8(encoder, 0);
		encoding.writeVarUint(encoder, struct.length);
		return;
	}
	const ref = 'any' in struct.content ? 8 : 1;
	const neighbours = struct.origin !== undefined || struct.rightOrigin !== undefined;
	const info = ref | (struct.origin ? 0x80 : 0) | (struct.rightOrigin ? 0x40 : 0) | (!neighbours && struct.parentSub !== undefined ? 0x20 : 0);
	encoding.writeUint8(encoder, info);
	if (struct.origin) (encoding.writeVarUint(encoder, struct.origin[0]), encoding.writeVarUint(encoder, struct.origin[1]));
	if (struct.rightOrigin) (encoding.writeVarUint(encoder, struct.rightOrigin[0]), encoding.writeVarUint(encoder, struct.rightOrigin[1]));
	if (!neighbours) {
		const parent = struct.parent ?? { root: 'assets' };
		if ('root' in parent) {
			encoding.writeVarUint(encoder, 1);
			encoding.writeVarString(encoder, parent.root);
		} else {
			encoding.writeVarUint(encoder, 0);
			encoding.writeVarUint(encoder, parent.id[0]);
			encoding.writeVarUint(encoder, parent.id[1]);
		}
		if (struct.parentSub !== undefined) encoding.writeVarString(encoder, struct.parentSub);
	}
	if ('any' in struct.content) {
		encoding.writeVarUint(encoder, struct.content.any.length);
		for (const value of struct.content.any) encoding.writeAny(encoder, value as never);
	} else {
		encoding.writeVarUint(encoder, struct.content.deleted);
	}
}

/** Length in clocks of a struct as Yjs will count it. */
export function structLength(struct: ForgedStruct): number {
	if (struct.kind === 'gc') return struct.length;
	return 'any' in struct.content ? struct.content.any.length : struct.content.deleted;
}

export function forgeUpdate(groups: ForgedGroup[], deletes: Array<{ client: number; ranges: Array<[clock: number, length: number]> }> = []): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, groups.length);
	for (const group of groups) {
		encoding.writeVarUint(encoder, group.structs.length);
		encoding.writeVarUint(encoder, group.client);
		encoding.writeVarUint(encoder, group.clock);
		for (const struct of group.structs) writeStruct(encoder, struct);
	}
	encoding.writeVarUint(encoder, deletes.length);
	for (const { client, ranges } of deletes) {
		encoding.writeVarUint(encoder, client);
		encoding.writeVarUint(encoder, ranges.length);
		for (const [clock, length] of ranges) (encoding.writeVarUint(encoder, clock), encoding.writeVarUint(encoder, length));
	}
	return encoding.toUint8Array(encoder);
}
