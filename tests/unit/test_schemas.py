"""Every topic record the hub writes matches its JSON Schema in schemas/."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema

from hub.clock import FixedClock
from hub.domain.messages import CareAlert, OutreachCommand, OutreachEvent
from hub.services.ingest import Ingestor, MemorySink
from tests.conftest import REPO

AT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def schema(name: str) -> dict[str, Any]:
    return json.loads((REPO / "schemas" / f"{name}.schema.json").read_text())


def test_outreach_command_alert_and_event_records_match_their_schemas() -> None:
    """Wire contracts: the dicts agents put on Kafka validate, and a broken one does not."""
    command = OutreachCommand("E1:welcome_sms", "E1", "G|7", "welcome_sms", "sms", "+16175550188",
                              "welcome_sms", "en", "Hi", AT, AT + timedelta(days=29),
                              "America/New_York", "G")
    jsonschema.validate(command.to_dict(), schema("outreach_command"))
    alert = CareAlert("E1:readmission", "readmission", "E1", "G|7", "G", "urgent", AT, {})
    jsonschema.validate(alert.to_dict(), schema("care_alert"))
    event = OutreachEvent("send_result", "G|7", "E1", "E1:welcome_sms", "sms", "deferred", AT,
                          reason="quiet_hours", deferred_until=AT)
    jsonschema.validate(event.to_dict(), schema("outreach_event"))
    broken = {**command.to_dict(), "to": "617-555-0188"}
    assert list(jsonschema.Draft202012Validator(schema("outreach_command")).iter_errors(broken))


async def test_raw_and_rejected_records_match_their_schema() -> None:
    """Wire contracts: hl7.adt.raw and hl7.adt.rejected records validate."""
    sink = MemorySink([])
    ingestor = Ingestor(sink, FixedClock(AT))
    await ingestor.ingest(b"MSH|^~\\&|A|B|C|D|1||ADT^A08|X|P|2.5\rPID|1||7^^^G^MR\r",
                          transport="mllp", peer=None)
    await ingestor.ingest(b"junk", transport="http", peer="127.0.0.1:1")
    assert [topic for topic, _key, _record in sink.records] == ["hl7.adt.raw", "hl7.adt.rejected"]
    for _topic, _key, record in sink.records:
        jsonschema.validate(record, schema("raw_message"))


def test_outreach_records_round_trip() -> None:
    """Wire contracts: from_dict(to_dict(x)) == x for the records agents exchange."""
    event = OutreachEvent("reply", "G|7", "E1", None, "sms", "received", AT, intent="urgent",
                          reply_text="1")
    assert OutreachEvent.from_dict(json.loads(json.dumps(event.to_dict()))) == event


def test_webhook_records_match_the_inbound_schema() -> None:
    """Wire contracts: outreach.inbound records made from Twilio forms validate."""
    from hub.adapters.twilio_webhooks import gather_result, inbound_sms, status_callback

    inbound = schema("outreach_inbound")
    for record in (inbound_sms({"From": "+16175550188", "Body": "1", "MessageSid": "SM1"}),
                   gather_result({"To": "+16175550188", "Digits": "1", "CallSid": "CA1"},
                                 {"command_id": "ep-1:bd1_call", "lang": "es"}),
                   status_callback({"To": "+16175550188", "MessageSid": "SM1",
                                    "MessageStatus": "delivered"}, {}),
                   status_callback({"To": "+16175550188", "CallSid": "CA1",
                                    "CallStatus": "completed", "AnsweredBy": "human"},
                                   {"command_id": "ep-1:bd1_call"})):
        jsonschema.validate(record, inbound)
    jsonschema.validate({"tick": "due"}, schema("tick"))
    jsonschema.validate({"command_id": "E1:welcome_sms"}, schema("tick"))
    jsonschema.validate({"follow": {"topic": "outreach.events", "value": {"kind": "reply"},
                                    "hops": 1}}, schema("tick"))


def test_every_topic_has_a_schema() -> None:
    """Wire contracts: schemas/ holds a contract for every record kind the hub writes."""
    names = {p.name.removesuffix(".schema.json") for p in (REPO / "schemas").glob("*.schema.json")}
    assert names == {"raw_message", "adt_event", "deadletter", "outreach_command",
                     "outreach_inbound", "outreach_event", "care_alert", "tick",
                     "alert_delivery", "alert_result", "alert_action", "feed_seen"}


async def test_alert_stage_records_match_their_schemas() -> None:
    """Wire contracts of the alerts stage: deliveries, results, acknowledgements, heartbeats."""
    from agents.notify import deliver_all
    from hub.adapters.alert_channels import RecordingChannel
    from hub.domain.alerts.lifecycle import on_alert
    from hub.domain.alerts.routing import Person, Routing, Team

    routing = Routing(teams={"t": Team("t", on_call=("a",), channels=("sms", "webhook", "email"),
                                       webhook="https://h", webhook_secret="s" * 20,
                                       email=("x@example.org",), names_on=frozenset({"email"}))},
                      people={"a": Person("a", "A", "+16175550101")}, default_team="t",
                      link="https://tcm")
    alert = CareAlert("E1:urgent_reply", "urgent_reply", "E1", "G|7", "G", "urgent", AT,
                      {"reply_text": "help", "contact_due": AT.isoformat()},
                      patient_name="Ana")
    step = on_alert(None, "G|7", alert.to_dict(), routing, AT)
    assert len(step.deliveries) == 3
    for delivery in step.deliveries:
        jsonschema.validate(delivery, schema("alert_delivery"))
    results = await deliver_all(step.deliveries, {"sms": RecordingChannel(),
                                                  "webhook": RecordingChannel()}, 0, 1)
    for result in results:
        jsonschema.validate(result, schema("alert_result"))
    jsonschema.validate({"alert_id": "E1:urgent_reply", "by": "rn.lee"}, schema("alert_action"))
    jsonschema.validate({"facility": "G", "at": AT.isoformat()}, schema("feed_seen"))
    broken = {**step.deliveries[0], "channel": "fax"}
    assert list(jsonschema.Draft202012Validator(schema("alert_delivery")).iter_errors(broken))
