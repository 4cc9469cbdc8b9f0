// A small HTTP service with a slow leak, for trying leakwatch out: every request (and, with no traffic, every
// tick) creates a Session that is kept forever in a module-level Map, like a cache nobody evicts.
// Usage: node examples/leaky-service.js   (PORT=8080 by default; LEAK_EVERY_MS=100; LEAK_BYTES=16384)
import http from "node:http";

const port = Number(process.env.PORT ?? 8080);
const leakEveryMs = Number(process.env.LEAK_EVERY_MS ?? 100);
const leakBytes = Number(process.env.LEAK_BYTES ?? 16384);

class Session {
  constructor(id) {
    this.id = id;
    this.createdAt = Date.now();
    this.payload = Buffer.alloc(leakBytes, id % 251);
    this.tags = [`user-${id}`, `region-${id % 7}`];
  }
}

class RequestContext {
  constructor(url) {
    this.url = url;
    this.startedAt = Date.now();
  }
}

const sessions = new Map(); // the leak: never evicted
let nextId = 0;
let served = 0;

function leakOne() {
  const s = new Session(nextId++);
  sessions.set(s.id, s);
}

const server = http.createServer((req, res) => {
  const ctx = new RequestContext(req.url); // freed after the response: not a leak
  leakOne();
  served++;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ ok: true, sessions: sessions.size, served, url: ctx.url }));
});

if (leakEveryMs > 0) setInterval(leakOne, leakEveryMs);
server.listen(port, "127.0.0.1", () => {
  console.log(`leaky-service listening on http://127.0.0.1:${port} (pid ${process.pid})`);
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.close(() => process.exit(0)));
