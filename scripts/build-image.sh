#!/usr/bin/env bash
# Builds the runnable tree of one Herald image: `scripts/build-image.sh <controller|speaker> <outdir>`.
# The Dockerfiles' build stage runs exactly this, and the test suite (e2e/src/images.test.ts) runs it and
# starts the result, so the images cannot rot while no container engine is around.
#
# Steps: compile the package and its workspace dependencies with `tsc -b` (dist/*.js, relative imports
# rewritten to .js), then scripts/stage-image.ts assembles <outdir>:
#   <outdir>/package.json, <outdir>/dist/**            the program (entry: <outdir>/dist/main.js)
#   <outdir>/node_modules/@herald/<pkg>/{package.json,dist}  workspace dependencies, exports pointing at dist
#   <outdir>/node_modules/**                           production dependencies, copied from the lockfile-
#                                                      installed tree (no network, same versions as tested)
# Requires an installed monorepo (`npm ci`). Run as: node <outdir>/dist/main.js --help
set -euo pipefail

usage() { echo "usage: $0 <controller|speaker> <outdir>" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
component="$1" out="$2"
case "$component" in controller | speaker) ;; *) usage ;; esac

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
[[ -d node_modules ]] || { echo "node_modules missing: run npm ci first" >&2; exit 1; }

# The repo's pinned Node 24 (node_modules/.bin/node); in the Docker build stage that is the base image's node.
PATH="$repo/node_modules/.bin:$PATH"
case "$(node --version)" in v24.*) ;; *) echo "Node 24 required, found $(node --version)" >&2; exit 1 ;; esac

echo "[build-image] tsc -b packages/$component" >&2
tsc -b "packages/$component"
echo "[build-image] staging $component into $out" >&2
node scripts/stage-image.ts "$component" "$out"
