"""The monitoring of one node as the server runs it: the inbox, the broker consumer, the outgoing webhooks."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine

from onemap import localtime
from onemap.config import Settings
from onemap.monitoring.inbox import Inbox
from onemap.monitoring.mqtt import Broker, Consumer, NodeConsumer
from onemap.monitoring.schedule import SweepSchedule
from onemap.monitoring.sweep import SweepResult, sweep
from onemap.monitoring.webhook import Webhooks
from onemap.services.processes.runner import FileLease
from onemap.store import open_store

log = logging.getLogger(__name__)


class Monitoring:
    """Built once per server process; the inbox (which reads the control layers) is made at first use."""

    def __init__(self, records: Engine, store_url: str, settings: Settings) -> None:
        self.records, self.store_url, self.settings = records, store_url, settings
        self.webhooks = Webhooks(settings.warning_webhooks)
        self._inbox: Inbox | None = None
        self._lock = threading.Lock()
        self.consumer: NodeConsumer | None = None
        self.schedule: SweepSchedule | None = None

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
        if self.settings.warning_sweep.strip() and self.schedule is None:
            lease = FileLease(self.settings.data_dir / "warning-sweep.lock")
            self.schedule = SweepSchedule(self.settings.warning_sweep.strip(), lambda: self.sweep_now(lease),
                                          localtime.zone(self.settings)).start()

    def sweep_now(self, lease: FileLease | None = None) -> SweepResult | None:
        """One sweep of every watched region (None: another process of the node holds the sweep lease)."""
        if lease is not None and not (lease.held or lease.acquire()):
            return None
        with open_store(self.store_url) as store:
            result = sweep(store, self.inbox)
        log.info("warning sweep %d: %d regions, %d warnings", result.period, len(result.regions),
                 len(result.warnings))
        return result

    def stop(self) -> None:
        if self.schedule is not None:
            self.schedule.stop()
            self.schedule = None
        if self.consumer is not None:
            self.consumer.stop()
            self.consumer = None
