# stagelog's container image: a static binary on an empty base, run as a non-root user, with
# `stagelog` as its entry point. Two ways to the same image:
#
#   docker build -t stagelog .            builds from source (musl, static) in a Rust image
#   docker build --target release --build-arg BINARY=stagelog -t stagelog .
#                                         packs a prebuilt static binary from the build
#                                         context (the release workflow, and the tests)
#
#   docker run --rm -v "$PWD:/work:ro" stagelog scan /work
#
# A scan-only image: --build-arg FEATURES=scan-only (no AWS SDK inside).
ARG RUST_VERSION=1.95

FROM docker.io/library/rust:${RUST_VERSION}-alpine AS build
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY . .
ARG FEATURES=aws
RUN if [ "$FEATURES" = scan-only ]; then flags=--no-default-features; else flags=; fi \
 && cargo build --release --locked -p stagelog $flags \
 && install -D target/release/stagelog /out/stagelog

# A prebuilt static binary (BINARY, a path in the build context; by default bin/ARCH/stagelog,
# as the release workflow lays out one per platform) and the CA bundle AWS calls are checked
# against (CA_BUNDLE, in the context too: copy /etc/ssl/certs/ca-certificates.crt there).
FROM scratch AS release
ARG TARGETARCH
ARG BINARY=bin/${TARGETARCH}/stagelog
ARG CA_BUNDLE=ca-certificates.crt
COPY ${CA_BUNDLE} /etc/ssl/certs/ca-certificates.crt
COPY ${BINARY} /usr/local/bin/stagelog
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/stagelog"]
CMD ["--help"]

FROM scratch AS runtime
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/stagelog /usr/local/bin/stagelog
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/stagelog"]
CMD ["--help"]
