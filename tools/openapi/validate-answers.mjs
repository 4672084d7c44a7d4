// Validates real answers of a live tenantd against its own OpenAPI document,
// so the response schemas are true, not decorative.
//
//   node validate-answers.mjs openapi.json answers.json
//
// answers.json: [{"method","path" (the route pattern),"status","content_type","body"}].
// Each answer's status must be documented for its operation, its content
// type listed under that status, and a JSON body must match the schema.
// Prints one line per failure and "N passed, M failed"; exits 1 on any failure.
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [docPath, answersPath] = process.argv.slice(2);
const doc = JSON.parse(readFileSync(docPath, 'utf8'));
const answers = JSON.parse(readFileSync(answersPath, 'utf8'));

const ajv = new Ajv2020({ strict: true, strictTypes: false, allErrors: true, allowUnionTypes: true });
addFormats(ajv);
ajv.addFormat('binary', true);
// Every component schema under its own id, so "#/components/schemas/X"
// references resolve once rewritten to "X".
const rewrite = (v) => JSON.parse(JSON.stringify(v).replaceAll('"#/components/schemas/', '"tenantd:'));
for (const [name, schema] of Object.entries(doc.components.schemas)) {
  ajv.addSchema({ ...rewrite(schema), $id: 'tenantd:' + name });
}

let passed = 0;
const failures = [];
for (const a of answers) {
  const what = `${a.method} ${a.path} -> ${a.status}`;
  const op = doc.paths[a.path]?.[a.method.toLowerCase()];
  if (!op) { failures.push(`${what}: no such operation in the document`); continue; }
  const response = op.responses[String(a.status)] ?? op.responses.default;
  if (!response) {
    failures.push(`${what}: status not documented\n  body: ${a.body.slice(0, 300)}`);
    continue;
  }
  const type = (a.content_type || '').split(';')[0].trim();
  if (!response.content) {
    if (a.body !== '') failures.push(`${what}: documented without a body, but has one`);
    else passed++;
    continue;
  }
  const media = response.content[type];
  if (!media) {
    failures.push(`${what}: content type ${type} not documented (${Object.keys(response.content)})`);
    continue;
  }
  if (!type.endsWith('json')) { passed++; continue; }
  let body;
  try { body = JSON.parse(a.body); } catch { failures.push(`${what}: body is not JSON`); continue; }
  const validate = ajv.compile(rewrite(media.schema));
  if (validate(body)) { passed++; continue; }
  failures.push(`${what}: ${ajv.errorsText(validate.errors)}\n  body: ${a.body.slice(0, 300)}`);
}
for (const f of failures) console.log('FAIL ' + f);
console.log(`${passed} passed, ${failures.length} failed`);
process.exit(failures.length === 0 && passed > 0 ? 0 : 1);
