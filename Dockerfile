# syntax=docker/dockerfile:1
# orgauth: a multi-stage build. The build stage compiles exactly what it copies (see
# .dockerignore); libpq, OpenSSL and SQLite are compiled from source by their crates
# (bundled/vendored), so no -dev package is needed. .ci/deploy-checks builds this context.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs diesel.toml ./
COPY src src
COPY migrations migrations
# Cargo.toml declares the `hot_path` bench: cargo reads every target it declares.
COPY benches benches
# A workspace member (the resource-server verifier crate): its manifest must be present.
COPY verifiers/rust verifiers/rust
RUN cargo build --release --locked && strip target/release/orgauth

# Run: a small image and a non-root user. /var/lib/orgauth holds the SQLite file (the default
# database) and keys/ the key-encryption key; both are created here and owned by the user, so
# a named volume mounted on either starts with that ownership.
FROM debian:bookworm-slim
# ca-certificates: for sslmode=verify-full to a managed Postgres. Versions float with the
# bookworm point release (hadolint DL3008 is ignored for that line in .hadolint.yaml).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 orgauth \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/orgauth --no-create-home orgauth \
    && mkdir -p /var/lib/orgauth/keys \
    && chown -R 10001:10001 /var/lib/orgauth \
    && chmod 0700 /var/lib/orgauth/keys
COPY --from=build /src/target/release/orgauth /usr/local/bin/orgauth
USER 10001:10001
WORKDIR /var/lib/orgauth
# ORGAUTH_ISSUER has no default here: binding 0.0.0.0 without it is refused at start, with a
# message naming the variable (a token's `iss` must be the URL clients use).
ENV ORGAUTH_BIND=0.0.0.0:8080 \
    ORGAUTH_KEYS_DIR=/var/lib/orgauth/keys \
    DATABASE_URL=/var/lib/orgauth/orgauth.db
EXPOSE 8080
VOLUME ["/var/lib/orgauth"]
# The binary asks its own /readyz (no curl in the image).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/orgauth", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/orgauth"]
CMD ["serve"]
