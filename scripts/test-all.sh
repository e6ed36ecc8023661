#!/usr/bin/env bash
# Runs every test suite of the repository and ends with one line: "N passed, N failed".
#   1. npm run build   (the e2e suite runs the built CLI, dist/cli/translate-file.js)
#   2. jest unit specs (src/**/*.spec.ts) and e2e specs (test/**/*.e2e-spec.ts)
#   3. pytest training/tests, when that folder exists (exit code 5 = no tests collected = 0)
#   4. deploy/checks/run.sh: Dockerfile, workflows, Kubernetes, Prometheus rules, Grafana, docs page
# Exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

report_dir="$(mktemp -d)"
trap 'rm -rf "$report_dir"' EXIT
passed=0
failed=0
status=0

add_counts() { # add_counts <passed> <failed>
  passed=$((passed + $1))
  failed=$((failed + $2))
}

if ! npm run --silent build; then
  echo "build failed" >&2
  add_counts 0 1
  status=1
fi

# jest's JSON report: failed tests plus suites that could not run at all
jest_counts() { # jest_counts <report.json>
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(r.numPassedTests, r.numFailedTests + r.numRuntimeErrorTestSuites);
  ' "$1"
}

for suite in unit e2e; do
  if [ "$suite" = unit ]; then config=jest.config.js; else config=test/jest-e2e.config.js; fi
  report="$report_dir/jest-$suite.json"
  npx jest --config "$config" --runInBand --json --outputFile="$report"
  rc=$?
  if [ -s "$report" ]; then
    read -r p f < <(jest_counts "$report")
    add_counts "$p" "$f"
  else
    add_counts 0 1
  fi
  [ "$rc" -ne 0 ] && status=1
done

if [ -d training/tests ]; then
  junit="$report_dir/pytest.xml"
  /usr/bin/python3 -m pytest training/tests -q --junitxml="$junit"
  rc=$?
  if [ "$rc" -eq 5 ]; then
    : # no tests collected: nothing passed, nothing failed
  elif [ -s "$junit" ]; then
    read -r p f < <(/usr/bin/python3 - "$junit" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
tests = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(tests - bad - skipped, bad)
PY
    )
    add_counts "$p" "$f"
    [ "$rc" -ne 0 ] && status=1
  else
    echo "pytest did not run (exit code $rc)" >&2
    add_counts 0 1
    status=1
  fi
fi

if [ -f deploy/checks/run.sh ]; then
  deploy_log="$report_dir/deploy.txt"
  bash deploy/checks/run.sh | tee "$deploy_log"
  rc=${PIPESTATUS[0]}
  if [[ "$(tail -n 1 "$deploy_log")" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    add_counts "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  else
    echo "deploy checks did not report a total (exit code $rc)" >&2
    add_counts 0 1
  fi
  [ "$rc" -ne 0 ] && status=1
fi

[ "$failed" -gt 0 ] && status=1
echo "${passed} passed, ${failed} failed"
exit "$status"
