/**
 * Words of the present view (`/m/<id>/present`), as pure functions of selector output, so
 * what the room reads is tested without a browser.
 */
import { boundsOfGeometries, type Bounds } from './doc/geometry.ts';
import type { Asset } from './doc/model.ts';
import type { Contribution } from './doc/selectors.ts';
import { t } from './i18n/index.ts';

/** The parts of one feed line; the view styles them, screen readers get `text`. */
export interface ContributionLine {
	who: string;
	affiliation: string;
	name: string;
	category: string;
	/** "Maria · Community organization · added Eastside Tool Library · Organizations" */
	text: string;
}

export function contributionLine(item: Contribution): ContributionLine {
	const who = item.who.trim() || t('present.someone');
	const affiliation = (item.affiliation ? t(`affiliation.${item.affiliation}`) : t('affiliation.other')).toLocaleLowerCase();
	const name = item.name.trim() || t('asset.untitled');
	const category = item.category ? t(`category.${item.category}`) : t('category.unknown');
	return { who, affiliation, name, category, text: t('present.feedLine', { who, affiliation, name, category }) };
}

export function peopleHere(count: number): string {
	if (count <= 0) return t('present.nobody');
	return count === 1 ? t('present.person') : t('present.people', { count });
}

/** [[west, south], [east, north]] of every coordinate of the assets (areas whole), or null. */
export function boundsOf(assets: Array<Pick<Asset, 'geometry'>>): Bounds | null {
	return boundsOfGeometries(assets.map((asset) => asset.geometry));
}
