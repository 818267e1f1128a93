#!/usr/bin/env bash
# The tests run real servers: InfluxDB 1.x (Debian's influxdb), Mosquitto and its clients for
# interoperability and shared subscriptions, Redis for the broker and dashboard clusters, PostgreSQL for
# the operations store, openssl for TLS certificates, Chromium for the web app end to end. Installs
# whatever is missing when run as root with apt-get; otherwise says what to install and fails.
set -euo pipefail
missing=()
command -v influxd >/dev/null || missing+=(influxdb)
command -v mosquitto >/dev/null || missing+=(mosquitto)
command -v mosquitto_pub >/dev/null || missing+=(mosquitto-clients)
command -v openssl >/dev/null || missing+=(openssl)
command -v redis-server >/dev/null || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "test-deps: installing ${missing[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "test-deps: missing ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
