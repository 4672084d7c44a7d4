// Mode B request signing (docs/api.md, "Mode B: signed requests") with
// WebCrypto, so it runs unchanged in Node >= 20 and browsers. The secret
// never travels; each request is signed afresh with its own nonce.

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Lowercase hex SHA-256 of `body` (of the empty string for none). */
export async function sha256Hex(body: ArrayBuffer | Uint8Array | string = ''): Promise<string> {
  // A copy for non-strings: WebCrypto takes no views of shared buffers.
  const bytes = typeof body === 'string' ? encoder.encode(body) : new Uint8Array(body);
  return hex(await crypto.subtle.digest('SHA-256', bytes));
}

/** The canonical string tenantd signs: METHOD, target, X-Date, body hash [, nonce]. */
export function canonicalString(
  method: string,
  target: string,
  date: string,
  contentSha256: string,
  nonce?: string,
): string {
  const lines = [method.toUpperCase(), target, date, contentSha256];
  if (nonce !== undefined) lines.push(nonce);
  return lines.join('\n');
}

/** Lowercase hex HMAC-SHA256 of `message`, keyed with the app secret's characters as bytes. */
export async function hmacSha256Hex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return hex(await crypto.subtle.sign('HMAC', key, encoder.encode(message)));
}

export interface SignatureHeaders {
  'X-App-Key': string;
  'X-Date': string;
  'X-Content-Sha256': string;
  'X-Nonce': string;
  'X-App-Signature': string;
}

export interface SignOptions {
  appKey: string;
  appSecret: string;
  method: string;
  /** Path and query exactly as sent: `/v1/products?limit=10`. */
  target: string;
  body?: ArrayBuffer | Uint8Array | string;
  /** Defaults to now; tenantd refuses dates more than 300 s off its clock. */
  date?: Date;
  /** Defaults to a random UUID, so two identical requests in one second both pass. */
  nonce?: string;
}

/** The headers that sign one request (mode B). */
export async function signRequest(o: SignOptions): Promise<SignatureHeaders> {
  const date = (o.date ?? new Date()).toUTCString(); // IMF-fixdate
  const contentSha256 = await sha256Hex(o.body ?? '');
  const nonce = o.nonce ?? crypto.randomUUID();
  const signature = await hmacSha256Hex(
    o.appSecret,
    canonicalString(o.method, o.target, date, contentSha256, nonce),
  );
  return {
    'X-App-Key': o.appKey,
    'X-Date': date,
    'X-Content-Sha256': contentSha256,
    'X-Nonce': nonce,
    'X-App-Signature': signature,
  };
}
