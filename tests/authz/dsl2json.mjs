// Converts DSL models to JSON with @openfga/syntax-transformer (the reference our C++ parser is
// compared against by transformer_equality_test.cpp).
//
// Usage: node dsl2json.mjs [--corpus CONSOLIDATED_TESTS.yaml] [FILE.fga | DIR]...
// Writes one JSON document to stdout:
//   {"transformer": "<version>", "models": [{"name", "dsl", "json"} | {"name", "dsl", "error"}]}
// Every stage model of the corpus (OpenFGA's consolidated_1_1_tests.yaml) becomes
// "<test name>/stage<i>"; every .fga file becomes its file name.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, join } from "node:path";

// The packages are pinned in tests/e2e/package.json and installed there.
const require = createRequire(new URL("../e2e/package.json", import.meta.url));
const { transformer } = require("@openfga/syntax-transformer");
const YAML = require("yaml");
const version = require("@openfga/syntax-transformer/package.json").version;

const inputs = [];
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--corpus") {
    const path = args[++i];
    const doc = YAML.parse(readFileSync(path, "utf8"));
    for (const test of doc.tests ?? []) {
      (test.stages ?? []).forEach((stage, index) => {
        if (typeof stage.model === "string") {
          inputs.push({ name: `${test.name}/stage${index}`, dsl: stage.model });
        }
      });
    }
  } else if (statSync(args[i]).isDirectory()) {
    for (const file of readdirSync(args[i]).sort()) {
      if (file.endsWith(".fga")) {
        inputs.push({ name: file, dsl: readFileSync(join(args[i], file), "utf8") });
      }
    }
  } else {
    inputs.push({ name: basename(args[i]), dsl: readFileSync(args[i], "utf8") });
  }
}

const models = inputs.map(({ name, dsl }) => {
  try {
    return { name, dsl, json: transformer.transformDSLToJSONObject(dsl) };
  } catch (e) {
    return { name, dsl, error: String(e.message ?? e) };
  }
});
process.stdout.write(JSON.stringify({ transformer: version, models }));
