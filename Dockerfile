# The multikey-sync server in a container: `docker build -t multikey-sync .`, then
#   docker run -p 8787:8787 -v mks-data:/data multikey-sync
# Configure with MKS_* variables (every flag of `multikey-sync serve --help` has one). The
# database lives on the /data volume; put a TLS-terminating proxy in front (docs/server.md).
# Linted by test/deploy/dockerfile.test.ts.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 builds its addon when no prebuilt one fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsup.config.ts ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    MKS_HOST=0.0.0.0 \
    MKS_PORT=8787 \
    MKS_DB=/data/data.sqlite \
    MKS_LOG_FORMAT=json
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8787/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/cli.js", "serve"]
