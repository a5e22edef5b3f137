#!/usr/bin/env bash
# Refreshes the base-image digests pinned in Dockerfile.controller and Dockerfile.speaker: resolves each
# image's current tag to its digest (the multi-platform index digest) with `crane digest` or, without crane,
# `docker buildx imagetools inspect`, and rewrites the ARG lines of both files. Run it where the registries
# are reachable, review the diff, rebuild and run the image tests (e2e/src/images.test.ts) before committing.
#
#   scripts/update-base-images.sh            rewrite both Dockerfiles
#   scripts/update-base-images.sh --check    print current and latest digests, change nothing
set -euo pipefail
cd "$(dirname "$0")/.."

images=(
  "NODE_IMAGE=node:24-bookworm-slim"
  "RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot"
)

digest_of() {
  if command -v crane >/dev/null; then
    crane digest "$1"
  elif command -v docker >/dev/null; then
    docker buildx imagetools inspect "$1" --format '{{json .Manifest.Digest}}' | tr -d '"'
  else
    echo "update-base-images: needs crane or docker buildx to ask the registry" >&2
    exit 2
  fi
}

for entry in "${images[@]}"; do
  arg=${entry%%=*}
  tag=${entry#*=}
  digest=$(digest_of "$tag")
  [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "update-base-images: bad digest '$digest' for $tag" >&2; exit 1; }
  for file in Dockerfile.controller Dockerfile.speaker; do
    current=$(sed -n "s/^ARG ${arg}=//p" "$file")
    if [[ ${1:-} == --check ]]; then
      echo "$file $arg: pinned ${current#*@}, latest $digest ($tag)"
    else
      sed -i "s|^ARG ${arg}=.*|ARG ${arg}=${tag}@${digest}|" "$file"
    fi
  done
done
