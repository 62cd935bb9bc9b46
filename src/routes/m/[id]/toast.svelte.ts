/**
 * The map page's one toast: a short message, at most one action (Undo, Restore), gone after
 * a few seconds. A new message replaces the one showing.
 */
export interface ToastAction {
	label: string;
	run: () => void;
}

export interface ToastMessage {
	message: string;
	action?: ToastAction;
}

export const TOAST_MS = 8000;

export class Toast {
	current = $state<ToastMessage | null>(null);
	#timer: ReturnType<typeof setTimeout> | null = null;

	show(message: string, action?: ToastAction): void {
		this.current = { message, action };
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = setTimeout(() => this.dismiss(), TOAST_MS);
	}

	/** Runs the action (once) and closes the toast. */
	act(): void {
		const action = this.current?.action;
		this.dismiss();
		action?.run();
	}

	dismiss(): void {
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
		this.current = null;
	}
}

/** A toast is read at a glance: long names are cut. */
export function shortName(name: string): string {
	const chars = [...name];
	return chars.length > 40 ? `${chars.slice(0, 39).join('')}…` : name;
}
