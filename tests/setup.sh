#!/usr/bin/env bash
# Everything the tests need on a fresh Debian machine: mosquitto and
# RabbitMQ from Debian's packages (the suites start their own, on loopback:
# tests/harness/brokers.js, tests/harness/rabbitmq.js), and the npm packages
# (npm builds xsnap-worker, the XS engine, from source).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
# The harness runs RabbitMQ's scripts from the package's own folder.
rabbitmq_missing=0
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || { need+=(rabbitmq-server); rabbitmq_missing=1; }
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v make >/dev/null 2>&1 || need+=(make)
command -v cc >/dev/null 2>&1 || need+=(gcc)
if [ ${#need[@]} -gt 0 ]; then
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get install -y --no-install-recommends "${need[@]}" \
    || { "${as_root[@]}" apt-get update && "${as_root[@]}" apt-get install -y --no-install-recommends "${need[@]}"; }
  # Where systemd runs, the package starts a system-wide node (AMQP and epmd
  # on every interface): the tests start their own, so the one we installed
  # is stopped and disabled. A RabbitMQ that was there before is left alone.
  if [ "$rabbitmq_missing" = 1 ] && command -v systemctl >/dev/null 2>&1 \
     && systemctl is-active --quiet rabbitmq-server 2>/dev/null; then
    "${as_root[@]}" systemctl disable --now rabbitmq-server || true
  fi
fi

# npm ci (which builds the XS engine, about 40 s) only when node_modules is
# not what package.json and package-lock.json say: the stamp, written after a
# complete install, is their hash. Both README commands start with this
# script; the second finds node_modules current and skips it.
stamp=node_modules/.setup-stamp
wanted=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
  echo "setup: node_modules matches package.json and package-lock.json; npm ci skipped"
else
  # The registry can stall (EIDLETIMEOUT seen on a CI run): three tries.
  for try in 1 2 3; do
    npm ci --no-audit --no-fund && break
    [ "$try" -lt 3 ] || exit 1
    echo "setup: npm ci failed (try $try of 3); trying again in 10 s" >&2
    sleep 10
  done
  echo "$wanted" > "$stamp"
fi
node tests/harness/ensure-xsnap.js
