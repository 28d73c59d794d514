"""Mosquitto (MQTT 3.1.1) for monitoring: the node's consumer and a publisher (``onemap monitor replay``).

The consumer keeps a persistent session (``clean_session=False``, a fixed client id per node) and
subscribes with QoS 1, and acknowledges a message only after :class:`~onemap.monitoring.inbox.Inbox` has
committed it (or its dead letter): a message in flight when the server or the broker stops is delivered
again, and the inbox's idempotency by id makes the second delivery a no-op. One process of a node
consumes (a file lock in the data folder); the others take over when it stops.
"""

from __future__ import annotations

import fcntl
import json
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlparse

import paho.mqtt.client as mqtt

from onemap.errors import InputError
from onemap.monitoring.inbox import Inbox

log = logging.getLogger(__name__)
TOPIC_KINDS = {"patches": "patch", "events": "event", "values": "value"}
TAKEOVER_SECONDS = 5.0


@dataclass(frozen=True)
class Broker:
    """Where the broker is and how to sign in to it."""

    host: str
    port: int
    username: str = ""
    password: str = ""

    @classmethod
    def from_url(cls, url: str, username: str = "", password: str = "") -> Broker:
        parsed = urlparse(url)
        if parsed.scheme not in ("mqtt", "tcp") or not parsed.hostname:
            raise InputError(f"MQTT 地址应为 mqtt://主机:端口,收到 {url!r}", f"bad mqtt url {url!r}")
        return cls(parsed.hostname, parsed.port or 1883, parsed.username or username, parsed.password or password)


def kind_of(topic: str) -> str:
    """The message kind a topic carries (its last level: patches, events, values), or '' for none."""
    return TOPIC_KINDS.get(topic.rsplit("/", 1)[-1], "")


def _client(client_id: str, broker: Broker, *, persistent: bool, manual_ack: bool = False) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=not persistent,
                         protocol=mqtt.MQTTv311, manual_ack=manual_ack)
    if broker.username:
        client.username_pw_set(broker.username, broker.password or None)
    client.reconnect_delay_set(1, 30)
    return client


class Consumer:
    """Subscribes ``<prefix>/+`` and hands every message to the inbox, acknowledging after its commit."""

    def __init__(self, inbox: Inbox, broker: Broker, prefix: str, client_id: str) -> None:
        self.inbox, self.broker, self.prefix = inbox, broker, prefix
        self.client = _client(client_id, broker, persistent=True, manual_ack=True)
        self.client.on_connect = self._connected
        self.client.on_message = self._message
        self.connected = threading.Event()
        self.processed = 0

    def _connected(self, client: mqtt.Client, _userdata: object, _flags: object, reason: object,
                   _properties: object) -> None:
        if getattr(reason, "is_failure", False):
            log.error("MQTT broker %s:%s refused the consumer: %s", self.broker.host, self.broker.port, reason)
            return
        client.subscribe(f"{self.prefix}/+", qos=1)
        self.connected.set()

    def _message(self, client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        try:
            self.inbox.receive(kind_of(message.topic) or "unknown", message.payload, channel="mqtt",
                               topic=message.topic)
        except Exception:  # noqa: BLE001 - the records database is down: leave unacknowledged, it comes again
            log.exception("monitoring message on %s not stored; the broker will deliver it again", message.topic)
            return
        self.processed += 1
        client.ack(message.mid, message.qos)

    def start(self) -> Consumer:
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class NodeConsumer:
    """The one consumer of a node among its server processes: whoever holds ``lock_path`` consumes."""

    def __init__(self, make_consumer, lock_path: Path) -> None:
        self.make_consumer = make_consumer
        self.lock_path = lock_path
        self.consumer: Consumer | None = None
        self._lock_file: IO | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="onemap-monitoring", daemon=True)

    def _try_lock(self) -> bool:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.lock_path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._lock_file = handle
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._try_lock():
                self.consumer = self.make_consumer().start()
                return
            self._stop.wait(TAKEOVER_SECONDS)

    def start(self) -> NodeConsumer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self.consumer is not None:
            self.consumer.stop()
        if self._lock_file is not None:
            self._lock_file.close()


def publish(broker: Broker, messages: Iterable[tuple[str, dict]], *, rate: float | None = None,
            client_id: str = "") -> int:
    """Publish ``(topic, payload)`` pairs with QoS 1, at most ``rate`` a second; waits until each is acknowledged."""
    client = _client(client_id or f"onemap-replay-{time.time_ns()}", broker, persistent=False)
    client.connect(broker.host, broker.port, keepalive=30)
    client.loop_start()
    sent, started = 0, time.monotonic()
    try:
        for topic, payload in messages:
            if rate:
                delay = started + sent / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            info = client.publish(topic, json.dumps(payload, ensure_ascii=False), qos=1)
            info.wait_for_publish(timeout=30)
            sent += 1
    finally:
        client.disconnect()
        client.loop_stop()
    return sent
