#!/usr/bin/env bash
# Installs the Debian packages whose marker file is missing: each argument is PACKAGE:PATH, e.g.
# frr:/usr/lib/frr/bgpd. Used by scripts/test.sh (routers for the e2e lab) and scripts/lab.sh. Needs root.
set -euo pipefail
missing=()
for pair in "$@"; do
  [[ -x "${pair#*:}" ]] || missing+=("${pair%%:*}")
done
((${#missing[@]})) || exit 0
echo "apt-get install ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
  echo "apt-get install ${missing[*]} failed" >&2
  exit 1
}
