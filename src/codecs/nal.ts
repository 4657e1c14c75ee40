// H.264 NAL unit types and byte-level helpers (ISO 14496-10 §7.3.1, Annex B).

/** nal_unit_type values used by the packager (ISO 14496-10 Table 7-1). */
export const NalType = {
  /** Coded slice of a non-IDR picture. */
  SLICE: 1,
  /** Coded slice of an IDR picture. */
  IDR: 5,
  /** Supplemental enhancement information. */
  SEI: 6,
  /** Sequence parameter set. */
  SPS: 7,
  /** Picture parameter set. */
  PPS: 8,
  /** Access unit delimiter. */
  AUD: 9,
  /** End of sequence. */
  END_OF_SEQUENCE: 10,
  /** End of stream. */
  END_OF_STREAM: 11,
  /** Filler data. */
  FILLER: 12,
} as const;

/** The nal_unit_type (low 5 bits) of a NAL unit header byte. */
export function nalType(headerByte: number): number {
  return headerByte & 0x1f;
}

/** Removes emulation prevention bytes (00 00 03 → 00 00) so header fields can be parsed (§7.4.1). */
export function unescapeRbsp(nal: Uint8Array): Uint8Array {
  const out = new Uint8Array(nal.length);
  let n = 0;
  let zeros = 0;
  for (const byte of nal) {
    if (zeros >= 2 && byte === 0x03) {
      zeros = 0;
      continue;
    }
    out[n++] = byte;
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}

/** Splits an Annex B byte stream into NAL units (without start codes or trailing zero bytes). */
export function splitAnnexB(data: Uint8Array): Uint8Array[] {
  const units: Uint8Array[] = [];
  let start = -1;
  let i = 0;
  while (i + 2 < data.length) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) units.push(trimTrailingZeros(data, start, i));
      i += 3;
      start = i;
    } else {
      i++;
    }
  }
  if (start >= 0 && start < data.length) units.push(trimTrailingZeros(data, start, data.length));
  return units.filter((u) => u.length > 0);
}

function trimTrailingZeros(data: Uint8Array, start: number, end: number): Uint8Array {
  let e = end;
  while (e > start && data[e - 1] === 0) e--;
  return data.subarray(start, e);
}
