#!/usr/bin/env bash
# End-to-end relay benchmark with a private RabbitMQ broker: builds Bridge.Benchmarks (Release),
# starts a broker on its own port, runs `relay` and prints the Markdown table, stops the broker
# (and wipes its data, so queues from the run do not linger).
#   scripts/bench.sh                 quick set (< 5 min): raw baseline, each backend pair, one sustained row, 5 connectors x 1000 rooms
#   scripts/bench.sh --full          adds the scaling matrix (rooms 1/10/100/1000, backends 1/2/5, payloads 100 B/4 KB/60 KB)
#   scripts/bench.sh --messages 20000 --rate 1000 --payloads 100,4096 --rooms 100 --only pbim
# Port: BRIDGE_BENCH_RABBITMQ_PORT (default 21672, below the ephemeral port range so that no outgoing connection can hold it). All options: scripts/bench.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."
port=${BRIDGE_BENCH_RABBITMQ_PORT:-21672}
if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  dotnet run -c Release --project Bridge.Benchmarks -- relay --help 2>&1 || true
  exit 0
fi

dotnet build Bridge.Benchmarks -c Release -v quiet -nologo 2>&1 | grep -E " error | warning " || true
bash scripts/broker.sh start "$port" >/dev/null
trap 'bash scripts/broker.sh wipe "$port" >/dev/null 2>&1 || true' EXIT
dotnet run -c Release --no-build --project Bridge.Benchmarks -- relay --rabbitmq "127.0.0.1:$port" "$@"
