# syntax=docker/dockerfile:1
# anuvaad: English→Hindi translation service (NestJS + onnxruntime-node), with the en-hi model baked in.
#
#   docker build -t anuvaad .
#   docker run --rm -p 8000:8000 anuvaad
#
# Three stages: `deps` installs production dependencies only, `build` compiles TypeScript with
# the dev dependencies, `runtime` gets node_modules from `deps`, dist/ from `build` and the model.
# bookworm-slim (not alpine): onnxruntime-node ships glibc binaries only.
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
# onnxruntime-node's postinstall downloads CUDA libraries; the CPU binary we use ships in the package.
# SCARF_ANALYTICS=false: no install-time telemetry call from @scarf/scarf (a dependency's postinstall).
ENV ONNXRUNTIME_NODE_INSTALL=skip SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    MODEL_DIR=/app/models \
    MODEL_NAME=en-hi \
    LOG_DIR=/app/logs \
    LOG_FILES=false
# LOG_FILES=false: a container logs to stdout (files in the image layer never rotate, and a
# read-only root filesystem would refuse them); -e LOG_FILES=true with a volume on /app/logs
# writes app.log and predictions.log there.
# Everything the process reads is owned by root and read-only to it; only LOG_DIR is writable.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The model package (ONNX, tokenizer, checksums.sha256): the service verifies the checksums at start.
COPY models ./models
# The base image's unprivileged `node` user (uid/gid 1000), numeric so Kubernetes' runAsNonRoot can check it.
RUN mkdir -p /app/logs && chown 1000:1000 /app/logs
USER 1000:1000
EXPOSE 8000
# Liveness only: /health/ready is 503 while the model loads, and a loading container is not unhealthy.
# The slim image has no curl; Node 20's global fetch does the request.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form, no shell and no npm in between: node is PID 1 and gets SIGTERM itself. The service
# installs its own SIGTERM handler (src/shutdown/signals.ts; PID 1 has no default one), and it
# starts no child processes, so there are no zombies to reap and no need for an init.
CMD ["node", "dist/main.js"]
