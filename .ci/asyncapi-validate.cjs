// Parses an AsyncAPI document with @asyncapi/parser (its own schema, the bindings' schemas and
// the spectral rules; external $refs such as ./schema/*.json resolved relative to the file) and
// exits 1 when any diagnostic is an error. Usage: node .ci/asyncapi-validate.cjs FILE
'use strict';
const fs = require('fs');
const path = require('path');
const { Parser, fromFile } = require('@asyncapi/parser');

async function main() {
  const file = process.argv[2];
  if (!file || !fs.existsSync(file)) {
    console.error(`usage: asyncapi-validate.cjs FILE (${file || 'none'} not found)`);
    process.exit(2);
  }
  const parser = new Parser();
  const { document, diagnostics } = await fromFile(parser, path.resolve(file)).parse();
  const names = ['error', 'warning', 'information', 'hint'];
  // Errors and warnings (the parser's information and hints, such as a newer spec version, are not shown).
  for (const d of diagnostics.filter((x) => x.severity <= 1)) {
    const where = (d.path || []).join('.');
    console.error(`${names[d.severity] || d.severity}: ${d.code}: ${d.message}${where ? ` at ${where}` : ''}`);
  }
  const errors = diagnostics.filter((d) => d.severity === 0).length;
  if (errors > 0 || !document) {
    console.error(`${file}: ${errors} error(s)`);
    process.exit(1);
  }
  console.log(`${file}: valid AsyncAPI ${document.version()} (${document.channels().length} channels, ${document.operations().length} operations, ${document.messages().length} messages)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
