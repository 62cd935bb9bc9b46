/**
 * An area's size as people read it on the asset card: acres where that is the everyday
 * unit (en-US), hectares everywhere else. The size itself comes from @turf/area.
 */
import { areaSquareMetres } from './doc/geometry.ts';
import type { AssetGeometry } from './doc/model.ts';
import { t } from './i18n/index.ts';

const SQUARE_METRES_PER_ACRE = 4046.8564224;
const SQUARE_METRES_PER_HECTARE = 10_000;

/** Whether this locale measures land in acres. */
export function usesAcres(locale: string | undefined): boolean {
	return (locale ?? '').toLowerCase() === 'en-us';
}

/** "2.3 hectares", "5.7 acres", "0.04 hectares"; null for points and lines. */
export function areaSize(geometry: AssetGeometry, locale?: string): string | null {
	if (geometry.type !== 'Polygon') return null;
	const acres = usesAcres(locale);
	const value = areaSquareMetres(geometry) / (acres ? SQUARE_METRES_PER_ACRE : SQUARE_METRES_PER_HECTARE);
	// Two significant digits under 1 (a garden is 0.04 ha, not 0), one decimal above.
	const options: Intl.NumberFormatOptions = value < 1 ? { maximumSignificantDigits: 2 } : { maximumFractionDigits: 1 };
	const size = new Intl.NumberFormat(locale, options).format(value);
	const one = value === 1 || size === new Intl.NumberFormat(locale).format(1);
	if (acres) return t(one ? 'asset.acre' : 'asset.acres', { size });
	return t(one ? 'asset.hectare' : 'asset.hectares', { size });
}
