"""The monitoring of one node as the server runs it: the inbox, the broker consumer, the outgoing webhooks."""

from __future__ import annotations

import threading

from sqlalchemy.engine import Engine

from onemap.config import Settings
from onemap.monitoring.inbox import Inbox
from onemap.monitoring.mqtt import Broker, Consumer, NodeConsumer
from onemap.monitoring.webhook import Webhooks


class Monitoring:
    """Built once per server process; the inbox (which reads the control layers) is made at first use."""

    def __init__(self, records: Engine, store_url: str, settings: Settings) -> None:
        self.records, self.store_url, self.settings = records, store_url, settings
        self.webhooks = Webhooks(settings.warning_webhooks)
        self._inbox: Inbox | None = None
        self._lock = threading.Lock()
        self.consumer: NodeConsumer | None = None

    @property
    def inbox(self) -> Inbox:
        with self._lock:
            if self._inbox is None:
                rules = str(self.settings.warning_rules) if self.settings.warning_rules else None
                self._inbox = Inbox(self.records, self.store_url, rules_path=rules, notify=self.webhooks.send)
            return self._inbox

    def broker(self) -> Broker:
        return Broker.from_url(self.settings.mqtt_url, self.settings.mqtt_username,
                               self.settings.mqtt_password.get_secret_value())

    def _consumer(self) -> Consumer:
        return Consumer(self.inbox, self.broker(), self.settings.mqtt_topic_prefix,
                        client_id=f"onemap-{self.settings.node_id}-monitoring")

    def start(self) -> None:
        """Subscribe (one process of the node: the one holding the data folder's consumer lock)."""
        if self.settings.monitoring_subscribe and self.consumer is None:
            lock = self.settings.data_dir / "monitoring-consumer.lock"
            self.consumer = NodeConsumer(self._consumer, lock).start()

    def stop(self) -> None:
        if self.consumer is not None:
            self.consumer.stop()
            self.consumer = None
