#!/usr/bin/env node
// `npm run docs`: writes the reference pages generated from code (docs/metrics.md, docs/configuration.md) from
// the compiled renderers in dist/docs/reference.js (src/docs/reference.ts; `npm run docs` builds first).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { GENERATED_DOCS } = await import(path.join(root, "dist/docs/reference.js"));
for (const [file, render] of Object.entries(GENERATED_DOCS)) {
  writeFileSync(path.join(root, file), render());
  console.log(`wrote ${file}`);
}
