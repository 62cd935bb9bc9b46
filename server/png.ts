/**
 * Checks a PNG before it is filed with a snapshot (snapshots.ts) and again before pdfkit
 * embeds it in a report. pdfkit's PNG reader (png-js) inflates the
 * pixels of a picture with transparency in a callback and throws from there when the data
 * is corrupt, which no try/catch around the report could catch; and a small file can claim
 * a picture large enough to exhaust memory once decoded. So the report embeds only a PNG
 * whose header is sound, whose size is bounded and whose pixel data inflates here, to
 * exactly the length its header promises.
 */
import { inflateSync } from 'node:zlib';

/** About 40 megapixels: a full-page picture at 300 dpi is under 10. */
export const MAX_PNG_PIXELS = 40_000_000;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Samples per pixel for each colour type. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

export interface PngInfo {
	width: number;
	height: number;
	/** Bits per sample. */
	depth: number;
}

/** The bytes the scanlines of a `width`×`height` image take, with their filter bytes. */
function scanlineBytes(width: number, height: number, bitsPerPixel: number): number {
	return height * (1 + Math.ceil((width * bitsPerPixel) / 8));
}

/** Width, height and bit depth of a whole PNG that can be decoded safely, or null. */
export function pngInfo(bytes: Uint8Array, maxPixels = MAX_PNG_PIXELS): PngInfo | null {
	try {
		if (bytes.byteLength < 8 + 25 + 12 || SIGNATURE.some((b, i) => bytes[i] !== b)) return null;
		const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
		let offset = 8;
		let header: { width: number; height: number; depth: number; colour: number; interlace: number } | null = null;
		const data: Uint8Array[] = [];
		let ended = false;
		while (offset + 12 <= bytes.byteLength) {
			const length = view.getUint32(offset);
			const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
			const start = offset + 8;
			if (start + length + 4 > bytes.byteLength) return null;
			if (type === 'IHDR') {
				if (length !== 13 || header) return null;
				header = { width: view.getUint32(start), height: view.getUint32(start + 4), depth: bytes[start + 8], colour: bytes[start + 9], interlace: bytes[start + 12] };
			} else if (type === 'IDAT') data.push(bytes.subarray(start, start + length));
			else if (type === 'IEND') {
				ended = true;
				break;
			}
			offset = start + length + 4;
		}
		if (!header || !ended || data.length === 0) return null;
		const { width, height, depth, colour, interlace } = header;
		if (width === 0 || height === 0 || width * height > maxPixels) return null;
		if (!(colour in CHANNELS) || !DEPTHS[colour].includes(depth) || interlace > 1) return null;
		const bits = CHANNELS[colour] * depth;
		let expected = scanlineBytes(width, height, bits);
		if (interlace === 1) {
			// Adam7: seven passes over parts of the grid, each with its own scanlines.
			expected = 0;
			for (const [x0, y0, dx, dy] of [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]]) {
				const w = Math.ceil((width - x0) / dx);
				const h = Math.ceil((height - y0) / dy);
				if (w > 0 && h > 0) expected += scanlineBytes(w, h, bits);
			}
		}
		const pixels = inflateSync(Buffer.concat(data), { maxOutputLength: expected + 1 });
		return pixels.byteLength === expected ? { width, height, depth } : null;
	} catch {
		return null;
	}
}
