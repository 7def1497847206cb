"""What patients answer, on the real parts (MSG-2, §5): signed Twilio webhooks into a worker on
the production store (RocksDB) and a real Kafka broker, answers through Twilio's contract
(Prism). A revocation in plain words, the same webhook delivered twice, two urgent replies from
one patient, and a number two patients share."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.adapters.mllp_client import MllpClient
from hub.adapters.topic_reader import TopicReader
from hub.cli.feed import Person, adt
from hub.hl7.ack import ack_summary
from tests.integration import servers
from tests.integration.test_walking_skeleton import signed_reply
from tests.integration.worker import Worker, start_worker

NY = ZoneInfo("America/New_York")
CLOCK_START = datetime(2026, 11, 23, 10, 0, tzinfo=NY)  # a Monday, inside allowed hours
APP_ID = "tcm-hub-replies"
CARL = Person("661001", "MOORE", "CARL", "19500101", "M", "(617) 555-0191")
DORA = Person("661002", "LEE", "DORA", "19520202", "F", "(617) 555-0192")
EVA = Person("661003", "KING", "EVA", "19540303", "F", "(617) 555-0193")  # shares with FRED
FRED = Person("661004", "KING", "FRED", "19530404", "M", "(617) 555-0193")
TOPICS = ["care.alerts", "outreach.events"]

Records = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def worker(kafka: servers.Kafka, prism: servers.Prism,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """One worker on the production store (RocksDB), its log in JSON lines, stopped by its
    PID."""
    running = start_worker(kafka, prism, Path(tmp_path_factory.mktemp("replies")),
                           clock_start=CLOCK_START.isoformat(), app_id=APP_ID,
                           extra_env={"HUB_STORE": "rocksdb://", "HUB_LOG_FORMAT": "json"})
    yield running
    running.stop()


def key(person: Person) -> str:
    return f"GENHOSP|{person.mrn}"


async def discharge(worker: Worker, *people: Person) -> None:
    at = datetime(2026, 11, 23, 9, 30, tzinfo=NY)
    client = await MllpClient.connect("127.0.0.1", worker.mllp_port)
    try:
        for number, person in enumerate(people):
            ack = ack_summary(await client.send(adt(
                "A03", person, control_id=f"REPL{person.mrn}{number}", at=at, disposition="01",
                discharged_to="HOME", admit_at=datetime(2026, 11, 20, 8, 0, tzinfo=NY),
                discharge_at=at)))
            assert ack.startswith("AA"), ack
    finally:
        await client.close()


async def wait_for(kafka: servers.Kafka, worker: Worker, done: Any) -> Records:
    reader = TopicReader(kafka.bootstrap, TOPICS)
    await reader.start()
    try:
        assert await reader.wait_until(done, timeout=90), worker.log_tail()
    finally:
        await reader.stop()
    return reader.records


def welcomed(*people: Person) -> Any:
    """Each welcome text was decided: sent, or deferred (one text a day per number, MSG-1)."""
    def done(records: Records) -> bool:
        decided = {e["patient_key"] for e in records["outreach.events"]
                   if e["kind"] == "send_result" and e["status"] in ("sent", "deferred")}
        return {key(p) for p in people} <= decided
    return done


def alerts(records: Records, person: Person, kind: str) -> list[dict[str, Any]]:
    return [a for a in records["care.alerts"] if a["patient_key"] == key(person)
            and a["kind"] == kind]


async def test_a_revocation_in_plain_words_delivered_twice_is_confirmed_once(
        kafka: servers.Kafka, worker: Worker) -> None:
    """MSG-2: "Please stop. I am good." opts the number out; the webhook Twilio delivers
    twice sends one confirmation through the ledger (Prism took it once), and the care team
    reads the words."""
    await discharge(worker, CARL)
    await wait_for(kafka, worker, welcomed(CARL))
    sid = "SM" + "a1" * 16
    await signed_reply(worker, "+16175550191", "Please stop. I am good.", sid)
    await signed_reply(worker, "+16175550191", "Please stop. I am good.", sid)
    # a later message on the same number (same partition): once it is through, so are both
    await signed_reply(worker, "+16175550191", "ok", "SM" + "a2" * 16)
    command_id = f"answer:opt_out_confirmation:{sid}"

    def done(records: Records) -> bool:
        return any(e["kind"] == "reply" and e["provider_sid"] == "SM" + "a2" * 16
                   for e in records["outreach.events"]) and bool(
            alerts(records, CARL, "patient_opted_out"))

    records = await wait_for(kafka, worker, done)
    results = [e["status"] for e in records["outreach.events"] if e["command_id"] == command_id]
    assert results == ["sent"], results  # Prism took one confirmation, not two
    replies = [e for e in records["outreach.events"] if e["provider_sid"] == sid]
    assert [e["intent"] for e in replies] == ["opt_out", "opt_out"]  # both deliveries seen
    [alert] = alerts(records, CARL, "patient_opted_out")  # ... and applied once
    assert alert["detail"]["reply_text"] == "Please stop. I am good."


async def test_two_urgent_replies_from_one_patient_each_reach_the_care_team(
        kafka: servers.Kafka, worker: Worker) -> None:
    """§5: "1" raises the urgent alert; "I fell and my chest hurts" updates it (revision 2)
    with its own words and time instead of vanishing."""
    await discharge(worker, DORA)
    await wait_for(kafka, worker, welcomed(DORA))
    await signed_reply(worker, "+16175550192", "1", "SM" + "b1" * 16)
    await signed_reply(worker, "+16175550192", "I fell and my chest hurts", "SM" + "b2" * 16)
    records = await wait_for(kafka, worker, lambda r: len(alerts(r, DORA, "urgent_reply")) >= 2)
    first, second = alerts(records, DORA, "urgent_reply")
    assert (first["revision"], second["revision"]) == (1, 2)
    assert first["alert_id"] == second["alert_id"] and second["severity"] == "urgent"
    assert [r["text"] for r in second["detail"]["replies"]] == ["1", "I fell and my chest hurts"]


async def test_a_reply_on_a_number_two_patients_share_reaches_both_flagged(
        kafka: servers.Kafka, worker: Worker) -> None:
    """§5 (one number, several patients): "2" from a household's number is not filed as
    either patient's answer: both care teams get it to attribute, marked shared."""
    await discharge(worker, EVA, FRED)
    await wait_for(kafka, worker, welcomed(EVA, FRED))
    await signed_reply(worker, "+16175550193", "2", "SM" + "c1" * 16)
    records = await wait_for(kafka, worker, lambda r: all(
        alerts(r, p, "unclassified_reply") for p in (EVA, FRED)))
    for person in (EVA, FRED):
        [alert] = alerts(records, person, "unclassified_reply")
        assert alert["detail"]["shared_phone"] is True and alert["detail"]["reply_text"] == "2"


