#!/usr/bin/env bash
# Verifies every model package (<root>/<name>/<version>/checksums.sha256) under the given roots:
#   bash .github/scripts/verify-model-checksums.sh models test/fixtures/models
# Fails on a mismatched or missing file, on an improperly formatted checksums line, and when no
# package is found at all (a model folder that vanished must not pass as "nothing to check").
set -euo pipefail
[ "$#" -gt 0 ] || { echo "usage: $0 MODELS_ROOT..." >&2; exit 2; }
found=0
failed=0
for root in "$@"; do
  [ -d "$root" ] || { echo "FAIL $root: not a directory"; failed=$((failed + 1)); continue; }
  while IFS= read -r -d '' sums; do
    dir=$(dirname "$sums")
    found=$((found + 1))
    if (cd "$dir" && sha256sum --check --strict --quiet checksums.sha256); then
      echo "ok   $dir ($(wc -l < "$sums") files)"
    else
      echo "FAIL $dir"
      failed=$((failed + 1))
    fi
  done < <(find "$root" -mindepth 3 -maxdepth 3 -name checksums.sha256 -print0 | sort -z)
done
if [ "$found" -eq 0 ]; then
  echo "no model package (<name>/<version>/checksums.sha256) under: $*"
  exit 1
fi
echo "$found package(s), $failed failed"
[ "$failed" -eq 0 ]
