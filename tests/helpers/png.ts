/** A real PNG of one colour, made by hand (zlib for the pixels, CRC-32 per chunk), for tests of picture uploads. */
import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, data: Uint8Array): Buffer {
	const head = Buffer.alloc(8);
	head.writeUInt32BE(data.byteLength, 0);
	head.write(type, 4, 'latin1');
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
	return Buffer.concat([head, data, crc]);
}

export function solidPng(width: number, height: number, rgb: [number, number, number] = [40, 120, 90], bitDepth: 8 | 16 = 8): Uint8Array {
	const header = Buffer.alloc(13);
	header.writeUInt32BE(width, 0);
	header.writeUInt32BE(height, 4);
	header.set([bitDepth, 2, 0, 0, 0], 8); // RGB, no interlace
	const sample = bitDepth / 8;
	const row = Buffer.alloc(1 + width * 3 * sample);
	for (let x = 0; x < width; x++) rgb.forEach((value, c) => row.fill(value, 1 + (x * 3 + c) * sample, 1 + (x * 3 + c + 1) * sample));
	const pixels = Buffer.concat(Array.from({ length: height }, () => row));
	return new Uint8Array(
		Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(pixels)), chunk('IEND', new Uint8Array(0))])
	);
}
