#!/usr/bin/env bash
# A private RabbitMQ broker for tests and benchmarks (Debian's rabbitmq-server, own node, port
# and data directory; the system broker, if any, is left alone).
#   scripts/broker.sh start [PORT]   installs rabbitmq-server if missing, starts, waits until up
#   scripts/broker.sh stop [PORT]
#   scripts/broker.sh restart [PORT] stop then start (keeps the data: durable queues survive)
# Prints the AMQP URL on start. Default port 25672; the node's distribution port is PORT+1000
# (BRIDGE_BROKER_DIST_PORT overrides it when that port is taken).
set -euo pipefail
cmd=${1:-start}
port=${2:-${BRIDGE_TEST_RABBITMQ_PORT:-25672}}
state="${TMPDIR:-/tmp}/bridge-rabbitmq-$port"

log() { printf '[broker] %s\n' "$*" >&2; }

export RABBITMQ_NODENAME="bridge-test-$port@localhost"
export RABBITMQ_NODE_PORT=$port
export RABBITMQ_DIST_PORT=${BRIDGE_BROKER_DIST_PORT:-$((port + 1000))}
export RABBITMQ_CONFIG_FILE="$state/rabbitmq"
export RABBITMQ_MNESIA_BASE="$state/mnesia"
export RABBITMQ_LOG_BASE="$state/log"
export RABBITMQ_ENABLED_PLUGINS_FILE="$state/enabled_plugins"
export RABBITMQ_PID_FILE="$state/pid"
export HOME=${HOME:-/root}

install_if_missing() {
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    log "installing rabbitmq-server from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null
  fi
}

is_up() { rabbitmqctl -n "$RABBITMQ_NODENAME" -q status >/dev/null 2>&1; }

start() {
  install_if_missing
  if is_up; then log "already running on 127.0.0.1:$port"; echo "amqp://guest:guest@127.0.0.1:$port/"; return; fi
  mkdir -p "$state/mnesia" "$state/log"
  cat > "$state/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$port
loopback_users = none
consumer_timeout = 3600000
log.console = false
log.file.level = warning
CONF
  echo '[].' > "$state/enabled_plugins"
  # Debian's wrapper runs the broker as the rabbitmq user: it must own its state.
  if id rabbitmq >/dev/null 2>&1; then chown -R rabbitmq:rabbitmq "$state"; fi
  log "starting RabbitMQ on 127.0.0.1:$port"
  setsid rabbitmq-server > "$state/console.out" 2>&1 < /dev/null &
  local pid=$!
  for _ in $(seq 1 90); do
    if is_up; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then log "the broker failed to start:"; tail -20 "$state/console.out" >&2; exit 1; fi
    sleep 1
  done
  rabbitmqctl -n "$RABBITMQ_NODENAME" await_startup >/dev/null
  log "up"
  echo "amqp://guest:guest@127.0.0.1:$port/"
}

stop() {
  if is_up; then
    log "stopping RabbitMQ on 127.0.0.1:$port"
    rabbitmqctl -n "$RABBITMQ_NODENAME" stop >/dev/null 2>&1 || true
  fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  wipe) stop; rm -rf "$state" ;;
  *) echo "usage: $0 start|stop|restart|wipe [PORT]" >&2; exit 2 ;;
esac
