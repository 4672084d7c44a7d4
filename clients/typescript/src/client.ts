// A typed tenantd client: openapi-fetch over the types generated from
// /openapi.json, plus what generation cannot give: credentials (API key,
// app key + secret, mode B signatures, the session cookie, the admin
// token) and typed problem errors.
import createClient, { type Client, type Middleware } from 'openapi-fetch';

import { toProblemError } from './errors.js';
import type { paths } from './generated/openapi.js';
import { signRequest } from './signing.js';

/** How requests authenticate (docs/api.md, "Tenant requests"). */
export type Credentials =
  /** `Authorization: Bearer sk_live_…` */
  | { type: 'apiKey'; key: string }
  /** Mode A: the app secret travels in X-App-Secret. */
  | { type: 'appSecret'; appKey: string; appSecret: string }
  /** Mode B: every request signed with the app secret (HMAC-SHA256 via WebCrypto); the secret never travels. */
  | { type: 'signature'; appKey: string; appSecret: string }
  /** Only the session cookie (see `session`). */
  | { type: 'session' }
  /** The platform admin token, for /admin/v1 routes. */
  | { type: 'admin'; token: string }
  | { type: 'none' };

export interface TenantdClientOptions {
  /** Where tenantd serves, e.g. `https://api.example.com` (no trailing slash). */
  baseUrl: string;
  credentials?: Credentials;
  /**
   * Keep the `sid` cookie tenantd sets and send it back: `memory` holds it in
   * this client (Node, workers), `browser` leaves it to the browser's cookie
   * jar (`credentials: 'include'`), `off` ignores it. Default `memory`
   * outside browsers, `browser` in them.
   */
  session?: 'memory' | 'browser' | 'off';
  /** Replaces globalThis.fetch (tests, instrumentation). */
  fetch?: (input: Request) => Promise<Response>;
}

/** The session cookie as this client holds it (session: 'memory'). */
export class SessionJar {
  /** The `sid` cookie value, or undefined. */
  sid: string | undefined;

  /** Remembers (or forgets) the sid of a Set-Cookie answer. */
  update(response: Response): void {
    const headers = response.headers as Headers & { getSetCookie?: () => string[] };
    const cookies = headers.getSetCookie?.() ?? [];
    for (const cookie of cookies) {
      const match = /^sid=([^;]*)/.exec(cookie);
      if (!match) continue;
      const cleared = match[1] === '' || /;\s*max-age=0\b/i.test(cookie);
      this.sid = cleared ? undefined : match[1];
    }
  }

  clear(): void {
    this.sid = undefined;
  }
}

export type TenantdClient = Client<paths> & {
  /** The session cookie this client holds (session: 'memory'). */
  readonly session: SessionJar;
  /** Switches credentials for later requests (e.g. to the session alone after signing in). */
  useCredentials(credentials: Credentials): void;
};

function isBrowser(): boolean {
  return typeof (globalThis as { document?: unknown }).document !== 'undefined';
}

function requestTarget(url: string): string {
  const u = new URL(url);
  return u.pathname + u.search;
}

/**
 * A client for one tenantd. Every method is typed from the OpenAPI document:
 *
 *   const tenantd = createTenantdClient({ baseUrl, credentials: { type: 'apiKey', key } });
 *   const { data } = await tenantd.GET('/v1/products/{id}', { params: { path: { id } } });
 *
 * Any answer that is not a success throws a ProblemError subclass
 * (UnauthorizedError, RateLimitedError, …) carrying the problem's `code`.
 */
export function createTenantdClient(options: TenantdClientOptions): TenantdClient {
  const mode = options.session ?? (isBrowser() ? 'browser' : 'memory');
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(mode === 'browser' ? { credentials: 'include' as const } : {}),
  });
  const jar = new SessionJar();
  let credentials: Credentials = options.credentials ?? { type: 'none' };

  const auth: Middleware = {
    async onRequest({ request }) {
      if (mode === 'memory' && jar.sid !== undefined) {
        request.headers.set('Cookie', 'sid=' + jar.sid);
      }
      switch (credentials.type) {
        case 'apiKey':
          request.headers.set('Authorization', 'Bearer ' + credentials.key);
          break;
        case 'admin':
          request.headers.set('Authorization', 'Bearer ' + credentials.token);
          break;
        case 'appSecret':
          request.headers.set('X-App-Key', credentials.appKey);
          request.headers.set('X-App-Secret', credentials.appSecret);
          break;
        case 'signature': {
          const body = request.body === null ? '' : await request.clone().arrayBuffer();
          const signed = await signRequest({
            appKey: credentials.appKey,
            appSecret: credentials.appSecret,
            method: request.method,
            target: requestTarget(request.url),
            body,
          });
          for (const [name, value] of Object.entries(signed)) request.headers.set(name, value);
          break;
        }
        case 'session':
        case 'none':
          break;
      }
      return request;
    },
    async onResponse({ response }) {
      if (mode === 'memory') jar.update(response);
      if (response.ok || response.status === 304) return undefined;
      throw await toProblemError(response);
    },
  };
  client.use(auth);

  return Object.assign(client, {
    session: jar,
    useCredentials(next: Credentials) {
      credentials = next;
    },
  });
}