async def test_a_training_discharge_is_acked_and_contacts_nobody(
        kafka: servers.Kafka, worker: Worker) -> None:
    """MSH-11: a T A03 over MLLP is AA'd and opens a test episode (TEST|key, flagged), and no
    text is ever planned for it, while the production discharge sent after it is texted."""
    trainee = Person("661005", "GRAY", "GIL", "19560505", "M", "(617) 555-0195")
    real = Person("661006", "HALL", "HANA", "19570606", "F", "(617) 555-0196")
    at = datetime(2026, 11, 23, 9, 30, tzinfo=NY)
    client = await MllpClient.connect("127.0.0.1", worker.mllp_port)
    try:
        for person, processing_id in ((trainee, "T"), (real, "P")):
            ack = ack_summary(await client.send(adt(
                "A03", person, control_id=f"MSH11{person.mrn}", at=at, disposition="01",
                discharged_to="HOME", discharge_at=at, processing_id=processing_id)))
            assert ack.startswith("AA"), ack
    finally:
        await client.close()
    test_key = f"TEST|{key(trainee)}"
    reader = TopicReader(kafka.bootstrap, [*TOPICS, "outreach.commands"])
    await reader.start()
    try:
        assert await reader.wait_until(lambda r: any(
            a["patient_key"] == test_key and a["kind"] == "episode_opened"
            for a in r["care.alerts"]) and welcomed(real)(r), timeout=90), worker.log_tail()
    finally:
        await reader.stop()
    [opened] = [a for a in reader.records["care.alerts"]
                if a["patient_key"] == test_key and a["kind"] == "episode_opened"]
    assert "not_production" in opened["detail"]["flags"]
    assert not [c for c in reader.records["outreach.commands"]
                if c["patient_key"] in (test_key, key(trainee))]


async def test_a_landline_callback_turns_the_text_into_a_call(kafka: servers.Kafka,
                                                              worker: Worker) -> None:
    """MSG-6: Twilio reports the welcome text undelivered with 30006 (a landline) in a signed
    status callback: the episode places the call instead, through Twilio's contract."""
    import aiohttp
    from yarl import URL

    from hub.adapters.twilio_webhooks import SignatureChecker
    from tests.integration.worker import AUTH_TOKEN

    landline = Person("661007", "PARK", "IDA", "19580707", "F", "(617) 555-0197")
    await discharge(worker, landline)
    records = await wait_for(kafka, worker, welcomed(landline))
    [sent] = [e for e in records["outreach.events"] if e["patient_key"] == key(landline)
              and e["kind"] == "send_result" and e["status"] == "sent"]
    url = (f"http://127.0.0.1:{worker.web_port}/twilio/status?command_id="
           + sent["command_id"].replace(":", "%3A"))
    form = {"MessageSid": sent["provider_sid"], "MessageStatus": "undelivered",
            "ErrorCode": "30006", "To": "+16175550197", "From": "+16175550100"}
    async with aiohttp.ClientSession() as session:  # sent as written, as Twilio sends it
        answer = await session.post(URL(url, encoded=True), data=form, headers={
            "X-Twilio-Signature": SignatureChecker(AUTH_TOKEN, None).sign(url, form)})
        assert answer.status == 204
    call_id = sent["command_id"] + ":voice"
    records = await wait_for(kafka, worker, lambda r: any(
        e["command_id"] == call_id and e["kind"] == "send_result" for e in r["outreach.events"]))
    [placed] = [e for e in records["outreach.events"] if e["command_id"] == call_id
                and e["kind"] == "send_result"]
    assert (placed["channel"], placed["status"]) == ("voice", "sent"), placed
    assert placed["provider_sid"].startswith("CA")


