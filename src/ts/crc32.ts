// CRC-32/MPEG-2 for PSI sections (ISO 13818-1 Annex A): polynomial 0x04C11DB7, initial value
// 0xFFFFFFFF, MSB first with no reflection and no final XOR.

/** The generator polynomial of Annex A. */
const CRC32_MPEG2_POLYNOMIAL = 0x04c11db7;

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 24;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x80000000 ? (crc << 1) ^ CRC32_MPEG2_POLYNOMIAL : crc << 1;
    }
    table[i] = crc >>> 0;
  }
  return table;
}

/** Precomputed remainders for each leading byte; a constant, built once on load. */
const TABLE = buildTable();

/** CRC-32/MPEG-2 of `data[start..end)`. */
export function crc32Mpeg2(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) ^ TABLE[((crc >>> 24) ^ data[i]!) & 0xff]!) >>> 0;
  }
  return crc;
}
