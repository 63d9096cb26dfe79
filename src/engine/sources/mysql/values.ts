/**
 * Canonical text (change-event.ts) for the MySQL values whose text the server does not give us
 * in that form; shared by the binlog decoder and the snapshot reader so both paths produce the
 * same string for the same stored value.
 */

/** FLOAT: the shortest decimal that reads back as the same float32 (the server prints only 6 digits). */
export function formatFloat32(v: number): string {
  if (!Number.isFinite(v)) return v !== v ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  for (let d = 1; d <= 9; d++) {
    const s = v.toPrecision(d);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

/** DOUBLE: JS's own shortest round-trip. */
export function formatFloat64(v: number): string {
  if (!Number.isFinite(v)) return v !== v ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  return String(v);
}

export function formatBinary(b: Buffer): string {
  return '\\x' + b.toString('hex');
}

/** BIT(n): n '0'/'1' digits from the big-endian bytes. */
export function formatBits(b: Buffer, bits: number): string {
  let s = '';
  for (const byte of b) s += byte.toString(2).padStart(8, '0');
  return s.length >= bits ? s.slice(s.length - bits) : s.padStart(bits, '0');
}

/** MySQL character set name -> WHATWG decoder label. MySQL's latin1 is cp1252 (windows-1252). */
const DECODER_LABEL: Record<string, string> = {
  utf8mb4: 'utf-8', utf8mb3: 'utf-8', utf8: 'utf-8', ascii: 'utf-8', latin1: 'windows-1252', cp1252: 'windows-1252',
  cp1250: 'windows-1250', cp1251: 'windows-1251', cp1256: 'windows-1256', cp1257: 'windows-1257', latin2: 'iso-8859-2',
  latin5: 'windows-1254', latin7: 'iso-8859-13', greek: 'iso-8859-7', hebrew: 'iso-8859-8', koi8r: 'koi8-r', koi8u: 'koi8-u',
  sjis: 'shift_jis', cp932: 'shift_jis', ujis: 'euc-jp', eucjpms: 'euc-jp', gbk: 'gbk', gb2312: 'gbk', gb18030: 'gb18030',
  big5: 'big5', euckr: 'euc-kr', utf16: 'utf-16be', utf16le: 'utf-16le', ucs2: 'utf-16be',
};
const decoders = new Map<string, { decode(b: Uint8Array): string }>();

/**
 * MySQL latin1 = cp1252; its 0x80-0x9F (5 holes map to the C1 controls, as MySQL does). Node's
 * TextDecoder('windows-1252') decodes plain ISO-8859-1 instead, so it is done here.
 */
const CP1252_HIGH = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f'
  + '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';
const cp1252 = {
  decode(b: Uint8Array): string {
    let s = '';
    for (let i = 0; i < b.length; i++) { const c = b[i]; s += c >= 0x80 && c < 0xa0 ? CP1252_HIGH[c - 0x80] : String.fromCharCode(c); }
    return s;
  },
};

/** A decoder for a character set, or null when we cannot decode it (the caller names the column). */
export function textDecoderFor(charset: string): { decode(b: Uint8Array): string } | null {
  const label = DECODER_LABEL[charset.toLowerCase()];
  if (!label) return null;
  if (label === 'windows-1252') return cp1252;
  let d = decoders.get(label);
  if (!d) { try { d = new TextDecoder(label); } catch { return null; } decoders.set(label, d); }
  return d;
}
