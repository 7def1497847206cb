"""The demo's discharge feed: invented patients at one facility, in the order a hospital would
send them, and what the hub must have written before the demo can print its summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.cli.feed import Person, adt

FACILITY = "GENHOSP"
MARIA = Person("100234", "GARCIA", "MARIA", "19580301", "F", "(617) 555-0123", "es")
JAMES = Person("100235", "WILSON", "JAMES", "19470712", "M", "(617) 555-0145")
LINDA = Person("100236", "CHEN", "LINDA", "19620915", "F", "(617) 555-0167")
ROBERT = Person("100237", "BROWN", "ROBERT", "19550420", "M", "(617) 555-0189")


def key(person: Person) -> str:
    return f"{FACILITY}|{person.mrn}"


@dataclass(frozen=True)
class Step:
    label: str
    raw: bytes


@dataclass(frozen=True)
class Reply:
    """A text a patient sends back once the welcome texts are out, as Twilio would post it."""

    label: str
    phone: str  # E.164
    body: str


Records = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Scenario:
    messages: list[Step]
    texted: Callable[[Records], bool]  # the welcome texts are out: replies can come
    replies: list[Reply]
    done: Callable[[Records], bool]
    patients: dict[str, str]  # patient key -> a label for the summary


def build_scenario(now: datetime, zone: ZoneInfo) -> Scenario:
    local = now.astimezone(zone).replace(microsecond=0)
    admitted = local - timedelta(days=3)
    discharged = local - timedelta(minutes=30)

    def a03(person: Person, control_id: str, disposition: str, to: str) -> bytes:
        return adt("A03", person, control_id=control_id, at=discharged, disposition=disposition,
                   discharged_to=to, admit_at=admitted, discharge_at=discharged)

    maria_a03 = a03(MARIA, "DEMO0001", "01", "HOME")
    messages = [
        Step("A03 discharge home (Spanish speaker)", maria_a03),
        Step("A03 discharge to a skilled nursing facility", a03(JAMES, "DEMO0002", "03", "SNF")),
        Step("A03 discharge home with home health", a03(LINDA, "DEMO0003", "06", "HOME")),
        Step("A03 discharge home", a03(ROBERT, "DEMO0007", "01", "HOME")),
        Step("the first A03 resent unchanged (duplicate)", maria_a03),
        Step("A01 readmission inside the 30-day window",
             adt("A01", LINDA, control_id="DEMO0004", at=local, admit_at=local)),
        Step("an ADT without a PID segment (refused: the sender must fix it)",
             b"MSH|^~\\&|EPICADT|GENHOSP|TCMHUB|TCMHUB|" + local.strftime("%Y%m%d%H%M%S").encode()
             + b"||ADT^A03^ADT_A03|DEMO0005|P|2.5\rEVN|A03\r"),
        Step("a lab result sent to the ADT port (wrong message type)",
             b"MSH|^~\\&|LAB|GENHOSP|TCMHUB|TCMHUB|20260101||ORU^R01|DEMO0006|P|2.5\r"),
    ]

    def texted(records: Records) -> bool:
        # sent, or deferred to 08:00 when the demo runs at night (MSG-3): either way outreach
        # knows the phone, so a reply finds its patient
        results = {e["command_id"] for e in records["outreach.events"]
                   if e["kind"] == "send_result"}
        welcome = {c["command_id"] for c in records["outreach.commands"]
                   if c["step"] == "welcome_sms" and c["action"] == "send"
                   and c["patient_key"] in (key(MARIA), key(ROBERT))}
        return len(welcome) >= 2 and welcome <= results

    def done(records: Records) -> bool:
        alerts = {(a["patient_key"], a["kind"], a.get("revision", 1))
                  for a in records["care.alerts"]}
        confirmed = any(str(e["command_id"]).startswith("answer:opt_out_confirmation")
                        and e["kind"] == "send_result" for e in records["outreach.events"])
        return ({(key(MARIA), "episode_opened", 1), (key(LINDA), "episode_opened", 1),
                 (key(LINDA), "readmission", 1), (key(MARIA), "urgent_reply", 1),
                 (key(MARIA), "urgent_reply", 2), (key(ROBERT), "patient_opted_out", 1)}
                <= alerts and confirmed and texted(records)
                and len(records["hl7.adt.rejected"]) >= 2)

    replies = [
        Reply("Maria answers the welcome text: 1 (she wants a call sooner)", "+16175550123",
              "1"),
        Reply("Maria writes again before anyone called: she fell, her chest hurts",
              "+16175550123", "Me caí y me duele el pecho"),
        Reply("Robert revokes in his own words", "+16175550189", "Please stop. I am good."),
    ]
    return Scenario(messages, texted, replies, done, {
        key(MARIA): "Maria G.", key(JAMES): "James W.", key(LINDA): "Linda C.",
        key(ROBERT): "Robert B."})
