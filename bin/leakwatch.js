#!/usr/bin/env -S node --max-semi-space-size=2
// --max-semi-space-size=2: a daemon that serves a few kB per scrape needs no large young generation; V8's default
// (up to 16 MiB per semi-space) costs ~35 MB of resident memory after a burst of scrapes for no measurable gain.
// It applies when the file is executed (npx leakwatch, ./bin/leakwatch.js); `node bin/leakwatch.js` runs without it.
import { main } from "../dist/cli/main.js";

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`leakwatch: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
