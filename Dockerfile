# syntax=docker/dockerfile:1
#
# mockingbird: a local stand-in for Twilio (and later the WhatsApp Cloud API).
#
#   docker build -t mockingbird .
#   docker run --rm -p 8080:8080 -p 50051:50051 -v "$PWD/data:/app/data" mockingbird
#
# The image carries the default config.yaml; mount your own over /app/config.yaml, or override
# single keys with MOCKINGBIRD_* variables (MOCKINGBIRD_TWILIO__AUTH_TOKEN=...).

# ---- build ------------------------------------------------------------------------------------
FROM rust:1.95-slim-bookworm AS build

# aws-lc-sys (TLS for outgoing webhooks) and the bundled SQLite are compiled from C sources.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Everything the crate needs: Cargo.toml, Cargo.lock, src/, migrations/ (embedded at compile time)
# and, as they appear, build.rs, proto/ and templates/. .dockerignore keeps target/ and data/ out.
COPY . .

# The cache mounts keep downloaded crates and compiled dependencies between builds (BuildKit).
# target/ lives in a cache mount, so the binary is copied out within the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin mockingbird \
    && cp target/release/mockingbird /usr/local/bin/mockingbird

# ---- runtime ----------------------------------------------------------------------------------
FROM debian:bookworm-slim

# curl only serves the HEALTHCHECK; ca-certificates lets webhooks reach https:// receivers.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*

# UID 1000 matches the first user on most Linux hosts, so a bind-mounted ./data stays writable.
RUN groupadd --gid 1000 mockingbird \
    && useradd --uid 1000 --gid mockingbird --no-create-home --home-dir /app --shell /usr/sbin/nologin mockingbird

WORKDIR /app
COPY --from=build /usr/local/bin/mockingbird /usr/local/bin/mockingbird
COPY config.yaml /app/config.yaml
# database.path defaults to ./data/mockingbird.db, i.e. /app/data/mockingbird.db.
RUN mkdir -p /app/data && chown mockingbird:mockingbird /app/data
VOLUME ["/app/data"]

USER mockingbird
# 8080: the Twilio REST API, the WhatsApp Cloud API and /health. 50051: the gRPC control plane.
EXPOSE 8080 50051

# Follows MOCKINGBIRD_SERVER__PORT when the port is moved by environment.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${MOCKINGBIRD_SERVER__PORT:-8080}/health" > /dev/null || exit 1

ENTRYPOINT ["mockingbird"]
CMD ["serve", "--config", "/app/config.yaml"]
