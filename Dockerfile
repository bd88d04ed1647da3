# Klassenbuch container image.
#
#   docker build -t klassenbuch .
#   docker run --rm -v klassenbuch-keys:/etc/klassenbuch klassenbuch keys generate --out /etc/klassenbuch/keys
#   docker run -p 8080:8080 -v klassenbuch-data:/var/lib/klassenbuch -v klassenbuch-keys:/etc/klassenbuch:ro \
#     -e KLASSENBUCH__SERVER__PUBLIC_ORIGIN=https://klassenbuch.example.de \
#     -e KLASSENBUCH__KEYS__FILE=/etc/klassenbuch/keys \
#     klassenbuch
#
# Without KLASSENBUCH__DATABASE__URL the SQLite database lives in the volume
# (/var/lib/klassenbuch/klassenbuch.sqlite). Keep the key file out of that volume: backups of
# the database must not contain the key. See docs/configuration.md.

# --- build -----------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder

# pq-sys links the system libpq.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Static files, templates and migrations are compiled into the binary (include_str!,
# embed_migrations!), so the binary is all the runtime stage needs. .dockerignore keeps
# target/, demo-data/ and .git out of the context.
COPY . .
RUN cargo build --release --locked \
    && cp target/release/klassenbuch /usr/local/bin/klassenbuch

# --- run -------------------------------------------------------------------------------------
FROM debian:bookworm-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 postgresql-client ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 klassenbuch \
    && useradd --system --uid 10001 --gid klassenbuch --home-dir /var/lib/klassenbuch \
        --shell /usr/sbin/nologin klassenbuch \
    && mkdir -p /var/lib/klassenbuch /etc/klassenbuch \
    && chown klassenbuch:klassenbuch /var/lib/klassenbuch /etc/klassenbuch

COPY --from=builder /usr/local/bin/klassenbuch /usr/local/bin/klassenbuch

# Environment variables override the config file; this one makes the server reachable from
# outside the container.
ENV KLASSENBUCH__SERVER__BIND=0.0.0.0:8080
# The retention job's archive export (printed registers as PDF) stays in the volume.
ENV KLASSENBUCH__RETENTION__ARCHIVE_DIR=/var/lib/klassenbuch/archiv

USER 10001:10001
# The default database URL (sqlite://klassenbuch.sqlite) is relative to this directory.
WORKDIR /var/lib/klassenbuch
VOLUME ["/var/lib/klassenbuch"]
EXPOSE 8080

ENTRYPOINT ["klassenbuch"]
CMD ["serve"]
