/**
 * KML placemarks as GeoJSON features, by @tmcw/togeojson (names, descriptions, ExtendedData
 * as properties; MultiGeometry as a GeometryCollection). The XML is parsed by the browser's
 * DOMParser, which never fetches external entities or DTDs.
 */
import { kml } from '@tmcw/togeojson';
import { ImportError, type XmlParser } from './source.ts';

interface XmlDocument {
	documentElement: { localName?: string | null; nodeName?: string } | null;
	getElementsByTagName(name: string): { length: number };
}

export function kmlFeatures(text: string, parser?: XmlParser): unknown[] {
	const xml = parser ?? (typeof DOMParser === 'undefined' ? null : new DOMParser());
	if (!xml) throw new ImportError('import.error.badKml');
	let dom: XmlDocument;
	try {
		dom = xml.parseFromString(text, 'text/xml') as XmlDocument;
	} catch {
		throw new ImportError('import.error.badKml');
	}
	const root = dom?.documentElement;
	const rootName = (root?.localName ?? root?.nodeName ?? '').toLowerCase();
	if (!root || rootName !== 'kml' || dom.getElementsByTagName('parsererror').length > 0) {
		throw new ImportError('import.error.badKml');
	}
	return kml(dom as unknown as Document).features;
}
