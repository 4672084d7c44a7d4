// The client against a live tenantd: a tenant created through the admin
// API, signed (mode B) requests, products CRUD, pagination, sessions, API
// keys, and refusals surfaced as typed errors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import openapiTS, { astToString } from 'openapi-typescript';

import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  ProblemError,
  RateLimitedError,
  UnauthorizedError,
  ValidationError,
  createTenantdClient,
  paginate,
  type TenantdClient,
} from '../src/index.js';
import { startTenantd, type LiveServer } from './server.js';

let server: LiveServer;
let admin: TenantdClient;
let appKey = '';
let appSecret = '';

async function rejects<T extends ProblemError>(
  call: Promise<unknown>,
  type: new (...args: never[]) => T,
  code: string,
): Promise<T> {
  try {
    await call;
  } catch (e) {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    assert.equal(e.code, code);
    return e;
  }
  assert.fail(`expected ${type.name} ${code}, but the call succeeded`);
}

before(async () => {
  // Three failed authentications per presented key, then 429.
  server = await startTenantd({ TENANTD_AUTH_FAILURES_PER_KEY: '3', TENANTD_AUTH_FAILURES_PER_IP: '1000' });
  admin = createTenantdClient({ baseUrl: server.url, credentials: { type: 'admin', token: server.adminToken } });
  const { data } = await admin.POST('/admin/v1/tenants', {
    body: { slug: 'ts-client', name: 'TypeScript Client' },
  });
  assert.ok(data);
  assert.equal(data.tenant.slug, 'ts-client');
  appKey = data.credentials.app_key;
  appSecret = data.credentials.app_secret;
});

after(async () => {
  await server?.stop();
});

describe('generated types', () => {
  it('are those of the live server\'s /openapi.json', async () => {
    const document = await (await fetch(server.url + '/openapi.json')).json();
    const generated = astToString(await openapiTS(document, { defaultNonNullable: false }));
    const committed = readFileSync(new URL('../../src/generated/openapi.ts', import.meta.url), 'utf8');
    assert.equal(
      committed.slice(committed.indexOf('export interface paths')),
      generated.slice(generated.indexOf('export interface paths')),
      'src/generated/openapi.ts is stale: run `npm run generate` against a running tenantd',
    );
  });
});

describe('mode B signatures', () => {
  it('sign every request, with and without a body', async () => {
    const tenant = createTenantdClient({
      baseUrl: server.url,
      credentials: { type: 'signature', appKey, appSecret },
      session: 'off',
    });
    const { data: me } = await tenant.GET('/v1/whoami');
    assert.equal(me?.auth.mode, 'signature');
    assert.equal(me?.tenant.slug, 'ts-client');
    const { data: key } = await tenant.POST('/v1/api-keys', {
      body: { name: 'signed', environment: 'test' },
    });
    assert.match(key?.secret ?? '', /^sk_test_/);
    // Two identical requests in the same second: the nonce keeps both valid.
    await Promise.all([tenant.GET('/v1/whoami'), tenant.GET('/v1/whoami')]);
  });

  it('with a wrong secret is a typed 401', async () => {
    const forged = createTenantdClient({
      baseUrl: server.url,
      credentials: { type: 'signature', appKey, appSecret: appSecret + 'x' },
    });
    const e = await rejects(forged.GET('/v1/whoami'), UnauthorizedError, 'invalid_signature');
    assert.equal(e.status, 401);
    assert.ok(e.requestId.length > 0);
  });
});

