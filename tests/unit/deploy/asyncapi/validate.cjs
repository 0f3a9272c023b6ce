#!/usr/bin/env node
// Validate an AsyncAPI document with the reference parser (@asyncapi/parser: the
// AsyncAPI JSON Schema plus its Spectral ruleset, $refs to local files resolved).
//
//   NODE_PATH=.tools/node/node_modules node validate.cjs schemas/asyncapi.yaml
//
// Prints one JSON object: {"valid": bool, "version": "...", "diagnostics": [...]}.
// Exit 0 when there is no diagnostic of severity error or warning, 1 otherwise,
// 2 when the parser cannot be loaded (run scripts/install-tools.sh).
'use strict';

const path = require('node:path');

let Parser, fromFile;
try {
  ({ Parser, fromFile } = require('@asyncapi/parser'));
} catch (err) {
  console.error(`cannot load @asyncapi/parser (${err.message}); run scripts/install-tools.sh`);
  process.exit(2);
}

const SEVERITY = ['error', 'warning', 'information', 'hint'];

async function main() {
  const file = path.resolve(process.argv[2] || 'schemas/asyncapi.yaml');
  const parser = new Parser();
  const { document, diagnostics } = await fromFile(parser, file).parse();
  const out = diagnostics.map((d) => ({
    severity: SEVERITY[d.severity] || String(d.severity),
    code: d.code,
    message: d.message,
    path: (d.path || []).join('.'),
  }));
  const failing = out.filter((d) => d.severity === 'error' || d.severity === 'warning');
  const result = {
    valid: document !== undefined && failing.length === 0,
    version: document ? document.version() : null,
    channels: document ? document.channels().all().map((c) => c.address()) : [],
    diagnostics: out,
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  process.exit(result.valid ? 0 : 1);
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
