#!/usr/bin/env bash
# `npm run lab`: the local lab. As root on a fresh machine: installs FRR (and curl, iproute2, and iptables and
# nftables for kube-proxy) from Debian if missing, builds/caches the test-bed binaries (kube-apiserver, etcd,
# helm, kubectl, kube-proxy), then runs
# e2e/src/lab-cli.ts, which starts the whole Herald system and prints what to try. Ctrl-C stops and cleans up.
#   npm run lab                     start (stays up until Ctrl-C)
#   npm run lab -- --once           start, verify the VIP answers from the client, clean up, exit
#   npm run lab -- --mode l2        layer-2 mode: ARP/NDP announcers instead of BGP, client on the node segment
#   npm run lab -- --mode node-addresses [--kube-proxy nftables]   no BGP, no L2: node addresses + kube-proxy
#   npm run lab -- down             clean up what a crashed lab left behind (bash scripts/lab.sh down works too)
# The lab only ever creates (and removes) its own network namespaces, processes and temp dirs; every lab
# address lives inside those namespaces (docs/lab.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The repository's pinned Node 24 (npm install installs it); the system node may be older.
node="$PWD/node_modules/.bin/node"
if [[ ! -x "$node" ]]; then
  echo "lab: node_modules is missing: run \`npm ci\` first" >&2
  exit 1
fi
case "$("$node" --version)" in v24.*) ;; *) echo "lab: node_modules/.bin/node is not Node 24; run \`npm ci\`" >&2; exit 1 ;; esac
cli=(node_modules/.bin/node --no-warnings e2e/src/lab-cli.ts)

if [[ "${1:-}" == "down" || "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  exec "${cli[@]}" "$@"
fi

if [[ "$(id -u)" != 0 ]]; then
  echo "lab: run as root (it creates network namespaces and runs FRR): sudo npm run lab" >&2
  exit 1
fi

echo "[lab] checking the routers and tools (FRR, curl, iproute2, iptables, nftables)"
bash scripts/ensure-debian-packages.sh frr:/usr/lib/frr/bgpd curl:/usr/bin/curl iproute2:/usr/sbin/ip \
  iptables:/usr/sbin/iptables nftables:/usr/sbin/nft || exit 1

echo "[lab] test-bed binaries (first run on a machine builds them from Go modules: about 8 minutes)"
HERALD_TESTBIN_DIR="$(bash e2e/testbin/ensure.sh)" || { echo "lab: building the test bed failed" >&2; exit 1; }
export HERALD_TESTBIN_DIR

# exec: Ctrl-C and `lab down`'s SIGTERM reach the lab process directly.
exec "${cli[@]}" "$@"