async def test_keys_pressed_on_a_call_reach_the_care_team_and_stop_calls(
        kafka: servers.Kafka, worker: Worker) -> None:
    """§5 / MSG-2: a signed <Gather> result: key 1 is an urgent reply on the call's episode,
    key 9 opts the number out and the call says so, both answered with TwiML."""
    import aiohttp
    from yarl import URL

    from hub.adapters.twilio_webhooks import SignatureChecker
    from tests.integration.worker import AUTH_TOKEN

    caller = Person("661008", "ROSS", "JUNE", "19590808", "F", "(617) 555-0198")
    await discharge(worker, caller)
    records = await wait_for(kafka, worker, welcomed(caller))
    [sent] = [e for e in records["outreach.events"] if e["patient_key"] == key(caller)
              and e["kind"] == "send_result"]
    call_id = sent["episode_id"] + ":bd1_call"
    base = (f"http://127.0.0.1:{worker.web_port}/twilio/gather?command_id="
            f"{call_id.replace(':', '%3A')}&lang=en")
    answers = []
    async with aiohttp.ClientSession() as session:
        for digits in ("1", "9"):
            form = {"CallSid": "CA" + digits * 32, "Digits": digits, "To": "+16175550198",
                    "From": "+16175550100"}
            signature = SignatureChecker(AUTH_TOKEN, None).sign(base, form)
            response = await session.post(URL(base, encoded=True), data=form,
                                          headers={"X-Twilio-Signature": signature})
            assert response.status == 200
            answers.append(await response.text())
    assert "Thank you" in answers[0] and "You will not get more calls" in answers[1]
    records = await wait_for(kafka, worker, lambda r: alerts(r, caller, "urgent_reply")
                             and alerts(r, caller, "patient_opted_out"))
    [urgent] = alerts(records, caller, "urgent_reply")
    assert (urgent["detail"]["channel"], urgent["detail"]["reply_text"]) == ("voice", "1")


async def test_a_stage_dead_letter_is_exported_and_replayed_to_where_it_came_from(
        kafka: servers.Kafka, worker: Worker, tmp_path: Path) -> None:
    """Nothing is lost (issue 9, item 4): a reply from a number the hub never texted is dead-
    lettered with its topic and key; exported and replayed, the outreach stage takes it again
    (and, still unknown, dead-letters it again: the same record twice)."""
    from hub.cli.replay import export_dead_letters, replay_dead_letters

    stranger = "+16175550111"
    await signed_reply(worker, stranger, "who is this?", "SM" + "d1" * 16)

    def letters(records: Records) -> list[dict[str, Any]]:
        return [d for d in records["adt.deadletter"] if d.get("source_key") == stranger]

    reader = TopicReader(kafka.bootstrap, ["adt.deadletter"])
    await reader.start()
    try:
        assert await reader.wait_until(lambda r: len(letters(r)) >= 1, timeout=60)
        [first] = letters(reader.records)
        assert (first["code"], first["source_topic"]) == ("unknown_sender", "outreach.inbound")
        out = tmp_path / "export"
        await export_dead_letters(kafka.bootstrap, out, out=io.StringIO())
        [exported] = [p for p in out.glob("deadletter-*.json")
                      if json.loads(p.read_text()).get("source_key") == stranger]
        await replay_dead_letters([exported], kafka.bootstrap, idempotent=True,
                                  out=io.StringIO())
        assert await reader.wait_until(lambda r: len(letters(r)) >= 2, timeout=60)
    finally:
        await reader.stop()
    again = letters(reader.records)[1]
    assert again["record"] == first["record"] and again["record"]["body"] == "who is this?"


def test_the_worker_s_json_log_holds_no_patient_s_words(worker: Worker) -> None:
    """HUB_LOG_FORMAT=json, after this module's patients were discharged, texted, replied,
    called and dead-lettered (the tests above, on this worker): every line of the worker's log
    (Faust's and aiokafka's too) is one JSON object, and none holds a name, an MRN, a phone or
    a patient's words."""
    lines = worker.log.read_text(errors="replace").splitlines()
    written = [json.loads(line) for line in lines]  # raises on a line that is not JSON
    events = {line["event"] for line in written}
    assert {"mllp.listening", "normalize.event", "outreach.sent", "alerts.alert",
            "inbound.unknown_sender"} <= events, "the patients' traffic is not in this log"
    assert any(line.get("logger") == "faust.worker" for line in written)
    text = "\n".join(lines)
    people = (CARL, DORA, EVA, FRED)
    for phi in ([p.family for p in people] + [p.given for p in people]
                + ["555019", "555-019", "chest hurts", "who is this", "I am good"]):
        assert phi not in text, phi
    for mrn in (p.mrn for p in people):  # alone: the test's control ids are built from it
        assert not re.search(rf"(?<!\d){mrn}(?!\d)", text), mrn
