#!/usr/bin/env bash
# Builds (once per version) MetalLB's controller and speaker from their Go module, for the head-to-head
# benchmark (bench/src/metallb.ts), and extracts the version's CRDs with the ASN fields made int64.
# Cached beside the test bed binaries; prints the directory (controller, speaker, crds.yaml) on stdout.
#
# The version: the newest of v0.15.x / v0.16.x that builds here. v0.16.2 (the newest the Go module proxy
# serves) does not: its go.mod requires github.com/metallb/frr-k8s v0.0.27, which proxy.golang.org answers
# with "403 Forbidden: This module version is not available", and nothing but the proxy is reachable. v0.15.2
# (the newest v0.15.x) builds with `go install`.
set -euo pipefail

VERSION="${METALLB_VERSION:-v0.15.2}"
cache="${HERALD_TESTBIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/herald/testbin}/metallb-$VERSION"
log() { printf '[metallb] %s\n' "$*" >&2; }
command -v go >/dev/null || { log "go is required (Go >= 1.24)"; exit 1; }

if [[ -x "$cache/controller" && -x "$cache/speaker" && -s "$cache/crds.yaml" ]]; then
  log "MetalLB $VERSION: cached at $cache"
else
  log "MetalLB $VERSION: go install controller and speaker (first run on this machine; minutes)..."
  start=$SECONDS tmp="$cache.tmp.$$"
  mkdir -p "$tmp"
  GOBIN="$tmp" GOFLAGS=-trimpath go install -ldflags "-s -w" \
    "go.universe.tf/metallb/controller@$VERSION" "go.universe.tf/metallb/speaker@$VERSION" >&2
  # The CRDs as the module ships them, with one change: v0.15's ASN fields say `format: int32` with
  # `maximum: 4294967295`, which kube-apiserver v1.37 rejects ("must be within int32 range"); as int64 the
  # schema accepts the same values and the apiserver accepts the schema.
  dir="$(go mod download -json "go.universe.tf/metallb@$VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  for f in "$dir"/config/crd/bases/metallb.io_*.yaml; do
    printf -- '---\n'
    awk '/format: int32/ { held = $0; next }
         held != "" { if ($0 ~ /maximum: 4294967295/) sub(/int32/, "int64", held); print held; held = "" }
         { print }' "$f"
  done >"$tmp/crds.yaml"
  rm -rf "$cache" && mv "$tmp" "$cache"
  log "MetalLB $VERSION: built in $((SECONDS - start)) s"
fi
echo "$cache"
