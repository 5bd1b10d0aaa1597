# call-worker container image: a multi-stage build.
#
#   build     swift:6.3-bookworm: release build with the Swift standard library linked
#             statically, stripped
#   runtime   debian:bookworm-slim + libsoxr0, ca-certificates, tini (the default target):
#             non-root, tini as PID 1 (SIGTERM reaches the worker, which drains), a
#             HEALTHCHECK on /health, spool and recordings on a volume so the root file
#             system can be read-only
#   dev       the development tools for compose and the checks: provider-fake (a local
#             OpenAI-wire provider), call-simulator (a Twilio caller) and the result-webhook
#             receiver (--target dev)
#
# Build with podman or docker (the HEALTHCHECK needs the docker image format in podman):
#   podman build --format docker --build-arg GIT_SHA="$(git rev-parse HEAD)" -t call-worker:dev .
# scripts/container-check.sh builds and runs it on a machine without a registry (local
# stand-ins for the two base images; the Swift packages from a mirror mounted read-only).
# No secret goes into the image: configuration comes from the environment at run time.

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------------------
FROM ${SWIFT_IMAGE} AS build
WORKDIR /src
# CSoxr links libsoxr (the official Swift image does not ship it).
RUN dpkg -s libsoxr-dev >/dev/null 2>&1 || { apt-get update && apt-get install -y --no-install-recommends libsoxr-dev && rm -rf /var/lib/apt/lists/*; }
# Resolve first, so a source change does not fetch the packages again.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Examples ./Examples
COPY Tests ./Tests
# The .build cache mount keeps rebuilds incremental; the binary is copied out of it.
RUN --mount=type=cache,id=call-pipeline-swift-build,target=/src/.build \
    swift build -c release --static-swift-stdlib --product call-worker \
 && mkdir -p /out \
 && cp "$(swift build -c release --static-swift-stdlib --show-bin-path)/call-worker" /out/ \
 && strip /out/call-worker

# ---------------------------------------------------------------------------------------
FROM build AS build-dev
RUN --mount=type=cache,id=call-pipeline-swift-build,target=/src/.build \
    swift build -c release --static-swift-stdlib --product provider-fake \
 && swift build -c release --static-swift-stdlib --product call-simulator \
 && bin="$(swift build -c release --static-swift-stdlib --show-bin-path)" \
 && cp "$bin/provider-fake" "$bin/call-simulator" /out/ \
 && strip /out/provider-fake /out/call-simulator

# ---------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime-base
# Only what the binary needs at run time: libsoxr (resampling), CA certificates (TLS to
# providers and the result webhook) and tini (PID 1: forwards signals, reaps zombies).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsoxr0 ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/dpkg.log /var/log/apt \
 && groupadd --system --gid 10001 worker \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin worker \
 && mkdir -p /var/lib/call-worker/spool /var/lib/call-worker/recordings \
 && chown -R 10001:10001 /var/lib/call-worker
COPY deploy/image/healthcheck /usr/local/bin/healthcheck

# ---------------------------------------------------------------------------------------
FROM runtime-base AS dev
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build-dev /out/provider-fake /out/call-simulator /usr/local/bin/
COPY deploy/compose/webhook-receiver.py /usr/local/bin/webhook-receiver
USER 10001:10001
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["provider-fake", "--host", "0.0.0.0", "--port", "9000"]

# ---------------------------------------------------------------------------------------
FROM runtime-base AS runtime
ARG RUNTIME_IMAGE
ARG GIT_SHA=unknown
ARG VERSION=dev
ARG BUILD_DATE=unknown
COPY --from=build /out/call-worker /usr/local/bin/call-worker
# Fails the build if a shared library the binary needs is missing from the runtime image.
RUN ! ldd /usr/local/bin/call-worker | grep 'not found'
LABEL org.opencontainers.image.title="call-worker" \
      org.opencontainers.image.description="Twilio Media Streams <-> STT/LLM/TTS call worker (swift-call-pipeline)" \
      org.opencontainers.image.source="https://github.com/swift-call-pipeline/swift-call-pipeline" \
      org.opencontainers.image.revision="${GIT_SHA}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.base.name="${RUNTIME_IMAGE}"
ENV HOST=0.0.0.0 \
    PORT=8080 \
    MAX_CONCURRENT_CALLS=1 \
    SPOOL_DIR=/var/lib/call-worker/spool \
    RECORDINGS_DIR=/var/lib/call-worker/recordings \
    CALL_WORKER_REVISION=${GIT_SHA}
# Spool (post-call results waiting for delivery) and recordings must outlive the container.
VOLUME ["/var/lib/call-worker"]
USER 10001:10001
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 CMD ["/usr/local/bin/healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/call-worker"]
