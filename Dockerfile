# kube-ambassador: the ambassador sidecar image.
# Build: docker build -t kube-ambassador .   (or tools/image/build.sh with buildah, no registry needed)
# The runtime image holds node and the bundled CLI only; it runs as a
# non-root user, writes nothing to its root filesystem (readOnlyRootFilesystem
# works), and node is PID 1 so SIGTERM reaches the proxy's graceful shutdown.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run bundle

FROM gcr.io/distroless/nodejs20-debian12:nonroot
COPY --from=build /src/dist/ /app/
WORKDIR /app
USER 65532:65532
EXPOSE 8001 9091
# "--" ends node's own options, so flags such as podinfo's --env-file reach the CLI.
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=2", "--", "/app/kube-ambassador.mjs"]
CMD ["proxy"]
