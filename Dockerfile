# One image for every service; docker-compose.yml picks the entry point per service.
FROM node:20-bookworm-slim
WORKDIR /app
# better-sqlite3 builds from source when no prebuilt binary can be fetched
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY broker/package.json broker/
COPY ingest/package.json ingest/
COPY dashboard/server/package.json dashboard/server/
COPY simulators/package.json simulators/
RUN npm ci --no-audit --no-fund
COPY . .
# the web app is built into dashboard/web/dist, then build-only packages are dropped
RUN npm run build:web && npm prune --omit=dev
ENV NODE_ENV=production DATA_DIR=/data
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
