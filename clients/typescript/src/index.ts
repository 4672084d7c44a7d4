// @tenantd/client: the typed tenantd API for Node >= 20 and browsers.
export { createTenantdClient, SessionJar } from './client.js';
export type { Credentials, TenantdClient, TenantdClientOptions } from './client.js';
export {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  ProblemError,
  RateLimitedError,
  UnauthorizedError,
  ValidationError,
  problemError,
  toProblemError,
} from './errors.js';
export type { FieldError, Problem } from './errors.js';
export { pages, paginate } from './pagination.js';
export type { Page } from './pagination.js';
export { canonicalString, hmacSha256Hex, sha256Hex, signRequest } from './signing.js';
export type { SignOptions, SignatureHeaders } from './signing.js';
export type { components, operations, paths } from './generated/openapi.js';

import type { components } from './generated/openapi.js';
/** A named schema of the API, e.g. `Schema<'Product'>`. */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];
