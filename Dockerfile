# syntax=docker/dockerfile:1
# One image for the whole platform: the `imkon` binary, which runs any one part of it
# (`imkon serve onboarding|applications|scoring|disbursement|accounts|frontend`) or applies a
# service's migrations (`imkon migrate <service>`). Migrations, templates and the Fluent
# catalogues are compiled into the binary, so the image holds nothing else of the project.

# Build with the workspace's toolchain (Cargo.toml's rust-version) on the same Debian release
# the image runs on, so the binary links against the runtime's glibc.
FROM rust:1.85-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin imkon \
    && install -D -m 0755 target/release/imkon /out/imkon

FROM debian:bookworm-slim
# ca-certificates: onboarding's external sign-in and SMTP over TLS verify their peers.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 imkon \
    && useradd --system --uid 10001 --gid imkon --no-create-home --shell /usr/sbin/nologin imkon
COPY --from=build /out/imkon /usr/local/bin/imkon
# A numeric user, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
ENV IMKON_LISTEN_ADDR=0.0.0.0:8080 \
    IMKON_LOG_FORMAT=json
EXPOSE 8080
# The image is the same for every service; the orchestrator's probes (/health/live and
# /health/ready on each) are the health checks, so the image declares none of its own.
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/imkon"]
CMD ["help"]
