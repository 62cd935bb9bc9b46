/**
 * UI strings come only from the locale catalogs in this folder. `t` fills `{name}`
 * placeholders as plain text; callers render the result as text, never as HTML.
 */
import { en, type MessageKey } from './en.ts';

export type { MessageKey };
export type Catalog = Record<MessageKey, string>;

const catalogs: Record<string, Catalog> = { en };

export const DEFAULT_LOCALE = 'en';
let current: Catalog = en;

export function setLocale(locale: string): void {
	current = catalogs[locale] ?? catalogs[locale.split('-')[0]] ?? en;
}

export function t(key: MessageKey, params?: Record<string, string | number>): string {
	const template = current[key] ?? en[key] ?? key;
	if (!params) return template;
	return template.replace(/\{(\w+)\}/g, (match, name: string) =>
		name in params ? String(params[name]) : match
	);
}
