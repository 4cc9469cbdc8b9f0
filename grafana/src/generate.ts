// `npm run dashboards`: writes grafana/dashboards/*.json from grafana/src/dashboards.ts.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DASHBOARDS, render } from "./dashboards.js";

// Compiled to grafana/build/src/generate.js; the dashboards live in grafana/dashboards/.
const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dashboards");
mkdirSync(out, { recursive: true });
for (const [file, build] of Object.entries(DASHBOARDS)) {
  writeFileSync(path.join(out, file), render(build()));
  console.log(`wrote ${path.relative(process.cwd(), path.join(out, file))}`);
}
