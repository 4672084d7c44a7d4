// Renders /openapi.json: operations grouped by tag, with parameters,
// request and response schemas, security and problem codes. Builds the page
// with DOM calls only (no innerHTML), so nothing in the document is markup.
'use strict';

let doc = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

function resolve(schema) {
  let seen = 0;
  while (schema && schema.$ref && seen++ < 20) {
    schema = doc.components.schemas[schema.$ref.split('/').pop()];
  }
  return schema || {};
}

// A compact, readable form of a JSON Schema: TypeScript-like, $refs named.
function render(schema, depth) {
  if (!schema) return 'any';
  if (schema.$ref) return schema.$ref.split('/').pop();
  if (depth > 6) return '…';
  if (schema.allOf) return schema.allOf.map((s) => render(s, depth)).join(' & ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const types = [].concat(schema.type || (schema.properties ? 'object' : 'any'));
  return types.map((t) => {
    if (t === 'array') return render(schema.items, depth) + '[]';
    if (t !== 'object' || !schema.properties) return t;
    const pad = '  '.repeat(depth + 1);
    const required = new Set(schema.required || []);
    const lines = Object.entries(schema.properties).map(([name, s]) =>
      pad + name + (required.has(name) ? '' : '?') + ': ' + render(s, depth + 1));
    return '{\n' + lines.join(',\n') + '\n' + '  '.repeat(depth) + '}';
  }).join(' | ');
}

function schemaBlock(schema) {
  const named = schema && schema.$ref ? el('p', {}, el('code', {}, render(schema, 0))) : null;
  return [named, el('pre', {}, render(schema && schema.$ref ? resolve(schema) : schema, 0))];
}

function operation(path, method, op) {
  const id = op.operationId || method + path;
  const section = el('section', { class: 'op', id },
    el('div', {}, el('span', { class: 'method ' + method }, method.toUpperCase()),
      el('span', { class: 'path' }, path)),
    el('p', {}, op.summary || ''));
  if (op.description) section.append(el('p', {}, op.description));
  if (op.security) {
    const alternatives = op.security.map((req) => Object.keys(req).join(' + ') || 'none');
    section.append(el('p', {}, 'Authentication: ', alternatives.join(' | ')));
  }
  if (op['x-required-scopes']) {
    section.append(el('p', {}, 'Scopes: ', el('span', { class: 'scope' }, op['x-required-scopes'].join(', '))));
  }
  if (op.parameters && op.parameters.length) {
    section.append(el('h4', {}, 'Parameters'), el('table', {},
      el('tr', {}, el('th', {}, 'name'), el('th', {}, 'in'), el('th', {}, 'type'), el('th', {}, 'description')),
      op.parameters.map((p) => el('tr', {}, el('td', {}, el('code', {}, p.name + (p.required ? '' : '?'))),
        el('td', {}, p.in), el('td', {}, render(p.schema, 0)), el('td', {}, p.description || '')))));
  }
  if (op.requestBody) {
    section.append(el('h4', {}, 'Request body' + (op.requestBody.required ? '' : ' (optional)')));
    for (const [type, media] of Object.entries(op.requestBody.content)) {
      section.append(el('p', {}, el('code', {}, type)), schemaBlock(media.schema));
    }
  }
  section.append(el('h4', {}, 'Responses'));
  for (const [status, res] of Object.entries(op.responses)) {
    section.append(el('p', {}, el('b', {}, status), ' ', res.description || ''));
    for (const [type, media] of Object.entries(res.content || {})) {
      if (type === 'application/problem+json') continue;  // the codes are in the description
      section.append(el('p', {}, el('code', {}, type)), schemaBlock(media.schema));
    }
  }
  return section;
}

function show() {
  const main = document.getElementById('main');
  const toc = document.getElementById('toc');
  main.replaceChildren(el('h1', {}, doc.info.title + ' ' + doc.info.version), el('p', {}, doc.info.description || ''));
  const byTag = new Map((doc.tags || []).map((t) => [t.name, []]));
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || 'Other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([path, method, op]);
    }
  }
  for (const [tag, ops] of byTag) {
    toc.append(el('li', { class: 'tag' }, el('a', { href: '#tag-' + tag }, tag)));
    main.append(el('h2', { id: 'tag-' + tag }, tag));
    for (const [path, method, op] of ops) {
      const id = op.operationId || method + path;
      toc.append(el('li', {}, el('a', { href: '#' + id }, method.toUpperCase() + ' ' + path)));
      main.append(operation(path, method, op));
    }
  }
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

fetch('/openapi.json')
  .then((r) => (r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status))))
  .then((d) => { doc = d; show(); })
  .catch((e) => { document.getElementById('status').textContent = 'Could not load /openapi.json: ' + e.message; });
