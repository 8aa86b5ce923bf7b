# syntax=docker/dockerfile:1
# Build stage: compile a release binary with the templates, static files and
# migrations compiled in.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends cmake pkg-config \
    && rm -rf /var/lib/apt/lists/*
# Dependencies first, so that code changes reuse the cached layer.
COPY Cargo.toml Cargo.lock ./
COPY .cargo ./.cargo
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked || true
COPY . .
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin consol

# Runtime stage: a slim image with only the binary, run as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin consol \
    && mkdir -p /data && chown consol:consol /data
COPY --from=build /src/target/release/consol /usr/local/bin/consol
USER consol
WORKDIR /data
VOLUME ["/data"]
ENV CONSOL_LISTEN=0.0.0.0:8080 \
    CONSOL_DATABASE_URL=sqlite:///data/consol.db?mode=rwc
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["consol", "healthcheck", "--addr", "127.0.0.1:8080"]
ENTRYPOINT ["consol"]
CMD ["serve"]
