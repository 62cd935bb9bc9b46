/**
 * Just enough of PNG (RFC 2083) to accept a snapshot's picture from a browser without
 * decoding it: the signature, an IHDR chunk first with sane dimensions, and an IEND chunk
 * at the very end. The bytes are only ever served back as image/png with nosniff, so what
 * matters is that they are a PNG of a bounded size, not what they show.
 */
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

export interface PngSize {
	width: number;
	height: number;
	/** Bits per sample (1, 2, 4, 8 or 16). */
	bitDepth: number;
}

/** The picture's size in pixels, or null when the bytes are not a whole PNG. */
export function pngSize(bytes: Uint8Array): PngSize | null {
	if (bytes.byteLength < SIGNATURE.length + 25 + IEND.length) return null;
	if (SIGNATURE.some((byte, i) => bytes[i] !== byte)) return null;
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	// The first chunk: length 13, type IHDR.
	if (view.getUint32(8) !== 13 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return null;
	const width = view.getUint32(16);
	const height = view.getUint32(20);
	const bitDepth = bytes[24];
	if (width === 0 || height === 0 || ![1, 2, 4, 8, 16].includes(bitDepth)) return null;
	const tail = bytes.subarray(bytes.byteLength - IEND.length);
	if (IEND.some((byte, i) => tail[i] !== byte)) return null;
	return { width, height, bitDepth };
}
