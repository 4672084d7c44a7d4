// A real S3-protocol server for tenantd's tests: s3rver (objects on disk)
// behind a front that checks every request's AWS Signature V4 with AWS's
// own signer (@smithy/signature-v4), which s3rver itself does not do, and
// checks signed payload hashes against the bytes that arrive.
//
//   node server.js <data-dir> <bucket>
//
// Prints "s3 listening on http://127.0.0.1:<port>" once both listen. A bad
// signature is answered 403 SignatureDoesNotMatch; every failed check is
// also recorded and listed by GET /__checks (the test fixture asserts the
// list is empty), since a body hash can only be judged after s3rver has
// stored it. Credentials: S3RVER / S3RVER (s3rver's built-in account).
//
// s3rver lacks AbortMultipartUpload (DELETE ?uploadId=…); the front does it
// as S3 does: the upload's parts are dropped (204), an unknown upload is
// 404 NoSuchUpload.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const http = require('http');
const { Transform } = require('stream');
const S3rver = require('s3rver');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Hash } = require('@smithy/hash-node');

const [dataDir, bucket] = process.argv.slice(2);
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const failures = [];

function fail(req, why) {
  failures.push(`${req.method} ${req.url}: ${why}`);
}

function parseAmzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
  return m ? new Date(Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : null;
}

// The request as the signer wants it: the path exactly as sent (S3 signs
// the encoded path once), the query decoded, and only the signed headers.
function signable(req, url, signedHeaders, dropQuery) {
  const query = {};
  for (const [name, value] of url.searchParams) {
    if (dropQuery.includes(name)) continue;
    if (name in query) query[name] = [].concat(query[name], value);
    else query[name] = value;
  }
  const headers = {};
  for (const name of signedHeaders) {
    if (req.headers[name] === undefined) return null;
    headers[name] = req.headers[name];
  }
  return { method: req.method, protocol: 'http:', hostname: req.headers.host,
           path: url.pathname, query, headers };
}

async function checkSignature(req) {
  const url = new URL(req.url, 'http://' + req.headers.host);
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return 'malformed Authorization';
    const [, key, , region, signed, signature] = m;
    if (key !== credentials.accessKeyId) return 'unknown access key';
    const date = parseAmzDate(req.headers['x-amz-date']);
    if (!date) return 'no x-amz-date';
    if (!req.headers['x-amz-content-sha256']) return 'no x-amz-content-sha256';
    const request = signable(req, url, signed.split(';'), []);
    if (!request) return 'a signed header is missing';
    const signer = new SignatureV4({ credentials, region, service: 's3',
                                     sha256: Hash.bind(null, 'sha256'), uriEscapePath: false });
    const expected = (await signer.sign(request, { signingDate: date })).headers.authorization;
    return expected.endsWith('Signature=' + signature) ? null : 'signature mismatch';
  }
  if (url.searchParams.has('X-Amz-Signature')) {
    const credential = (url.searchParams.get('X-Amz-Credential') || '').split('/');
    const date = parseAmzDate(url.searchParams.get('X-Amz-Date'));
    const expires = Number(url.searchParams.get('X-Amz-Expires'));
    if (credential[0] !== credentials.accessKeyId || !date || !(expires > 0)) {
      return 'malformed presigned URL';
    }
    if (Date.now() > date.getTime() + expires * 1000) return 'expired';
    const signed = (url.searchParams.get('X-Amz-SignedHeaders') || '').split(';');
    const request = signable(req, url, signed, ['X-Amz-Signature']);
    if (!request) return 'a signed header is missing';
    // Presigned S3 URLs sign UNSIGNED-PAYLOAD: the signer reads it from
    // this header, which is neither signed nor moved into the query.
    request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    const unsigned = new Set(['x-amz-content-sha256']);
    const signer = new SignatureV4({ credentials, region: credential[2], service: 's3',
                                     sha256: Hash.bind(null, 'sha256'), uriEscapePath: false });
    const presigned = await signer.presign(request, {
      signingDate: date, expiresIn: expires, unsignableHeaders: unsigned, unhoistableHeaders: unsigned,
    });
    return presigned.query['X-Amz-Signature'] === url.searchParams.get('X-Amz-Signature')
      ? null : 'presigned signature mismatch';
  }
  return 'unsigned request';
}

function refuse(res, why) {
  res.writeHead(403, { 'Content-Type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>` +
          `<Message>${why}</Message></Error>`);
}

function abortUpload(id, res) {
  const dir = path.join(dataDir, bucket, '._S3rver_uploads', id);
  if (!/^[0-9a-f]+$/.test(id) || !fs.existsSync(dir)) {
    res.writeHead(404, { 'Content-Type': 'application/xml' });
    res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code></Error>');
    return;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  res.writeHead(204);
  res.end();
}

async function main() {
  const s3 = new S3rver({ directory: dataDir, address: '127.0.0.1', port: 0, silent: true,
                          configureBuckets: [{ name: bucket }] });
  const inner = await s3.run();

  const front = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      fail(req, 'the test server failed: ' + e.message);
      res.destroy();
    });
  });
  async function handle(req, res) {
    if (req.url === '/__checks') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(failures));
      return;
    }
    req.pause();
    const why = await checkSignature(req);
    if (why) {
      fail(req, why);
      req.resume();
      refuse(res, why);
      return;
    }
    const url = new URL(req.url, 'http://' + req.headers.host);
    if (req.method === 'DELETE' && url.searchParams.has('uploadId')) {
      abortUpload(url.searchParams.get('uploadId'), res);
      req.resume();
      return;
    }
    const declared = req.headers['x-amz-content-sha256'];
    const hash = crypto.createHash('sha256');
    const hashing = new Transform({
      transform(chunk, _, done) { hash.update(chunk); done(null, chunk); },
      flush(done) {
        const got = hash.digest('hex');
        if (/^[0-9a-f]{64}$/.test(declared || '') && got !== declared) {
          fail(req, `payload hash ${got} differs from x-amz-content-sha256 ${declared}`);
        }
        done();
      },
    });
    const forward = http.request({ host: '127.0.0.1', port: inner.port, method: req.method,
                                   path: req.url, headers: req.headers }, (answer) => {
      try {
        res.writeHead(answer.statusCode, answer.headers);
      } catch (e) {
        fail(req, 'unusable answer from s3rver: ' + e.message);
        res.destroy();
        return;
      }
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.on('aborted', () => forward.destroy());
    req.pipe(hashing).pipe(forward);
  }
  front.listen(0, '127.0.0.1', () => {
    console.log(`s3 listening on http://127.0.0.1:${front.address().port}`);
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
