# Build: libpq, OpenSSL and SQLite are compiled from source by their crates (bundled/vendored).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs diesel.toml ./
COPY src src
COPY migrations migrations
RUN cargo build --release --locked && strip target/release/orgauth

# Run: a small image, a non-root user, keys and the SQLite file under /var/lib/orgauth.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/orgauth --create-home orgauth
COPY --from=build /src/target/release/orgauth /usr/local/bin/orgauth
USER orgauth
WORKDIR /var/lib/orgauth
ENV ORGAUTH_BIND=0.0.0.0:8080 \
    ORGAUTH_KEYS_DIR=/var/lib/orgauth/keys \
    DATABASE_URL=/var/lib/orgauth/orgauth.db
EXPOSE 8080
VOLUME ["/var/lib/orgauth"]
ENTRYPOINT ["/usr/local/bin/orgauth"]
CMD ["serve"]
