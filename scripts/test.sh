#!/usr/bin/env bash
# The test command. On a fresh Debian machine it installs what the tests need (rabbitmq-server
# from Debian's packages, npm's msgpack-lite for the RTM codec cross-check), starts a private
# RabbitMQ broker for the tests, runs them, and stops the broker afterwards whatever happened.
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter Category!=Reliability]
set -euo pipefail
cd "$(dirname "$0")/.."

in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=${BRIDGE_TEST_RABBITMQ_PORT:-25672}
while in_use "$port" || in_use $((port + 1000)); do port=$((port + 1)); done
bash scripts/broker.sh wipe "$port"
trap 'bash scripts/broker.sh stop "$port"' EXIT
url=$(bash scripts/broker.sh start "$port")
export BRIDGE_TEST_RABBITMQ_URL=$url
export BRIDGE_TEST_RABBITMQ_PORT=$port

if [ -f tools/msgpack-crosscheck/package.json ] && [ ! -d tools/msgpack-crosscheck/node_modules/msgpack-lite ]; then
  echo "[test] installing msgpack-lite for the codec cross-check"
  (cd tools/msgpack-crosscheck && npm install --no-audit --no-fund --silent >/dev/null)
fi

# Waits for a condition give up after 3x their nominal time (they return as soon as it holds).
export BRIDGE_TEST_TIMEOUT_SCALE=${BRIDGE_TEST_TIMEOUT_SCALE:-3}

echo "[test] running the tests"
results="${TMPDIR:-/tmp}/bridge-test-results"
rm -rf "$results"
set +e
dotnet test Bridge.sln -c Release --logger "console;verbosity=normal" --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
rc=$?
set -e
# One plain closing line that any CI reader understands, after the failures (name, time, the
# first lines of the message) so that a reader of only the last lines sees which and why.
python3 - "$results" <<'PY' || true
import sys, glob, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for f in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    root = ET.parse(f).getroot()
    c = root.find(".//t:Counters", ns)
    if c is not None:
        passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)); skipped += int(c.get("notExecuted", 0))
    for r in root.iterfind(".//t:UnitTestResult[@outcome='Failed']", ns):
        print(f"FAILED {r.get('testName')} ({r.get('duration')})")
        for line in r.findtext(".//t:ErrorInfo/t:Message", "", ns).strip().splitlines()[:6]:
            print(f"    {line[:300]}")
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
exit $rc
