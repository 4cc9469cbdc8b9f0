# leakwatch's image: `docker build -t leakwatch .` (docker-compose.yml builds it as leakwatch:local).
# Two stages: the build stage compiles TypeScript with the dev dependencies; the runtime stage holds only dist/,
# the production node_modules, bin/ and the demo (examples/), and runs as the unprivileged `node` user.
# The base image is pinned to an exact tag; pin its digest too (node:20.20.2-bookworm-slim@sha256:…) where your
# registry policy asks for it.

FROM node:20.20.2-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No dependency needs an install script; --ignore-scripts also skips our own `prepare` (src/ is not copied yet).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20.20.2-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY examples ./examples
# The data directory (dump summaries) for a named volume; owned by the runtime user.
RUN mkdir -p /var/lib/leakwatch && chown node:node /var/lib/leakwatch && chmod 0700 /var/lib/leakwatch
USER node
ENV LEAKWATCH_DATA_DIR=/var/lib/leakwatch
EXPOSE 9477
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9477/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# bin/leakwatch.js is executable; its shebang adds --max-semi-space-size=2 (less idle memory).
ENTRYPOINT ["/app/bin/leakwatch.js"]
