/**
 * Alibaba Cloud's percent-encoding (POP signature spec): encodeURIComponent plus ! ' ( ) *, and
 * the strict inverse used to read query strings and form bodies. Malformed input (a lone `%`,
 * invalid UTF-8) is an error the edge turns into a 400, never a crash.
 */
export function popEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export class MalformedEncodingError extends Error {}

/** Splits `a=1&b=2` into ordered, decoded pairs; `+` is a space (application/x-www-form-urlencoded). */
export function parsePairs(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    pairs.push([decode(rawKey), decode(rawValue)]);
  }
  return pairs;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new MalformedEncodingError(`malformed percent-encoding in ${JSON.stringify(s.slice(0, 40))}`);
  }
}
