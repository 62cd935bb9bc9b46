/**
 * The words around a snapshot's picture (src/lib/export/picture.ts): its title, place and
 * date, the legend from its counts, its citation and the QR code's address.
 */
import type { MessageKey } from '../i18n/index.ts';
import { t } from '../i18n/index.ts';
import { legendEntries } from '../export/picture-layout.ts';
import type { PictureText } from '../export/picture.ts';
import type { SnapshotView } from './snapshot-view.ts';

export const longDate = (ms: number) => new Date(ms).toLocaleDateString(undefined, { dateStyle: 'long' });

/** The legend of a picture, labelled, from counts per category. */
export function labelledLegend(counts: Partial<Record<string, number>>): PictureText['legend'] {
	return legendEntries(counts).map((entry) => ({ ...entry, label: t(`category.${entry.category}` as MessageKey) }));
}

export function snapshotPictureText(snapshot: SnapshotView, attribution: string): PictureText {
	const counts: Record<string, number> = {};
	for (const { category, count } of snapshot.categories) counts[category] = count;
	const when = longDate(snapshot.takenAt);
	return {
		title: snapshot.title || t('snapshot.untitled'),
		subtitle: [snapshot.place, t('picture.snapshotOf', { date: when })].filter(Boolean).join(' · '),
		legendTitle: t('picture.legend', { count: snapshot.assets.length }),
		legend: labelledLegend(counts),
		attribution,
		citation: { text: snapshot.citation.plain, url: snapshot.url || `${location.origin}/s/${snapshot.id}`, qrLabel: t('picture.qrLabel') },
		footer: t('picture.snapshotFooter', { hash: snapshot.sha256 })
	};
}
