"""The consumer against a real Mosquitto: warnings in time, once per id, nothing lost across restarts."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from onemap.monitoring.inbox import Inbox
from onemap.monitoring.mqtt import Broker, Consumer, publish
from onemap.records.tables import dead_letters, monitoring_messages, warnings
from tests.monitoring.conftest import wait_for

PREFIX = "onemap/test/monitoring"


def _count(records, table, *where) -> int:
    with records.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())


def _consumer(records, store_url, broker_url, client_id) -> Consumer:
    consumer = Consumer(Inbox(records, store_url), Broker.from_url(broker_url), PREFIX, client_id).start()
    assert consumer.connected.wait(10), "consumer did not connect"
    return consumer


def _patches(traffic, prefix):
    return [line["message"] for line in traffic if line["kind"] == "patch" and "expect" not in line
            and str(line["message"]["properties"].get("id", "")).startswith(prefix)]


def test_a_red_line_patch_becomes_a_red_warning(records, control_store, traffic, mosquitto) -> None:
    consumer = _consumer(records, control_store, mosquitto.url, f"t-{uuid.uuid4().hex[:8]}")
    try:
        patch = _patches(traffic, "JC2024STBHHX")[0]
        publish(Broker.from_url(mosquitto.url), [(f"{PREFIX}/patches", patch)] * 2)  # the same id twice
        wait_for(lambda: consumer.processed >= 2)
        rows = wait_for(lambda: _count(records, warnings, warnings.c.rule == "STBHHX_BUILD",
                                       warnings.c.subject_id == patch["properties"]["id"]))
        assert rows == 1
        with records.connect() as conn:
            assert conn.execute(sa.select(warnings.c.level).where(warnings.c.rule == "STBHHX_BUILD")).scalar() == "红"
    finally:
        consumer.stop()


def test_bad_messages_are_dead_letters_and_the_consumer_goes_on(records, control_store, traffic, mosquitto) -> None:
    consumer = _consumer(records, control_store, mosquitto.url, f"t-{uuid.uuid4().hex[:8]}")
    try:
        import paho.mqtt.publish as raw

        raw.single(f"{PREFIX}/patches", b"{not json", qos=1, hostname="127.0.0.1", port=mosquitto.port)
        raw.single(f"{PREFIX}/nonsense", b"{}", qos=1, hostname="127.0.0.1", port=mosquitto.port)
        good = _patches(traffic, "BG2024")[:3]
        publish(Broker.from_url(mosquitto.url), [(f"{PREFIX}/patches", p) for p in good])
        wait_for(lambda: _count(records, monitoring_messages) == 3 and _count(records, dead_letters) == 2)
        with records.connect() as conn:
            reasons = sorted(r.reason for r in conn.execute(sa.select(dead_letters)))
        assert reasons == ["未知的消息类型 'unknown'", "消息不是合法的 JSON"]
    finally:
        consumer.stop()


def test_nothing_is_lost_while_the_consumer_is_down(records, control_store, traffic, mosquitto) -> None:
    client_id = f"t-{uuid.uuid4().hex[:8]}"
    _consumer(records, control_store, mosquitto.url, client_id).stop()  # the broker now keeps its session
    sent = _patches(traffic, "BG2024")[:20]
    publish(Broker.from_url(mosquitto.url), [(f"{PREFIX}/patches", p) for p in sent])
    assert _count(records, monitoring_messages) == 0
    consumer = _consumer(records, control_store, mosquitto.url, client_id)  # the server starts again
    try:
        wait_for(lambda: _count(records, monitoring_messages) == 20)
    finally:
        consumer.stop()


def test_nothing_is_lost_when_the_broker_restarts(records, control_store, traffic, mosquitto) -> None:
    client_id = f"t-{uuid.uuid4().hex[:8]}"
    _consumer(records, control_store, mosquitto.url, client_id).stop()
    sent = _patches(traffic, "JC2024")
    publish(Broker.from_url(mosquitto.url), [(f"{PREFIX}/patches", p) for p in sent])
    mosquitto.stop()
    mosquitto.start()
    consumer = _consumer(records, control_store, mosquitto.url, client_id)
    try:
        wait_for(lambda: _count(records, monitoring_messages) == len(sent))
        assert _count(records, warnings, warnings.c.rule == "STBHHX_BUILD") >= 3
    finally:
        consumer.stop()
