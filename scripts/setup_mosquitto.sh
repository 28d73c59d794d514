#!/usr/bin/env bash
# Make sure an MQTT broker (Debian's Mosquitto) listens on 127.0.0.1:1883 with persistence on, so
# 监测预警 messages (QoS 1, persistent sessions) survive a broker restart. Idempotent.
set -euo pipefail
PORT="${ONEMAP_MQTT_PORT:-1883}"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

if listening; then
  echo "[setup_mosquitto] Mosquitto 已在 127.0.0.1:$PORT 运行"
  exit 0
fi
command -v mosquitto >/dev/null || { echo "[setup_mosquitto] 未安装 mosquitto(apt-get install mosquitto)" >&2; exit 1; }
if command -v systemctl >/dev/null && systemctl start mosquitto 2>/dev/null && sleep 1 && listening; then
  echo "[setup_mosquitto] 已通过 systemd 启动 Mosquitto"
  exit 0
fi
conf=/etc/mosquitto/mosquitto.conf
if [ "$(id -u)" -eq 0 ] && [ -f "$conf" ]; then
  mkdir -p /run/mosquitto /var/lib/mosquitto /var/log/mosquitto
  chown mosquitto: /run/mosquitto /var/lib/mosquitto /var/log/mosquitto 2>/dev/null || true
  mosquitto -d -c "$conf"
else  # no root: a broker of this checkout, persistent under var/
  mkdir -p var/mosquitto
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location %s/\n' \
    "$PORT" "$(pwd)/var/mosquitto" > var/mosquitto/mosquitto.conf
  mosquitto -d -c var/mosquitto/mosquitto.conf
fi
for _ in 1 2 3 4 5 6 7 8 9 10; do listening && { echo "[setup_mosquitto] Mosquitto 已启动"; exit 0; }; sleep 0.5; done
echo "[setup_mosquitto] Mosquitto 未能启动" >&2; exit 1
