# Cognate: one static binary (pure-Go SQLite, no cgo).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/cognate ./cmd/cognate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cognate /cognate
VOLUME ["/data"]
ENV COGNATE_DATA=/data COGNATE_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/cognate"]
CMD ["serve"]
