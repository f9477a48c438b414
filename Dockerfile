# The Junction gateway (and, with another command, the sample subgraphs): see docker-compose.yml.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY gateway ./gateway
COPY subgraphs ./subgraphs
COPY scripts ./scripts
COPY bench ./bench
COPY test/corpus.ts ./test/corpus.ts
COPY bin ./bin
# `npm ci` builds dist/ (the prepare script); then drop the build-only packages.
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY gateway/junction.docker.yaml gateway/persisted-documents.sample.json ./gateway/
USER node
# 4000: GraphQL and /healthz (public); 9464: /metrics and /readyz (operations.listen in the docker config; keep it private).
EXPOSE 4000 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.JUNCTION_PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "bin/junction.js", "--config", "gateway/junction.docker.yaml"]
