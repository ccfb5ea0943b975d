# syntax=docker/dockerfile:1
# Cognate container image: a static binary on a minimal non-root base.
#
#   docker build -t cognate .
#   docker run -p 8080:8080 -v cognate-data:/data \
#     -e COGNATE_MASTER_KEY=... -e COGNATE_ADMIN_ACCESS_KEY_ID=... -e COGNATE_ADMIN_SECRET_ACCESS_KEY=... \
#     -e COGNATE_PUBLIC_URL=https://id.example.com cognate
#
# Configuration is by COGNATE_* environment variables (see `cognate serve --help`) or
# a YAML file mounted into the container and named by COGNATE_CONFIG, e.g.
#   -v "$PWD/cognate.yaml:/etc/cognate.yaml:ro" -e COGNATE_CONFIG=/etc/cognate.yaml
# (the image sets COGNATE_ADDR and COGNATE_DATA, which win over the file's addr and
# data). The SQLite database lives on the /data volume.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# modernc.org/sqlite is pure Go, so the binary needs no C library.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/cognate ./cmd/cognate \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cognate /usr/local/bin/cognate
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV COGNATE_ADDR=0.0.0.0:8080 \
    COGNATE_DATA=/data
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/cognate"]
CMD ["serve"]
