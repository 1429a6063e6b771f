# syntax=docker/dockerfile:1
# confio in a container: `docker run confio poll`, `docker compose up` (compose.yaml). confio runs
# its TypeScript on Node's type stripping, so the image is the sources, the production
# dependencies and Node 24: no build output is needed to run a command.

# The build stage installs everything as a developer's `npm ci` does. Its `prepare` script runs
# scripts/ensure-node.sh, which finds this image's Node 24 (>= 22.18) and downloads nothing, then
# builds the library (dist/), which the CLI does not use; the dev dependencies are pruned after.
FROM node:24-bookworm-slim AS build
WORKDIR /opt/confio
COPY package.json package-lock.json ./
COPY scripts/ensure-node.sh scripts/with-node.sh scripts/
COPY tsconfig.json tsconfig.build.json ./
COPY src src
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund && rm -rf dist

# The runtime stage: the pruned dependencies, the CLI's sources and manifest, a user with no
# privileges, and `confio` on PATH as the entrypoint.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    NODE_COMPILE_CACHE=/var/cache/confio/node-compile-cache
RUN groupadd --system confio && useradd --system --gid confio --home-dir /opt/confio --shell /usr/sbin/nologin confio \
    && mkdir -p /var/cache/confio && chown confio:confio /var/cache/confio \
    && ln -s /opt/confio/bin/run.js /usr/local/bin/confio
WORKDIR /opt/confio
COPY --from=build /opt/confio/node_modules node_modules
COPY package.json oclif.manifest.json ./
COPY bin bin
COPY cli cli
COPY commands commands
COPY src src
USER confio
# The poller's, the worker's and the beat's Prometheus metrics (compose.yaml passes --metrics-port).
EXPOSE 9184
# docker stop sends SIGTERM: confio finishes the work in hand and exits within 10 s; give
# `docker stop -t 20` / compose's stop_grace_period the same room as systemd's TimeoutStopSec.
STOPSIGNAL SIGTERM
ENTRYPOINT ["confio"]
CMD ["--help"]
