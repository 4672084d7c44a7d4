// tus-js-client, a stock tus 1.0 client, uploading a file to tenantd for
// tests/e2e/tus_test.cpp (api.md §14 "Resumable uploads"):
//
//   node tus_client.js <endpoint> <api key> <file> <chunk bytes> [<upload url> | -] [<die after bytes>]
//
// Uploads <file> in PATCHes of <chunk bytes> to <endpoint> (…/v1/uploads),
// or resumes the upload at <upload url> (the client asks the server for its
// offset first). Prints "url <upload url>" as soon as the upload has one
// and "done <file id>" (the X-File-Id of the last answer) when it is
// finished. With <die after bytes> the process kills itself (SIGKILL, no
// goodbye on the socket) once that many bytes are sent, mid-PATCH: the
// connection dies as when a laptop lid closes.
'use strict';

const fs = require('fs');
const tus = require('tus-js-client');

const [endpoint, apiKey, file, chunk, resumeUrl, dieAfter] = process.argv.slice(2);
const size = fs.statSync(file).size;
let sent = 0;

const upload = new tus.Upload(fs.createReadStream(file), {
  endpoint,
  uploadUrl: resumeUrl && resumeUrl !== '-' ? resumeUrl : null,
  uploadSize: size,
  chunkSize: Number(chunk),
  headers: { Authorization: 'Bearer ' + apiKey },
  metadata: { filename: 'big.bin', filetype: 'application/octet-stream' },
  retryDelays: [0, 500, 1000],
  removeFingerprintOnSuccess: true,
  onUploadUrlAvailable() {
    process.stdout.write('url ' + upload.url + '\n');
  },
  onProgress(bytesSent) {
    sent = bytesSent;
    if (dieAfter && sent >= Number(dieAfter)) process.kill(process.pid, 'SIGKILL');
  },
  onSuccess({ lastResponse }) {
    process.stdout.write('done ' + lastResponse.getHeader('X-File-Id') + '\n');
  },
  onError(err) {
    process.stderr.write('tus upload failed after ' + sent + ' bytes: ' + err + '\n');
    process.exit(1);
  },
});
upload.start();
