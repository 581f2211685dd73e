// Strict, allocation-light IP address parsing and formatting. A large
// configuration holds thousands of addresses, and general-purpose parsers
// (which also accept octal, hex and shortened IPv4 forms) were the slowest
// part of validation; these accept only dotted quads and RFC 4291 text.

const V4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isV4(text: string): boolean {
  return V4.test(text);
}

export function parseV4(text: string): number[] | null {
  if (!V4.test(text)) return null;
  const out = [0, 0, 0, 0];
  let part = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) part++;
    else out[part] = (out[part] as number) * 10 + (c - 48);
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * 16 bytes, or null. Accepts "::" compression and a dotted quad as the last
 * 32 bits. A single pass over the characters: this runs for every address of
 * a large configuration.
 */
export function parseV6(text: string): number[] | null {
  const len = text.length;
  if (len < 2 || len > 45) return null;
  const words: number[] = [];
  let gap = -1; // index in words where "::" stands
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return null;
    gap = 0;
    i = 2;
    if (len === 2) return new Array<number>(16).fill(0);
  }
  while (i < len) {
    let value = 0;
    let digits = 0;
    const start = i;
    while (i < len && digits <= 4) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0) break;
      value = value * 16 + h;
      digits++;
      i++;
    }
    if (i < len && text.charCodeAt(i) === 46) {
      // trailing dotted quad: must end the text
      const v4 = parseV4(text.slice(start));
      if (!v4 || words.length > 6) return null;
      words.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      i = len;
      break;
    }
    if (digits === 0 || digits > 4) return null;
    words.push(value);
    if (i === len) break;
    if (text.charCodeAt(i) !== 58) return null;
    i++;
    if (i < len && text.charCodeAt(i) === 58) {
      if (gap >= 0) return null;
      gap = words.length;
      i++;
      if (i === len) break;
    } else if (i === len) {
      return null; // a single trailing colon
    }
  }
  if (gap < 0) {
    if (words.length !== 8) return null;
  } else {
    if (words.length > 7) return null;
    words.splice(gap, 0, ...new Array<number>(8 - words.length).fill(0));
  }
  const bytes = new Array<number>(16);
  for (let w = 0; w < 8; w++) {
    const v = words[w] as number;
    bytes[2 * w] = v >> 8;
    bytes[2 * w + 1] = v & 255;
  }
  return bytes;
}

/** RFC 5952 text: lowercase, longest run (>1) of zero words compressed. */
export function formatV6(bytes: number[]): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

export function formatBytes(bytes: number[]): string {
  return bytes.length === 4 ? bytes.join('.') : formatV6(bytes);
}

export function parseBytes(text: string): number[] | null {
  return text.includes(':') ? parseV6(text) : parseV4(text);
}