describe('products', () => {
  const tenant = () =>
    createTenantdClient({ baseUrl: server.url, credentials: { type: 'signature', appKey, appSecret } });

  it('create, read, update with If-Match, delete', async () => {
    const t = tenant();
    const { data: created, response } = await t.POST('/v1/products', {
      body: { sku: 'MUG-1', name: 'Blue mug', price_cents: 1299, attributes: { colour: 'blue' } },
    });
    assert.equal(response.status, 201);
    const id = created!.product.id;
    const { data: read } = await t.GET('/v1/products/{id}', { params: { path: { id } } });
    assert.equal(read?.product.price_cents, 1299);
    const { data: updated } = await t.PATCH('/v1/products/{id}', {
      params: { path: { id }, header: { 'If-Match': '"1"' } },
      body: { price_cents: 1499 },
    });
    assert.equal(updated?.product.version, 2);
    await rejects(
      t.PATCH('/v1/products/{id}', { params: { path: { id }, header: { 'If-Match': '"1"' } }, body: { name: 'x' } }),
      PreconditionFailedError,
      'precondition_failed',
    );
    await rejects(
      t.POST('/v1/products', { body: { sku: 'MUG-1', name: 'Again', price_cents: 1 } }),
      ConflictError,
      'sku_taken',
    );
    const invalid = await rejects(
      t.POST('/v1/products', { body: { sku: 'bad sku', name: '', price_cents: -1 } }),
      ValidationError,
      'validation_failed',
    );
    assert.ok(invalid.fieldErrors.some((f) => f.field === 'sku'));
    const { response: deleted } = await t.DELETE('/v1/products/{id}', { params: { path: { id } } });
    assert.equal(deleted.status, 204);
    await rejects(t.GET('/v1/products/{id}', { params: { path: { id } } }), NotFoundError, 'not_found');
  });

  it('pages through a list with the iterator', async () => {
    const t = tenant();
    for (let i = 0; i < 5; i++) {
      await t.POST('/v1/products', { body: { sku: `PAGE-${i}`, name: `Item ${i}`, price_cents: i } });
    }
    const pagesSeen: number[] = [];
    const skus: string[] = [];
    for await (const p of paginate(async (after) => {
      const { data } = await t.GET('/v1/products', { params: { query: { limit: 2, ...(after ? { after } : {}) } } });
      pagesSeen.push(data!.data.length);
      return data!;
    })) {
      if (p.sku.startsWith('PAGE-')) skus.push(p.sku);
    }
    assert.deepEqual(skus, ['PAGE-0', 'PAGE-1', 'PAGE-2', 'PAGE-3', 'PAGE-4']);
    assert.ok(pagesSeen.length >= 3, `pages: ${pagesSeen}`);
  });
});

describe('sessions and API keys', () => {
  it('keeps the session cookie and then works with it alone', async () => {
    const t = createTenantdClient({ baseUrl: server.url, credentials: { type: 'appSecret', appKey, appSecret } });
    const { response } = await t.POST('/v1/session');
    assert.equal(response.status, 201);
    assert.ok(t.session.sid);
    t.useCredentials({ type: 'session' });
    const { data } = await t.GET('/v1/whoami');
    assert.equal(data?.auth.mode, 'session');
    await t.DELETE('/v1/session');
    assert.equal(t.session.sid, undefined);
    await rejects(t.GET('/v1/whoami'), UnauthorizedError, 'missing_credentials');
  });

  it('a restricted key outside its scopes is a typed 403', async () => {
    const t = createTenantdClient({ baseUrl: server.url, credentials: { type: 'appSecret', appKey, appSecret } });
    const { data } = await t.POST('/v1/api-keys', {
      body: { name: 'read only', type: 'restricted', scopes: ['products:read'] },
    });
    const limited = createTenantdClient({ baseUrl: server.url, credentials: { type: 'apiKey', key: data!.secret } });
    const { data: list } = await limited.GET('/v1/products', { params: { query: { limit: 1 } } });
    assert.ok(Array.isArray(list?.data));
    await rejects(
      limited.POST('/v1/products', { body: { sku: 'NOPE', name: 'No', price_cents: 1 } }),
      ForbiddenError,
      'insufficient_scope',
    );
  });
});

describe('rate limits', () => {
  it('failed authentications for one key end in a typed 429', async () => {
    const guesser = createTenantdClient({
      baseUrl: server.url,
      credentials: { type: 'apiKey', key: 'sk_live_' + 'x'.repeat(43) },
    });
    for (let i = 0; i < 3; i++) {
      await rejects(guesser.GET('/v1/whoami'), UnauthorizedError, 'invalid_credentials');
    }
    const limited = await rejects(guesser.GET('/v1/whoami'), RateLimitedError, 'rate_limited');
    assert.equal(limited.status, 429);
    assert.ok(limited.retryAfterSeconds >= 1);
  });
});
