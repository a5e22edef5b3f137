#!/usr/bin/env bash
# Builds (once per version) the real control-plane binaries the e2e suite runs: kube-apiserver and
# etcd from the wrapper Go modules beside this script, helm via `go install`, and kubectl for the lab.
# Binaries are cached outside the repo, keyed by version, so only the first run on a machine pays for the build.
# Prints the cache directory on stdout; progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${HERALD_TESTBIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/herald/testbin}"
mkdir -p "$cache"

KUBE_VERSION="$(awk '$1=="require" && $2=="k8s.io/kubernetes" {print $3}' "$here/kube/go.mod")"
ETCD_VERSION="$(awk '$1=="require" && $2=="go.etcd.io/etcd/server/v3" {print $3}' "$here/etcd/go.mod")"
HELM_VERSION="v3.22.0"
PROMETHEUS_VERSION="$(awk '$1=="require" && $2=="github.com/prometheus/prometheus" {print $3}' "$here/promql/go.mod")"

log() { printf '[testbin] %s\n' "$*" >&2; }

command -v go >/dev/null || { log "go is required to build the test bed (Go >= 1.26)"; exit 1; }

build() { # name version dir ldflags package
  local name="$1" version="$2" dir="$3" ldflags="$4" pkg="$5"
  local out="$cache/$name-$version"
  if [[ -x "$out" ]]; then log "$name $version: cached at $out"; return; fi
  log "$name $version: building (first run on this machine; this takes minutes)..."
  local start=$SECONDS tmp="$out.tmp.$$"
  (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg") >&2
  mv "$tmp" "$out"
  log "$name $version: built in $((SECONDS - start)) s"
}

minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
build kube-apiserver "$KUBE_VERSION" "$here/kube" \
  "-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
  k8s.io/kubernetes/cmd/kube-apiserver
build etcd "$ETCD_VERSION" "$here/etcd" "-s -w" .
# kubectl for the local lab (`npm run lab` prints `kubectl get svc` commands); its own wrapper module with the
# same pins, because kubectl pulls modules kube-apiserver does not. ~40 s on top of a kube-apiserver build.
build kubectl "$KUBE_VERSION" "$here/kubectl" \
  "-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
  k8s.io/kubernetes/cmd/kubectl
# kube-proxy, the real one, for the node-address lab (issue 16): run per node namespace in iptables and nftables
# mode to show what kube-proxy does with status.loadBalancer.ingress. Its own wrapper module with the same pins.
# Measured (2026-12-01, 2 cores shared with other builds, kube-apiserver's modules already downloaded): 120 s,
# peak RSS 1.7 GB, 79 MB binary; `go mod tidy` of the wrapper fetched only a few test-only modules (6 s).
build kube-proxy "$KUBE_VERSION" "$here/kube-proxy" \
  "-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
  k8s.io/kubernetes/cmd/kube-proxy
# promql: Prometheus' PromQL parser and engine behind a JSON stdin/stdout wrapper (promql/main.go), so the
# chart's Grafana dashboard is checked against the metrics a running lab serves. Measured on 2 cores: ~22 s of
# module downloads and ~66 s of compiling on a cold machine; 21 MB. Keyed by our wrapper's sources too, so an
# edit of main.go rebuilds it.
PROMQL_ID="$PROMETHEUS_VERSION-$(cat "$here/promql/main.go" "$here/promql/go.sum" | sha256sum | cut -c1-12)"
build promql "$PROMQL_ID" "$here/promql" "-s -w" .

# helm's own Makefile stamps its version and the Kubernetes version it assumes for `helm template` and
# `helm lint` (from its client-go module: v0.37 -> 1.37). `go install` alone leaves the defaults (v1.20),
# which makes charts with a kubeVersion constraint fail to render offline; stamp them the same way.
HELM_K8S_MINOR=37
helm_id="helm-$HELM_VERSION-k8s1.$HELM_K8S_MINOR"
helm_out="$cache/$helm_id"
if [[ -x "$helm_out" ]]; then
  log "helm $HELM_VERSION: cached at $helm_out"
else
  log "helm $HELM_VERSION: go install (first run on this machine)..."
  start=$SECONDS gobin="$(mktemp -d)"
  GOBIN="$gobin" GOFLAGS=-trimpath go install -ldflags "-s -w \
    -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$HELM_K8S_MINOR \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$HELM_K8S_MINOR" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
  mv "$gobin/helm" "$helm_out"; rmdir "$gobin"
  log "helm $HELM_VERSION: built in $((SECONDS - start)) s"
fi

# Stable names for the harness (symlinks into the versioned cache).
ln -sfn "kube-apiserver-$KUBE_VERSION" "$cache/kube-apiserver"
ln -sfn "etcd-$ETCD_VERSION" "$cache/etcd"
ln -sfn "kubectl-$KUBE_VERSION" "$cache/kubectl"
ln -sfn "kube-proxy-$KUBE_VERSION" "$cache/kube-proxy"
ln -sfn "$helm_id" "$cache/helm"
ln -sfn "promql-$PROMQL_ID" "$cache/promql"
echo "$cache"
