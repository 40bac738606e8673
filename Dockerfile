# syntax=docker/dockerfile:1
# cloudflare-images-graphql: the GraphQL server on Node 24, which runs the TypeScript sources directly
# (type stripping), as `npm start` does. Build: docker build -t cloudflare-images-graphql .

# Production dependencies only, installed from the lock file; npm's cache stays in this stage.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: no production dependency needs one to work (native builds, downloads).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000
WORKDIR /app
# Owned by root and read-only to the server's user: a compromised process cannot change its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
# The example gallery at /gallery, served only when GraphiQL is on.
COPY examples/gallery ./examples/gallery
# The `node` user of the official image, by number so that orchestrators can check runAsNonRoot.
USER 1000:1000
EXPOSE 4000 9464
# /health answers while the process serves; PORT is read when the check runs, so `-e PORT=…` is followed.
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The server handles SIGTERM itself: it stops accepting, finishes in-flight requests, then exits 0.
STOPSIGNAL SIGTERM
CMD ["node", "--max-semi-space-size=8", "src/main.ts"]
