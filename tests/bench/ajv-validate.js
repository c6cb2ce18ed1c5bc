// The peer for tests/bench/schema: ajv 8 (Ajv2020 + ajv-formats) behind Node's readline,
// writing the valid lines to stdout and counting the rest, as a user would wire it up.
//   node tests/bench/ajv-validate.js SCHEMA FILE
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const modules = path.join(__dirname, '..', 'node_modules');
const Ajv2020 = require(path.join(modules, 'ajv/dist/2020')).default;
const addFormats = require(path.join(modules, 'ajv-formats')).default;

const [schemaFile, dataFile] = process.argv.slice(2);
const ajv = new Ajv2020({ allErrors: false, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, 'utf8')));

const out = [];
let valid = 0, invalid = 0;
const rl = readline.createInterface({ input: fs.createReadStream(dataFile), crlfDelay: Infinity });
rl.on('line', (line) => {
  let ok = false;
  try { ok = validate(JSON.parse(line)); } catch (e) { ok = false; }
  if (ok) {
    valid++;
    out.push(line);
    if (out.length >= 4096) { process.stdout.write(out.join('\n') + '\n'); out.length = 0; }
  } else {
    invalid++;
  }
});
rl.on('close', () => {
  if (out.length) process.stdout.write(out.join('\n') + '\n');
  process.stderr.write(`ajv: ${valid} valid, ${invalid} invalid\n`);
});
