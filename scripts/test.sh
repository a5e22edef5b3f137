#!/usr/bin/env bash
# The whole test suite: installs what the tests need (routers from Debian, the Go-built control plane),
# then type-checks, lints, runs unit tests and the real-infrastructure e2e tests. Ends with one line
# `N passed, N failed, N skipped` counting every test (jest's skipped, pending and todo tests as skipped)
# plus the typecheck and lint steps.
# Privileged suites: as root every one runs — a missing prerequisite fails it (HERALD_REQUIRE_PRIVILEGED=1),
# whether or not CI is set; other users get a skip with the reason. With CI=true anything skipped fails the run.
# Runs under the repo's pinned Node 24 (npm puts node_modules/.bin first on PATH).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

results="$(mktemp -d -t herald-test-XXXXXX)"
trap 'rm -rf "$results"' EXIT
passed=0 failed=0
step() { # name cmd...: a non-test step that counts as one pass or fail
  local name="$1"; shift
  echo "==> $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi
}

echo "==> node $(node --version) ($(command -v node))"
case "$(node --version)" in v24.*) ;; *) echo "Node 24 is required; run through npm (npm test) so the pinned runtime is used" >&2; exit 1 ;; esac

# The test bed (kube-apiserver, etcd, … from Go modules: ~8 minutes cold, mostly downloads and compiling) builds
# in the background while the packages install and the checks and unit tests run, which need none of it.
echo "==> test bed binaries (building in the background)"
testbin_dir_file="$results/testbin-dir"
# Its own process group (setsid), so an early exit can stop the whole build (go and its compilers) with it;
# niced, so the unit tests keep their speed (their default 5 s timeout) and the build takes the idle CPU.
setsid nice -n 10 bash e2e/testbin/ensure.sh >"$testbin_dir_file" &
testbin_pid=$!
trap 'kill -- -"$testbin_pid" 2>/dev/null; rm -rf "$results"' EXIT

# Routers for the lab, and iptables/nftables for the real kube-proxy of the node-address lab. The machines run
# as root; elsewhere the e2e tests skip with a message.
if [[ "$(id -u)" == 0 ]]; then
  bash scripts/ensure-debian-packages.sh frr:/usr/lib/frr/bgpd bird2:/usr/sbin/bird gobgpd:/usr/bin/gobgpd \
    iproute2:/usr/sbin/ip curl:/usr/bin/curl iptables:/usr/sbin/iptables nftables:/usr/sbin/nft || exit 1
fi

step "typecheck (tsc -b)" npx tsc -b
step "lint (biome)" npx biome check .

jest() { node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js "$@"; }
echo "==> unit tests"
jest "$@" --json --outputFile="$results/unit.json" --selectProjects unit
echo "==> test bed binaries (waiting for the background build)"
wait "$testbin_pid" || { echo "building the test bed failed" >&2; exit 1; }
HERALD_TESTBIN_DIR="$(cat "$testbin_dir_file")"
export HERALD_TESTBIN_DIR
echo "==> e2e tests (real kube-apiserver, etcd, routers in network namespaces)"
# As root, and in CI, a privileged test that cannot run is a failure: the harness throws instead of skipping.
if [[ "$(id -u)" == 0 || "${CI:-}" == "true" ]]; then export HERALD_REQUIRE_PRIVILEGED=1; fi
jest "$@" --runInBand --json --outputFile="$results/e2e.json" --selectProjects e2e

read -r jp jf js < <(node -e '
  let p = 0, f = 0, s = 0;
  for (const file of process.argv.slice(1)) {
    try {
      const r = JSON.parse(require("fs").readFileSync(file, "utf8"));
      p += r.numPassedTests; f += r.numFailedTests + r.numRuntimeErrorTestSuites;
      s += r.numPendingTests + r.numTodoTests; // test.skip, describe.skip (e.g. no privileges), test.todo, or left out by -t
      if (r.numTotalTests === 0 && r.numRuntimeErrorTestSuites === 0) f += 1; // a project that ran nothing
    } catch { f += 1; } // a project that crashed before writing results
  }
  console.log(p, f, s);' "$results/unit.json" "$results/e2e.json")
passed=$((passed + jp)); failed=$((failed + jf)); skipped=$js
if [[ "${CI:-}" == "true" ]] && ((skipped > 0)); then
  echo "FAILED: CI=true and $skipped test(s) were skipped; in CI every test must run"
fi
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0)) && ! [[ "${CI:-}" == "true" && skipped -gt 0 ]]
