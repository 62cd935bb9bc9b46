/**
 * Why a form cannot save right now, as a catalog key, or null when it can. Offline is not
 * a reason: saving keeps the change on the device and sends it later (the draft is kept
 * until the server has it, see drafts.ts).
 */
import type { MessageKey } from '../i18n/index.ts';
import type { Role } from '../doc/model.ts';
import { CLOSE } from '../sync/close-codes.ts';

export interface SaveContext {
	role: Role;
	locked: boolean;
	status: 'connecting' | 'live' | 'offline' | 'refused';
	refusedCode: number | null;
}

export function saveBlockReason(context: SaveContext): MessageKey | null {
	if (context.role === 'viewer') return 'edit.blockedViewer';
	const code = context.refusedCode;
	if (code === CLOSE.writeRefused || code === CLOSE.tooLarge || code === CLOSE.malformed) return 'edit.blockedRefused';
	if (code === CLOSE.unauthorized || code === CLOSE.forbiddenOrigin) return 'edit.blockedLink';
	if (context.locked && context.role !== 'facilitator') return 'edit.blockedLocked';
	return null;
}
