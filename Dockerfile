# syntax=docker/dockerfile:1
# A small image of the `signoff` binary: built static (musl) in a Rust image, copied
# alone into distroless/static (CA certificates, /etc/passwd with `nonroot`, no
# shell). docs/ci.md says how to build and use it.
#
#   docker build -t signoff .
#   docker run --rm -v "$PWD:/work" -w /work signoff capture reports/*.sarif --project shop

FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends musl-tools && rm -rf /var/lib/apt/lists/*
RUN rustup target add x86_64-unknown-linux-musl
WORKDIR /src
# .dockerignore leaves .git out: say which commit this is, and when, for
# `signoff --version` (docs/ci.md):
#   docker build --build-arg SIGNOFF_BUILD_COMMIT=$(git rev-parse --short=12 HEAD) \
#     --build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) -t signoff .
ARG SIGNOFF_BUILD_COMMIT
ARG SOURCE_DATE_EPOCH
COPY . .
# `dist`: whole-program optimised and stripped (Cargo.toml). The binary links
# everything statically: SQLite, aws-lc (rustls' crypto), zstd and mimalloc are C
# built with musl-gcc.
RUN cargo build --locked --profile dist --target x86_64-unknown-linux-musl -p signoff-cli \
 && cp target/x86_64-unknown-linux-musl/dist/signoff /signoff

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /signoff /usr/local/bin/signoff
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/signoff"]
CMD ["--help"]
