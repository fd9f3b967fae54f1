# Sesam production image: the same steps as the README (npm ci, which builds, then start), on Node 24.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# npm ci builds too (the `prepare` script), so the sources come first.
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY config ./config
COPY migrations ./migrations
COPY src ./src
COPY interactions ./interactions
COPY portal ./portal
COPY bench ./bench
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production PORT=3000 SESAM_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--max-semi-space-size=4", "dist/src/main.js"]
