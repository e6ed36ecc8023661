#!/usr/bin/env bash
# Deploy checks: Dockerfile, .dockerignore, GitHub workflows, Kubernetes manifests, Prometheus rules,
# Grafana dashboard and the Swagger UI, against the built service.
#
#   npm ci && npm run build        # at the repo root, by the caller (this script builds nothing there)
#   bash deploy/checks/run.sh
#
# Installs what it needs (Debian: prometheus, chromium; npm ci in deploy/checks), starts the service
# on a free 127.0.0.1 port when a check needs it (always stopped), prints one PASS/FAIL line per
# check and, last, "N passed, N failed". Exits non-zero on any failure.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

setup_fail() {
  echo "FAIL deploy checks setup: $1"
  echo "0 passed, 1 failed"
  exit 1
}

# Tools from Debian, installed only when missing (the Node image CI uses runs as root).
missing=()
{ command -v promtool && command -v prometheus; } >/dev/null 2>&1 || missing+=(prometheus)
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  apt_log="$(mktemp)"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  if ! { $sudo_cmd apt-get update && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
    setup_fail "apt-get install ${missing[*]} failed: $(tail -n 3 "$apt_log" | tr '\n' ' ')"
  fi
fi

# The checks' own dependencies, exactly as locked.
if [ ! -f "$here/node_modules/.package-lock.json" ] || ! cmp -s "$here/package-lock.json" "$here/node_modules/.package-lock-source" 2>/dev/null; then
  npm_log="$(mktemp)"
  if ! npm ci --prefix "$here" --no-audit --no-fund >"$npm_log" 2>&1; then
    setup_fail "npm ci --prefix deploy/checks failed: $(tail -n 3 "$npm_log" | tr '\n' ' ')"
  fi
  cp "$here/package-lock.json" "$here/node_modules/.package-lock-source"
fi

[ -f "$root/dist/main.js" ] || setup_fail "dist/main.js missing: run 'npm ci && npm run build' at the repo root first"
[ -d "$root/node_modules" ] || setup_fail "node_modules missing at the repo root: run 'npm ci' first"

# Hard ceiling so a stuck child can never hang CI (run.mjs stops itself after 5 minutes first).
out="$(mktemp)"
timeout --kill-after=10 330 node "$here/run.mjs" | tee "$out"
rc=${PIPESTATUS[0]}
# A crash before run.mjs printed its summary still ends with a countable line and a failure.
if ! tail -n 1 "$out" | grep -qE '^[0-9]+ passed, [0-9]+ failed$'; then
  echo "FAIL deploy checks: run.mjs ended without its summary (exit $rc)"
  echo "$(grep -c '^PASS ' "$out") passed, $(( $(grep -c '^FAIL ' "$out") + 1 )) failed"
  exit 1
fi
exit "$rc"
