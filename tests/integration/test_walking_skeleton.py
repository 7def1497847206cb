"""One discharge end to end on the real parts: MLLP socket -> Apache Kafka -> Faust stages ->
Twilio's contract (Prism) -> care.alerts, with the episode in the changelog-backed table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hub.adapters.mllp_client import MllpClient
from hub.adapters.topic_reader import TopicReader
from hub.cli.feed import Person, adt
from hub.hl7.ack import ack_summary
from hub.hl7.header import read_header
from tests.integration import servers
from tests.integration.worker import API_TOKEN, HL7_TOKEN, Worker, module_worker

NY = ZoneInfo("America/New_York")
# A Monday morning: inside quiet hours' allowed window, so the welcome text goes at once (MSG-3).
CLOCK_START = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
PATIENT = Person("558812", "RIVERA", "ANA", "19600214", "F", "(617) 555-0188")
APP_ID = "tcm-hub-skeleton"


worker = module_worker(APP_ID, CLOCK_START)


async def test_discharge_over_mllp_opens_an_episode_and_texts_the_patient(
        kafka: servers.Kafka, worker: Worker) -> None:
    """TCM-1/TCM-3/ADT-9: an A03 is ACKed AA after Kafka has it, opens an episode with its
    deadlines, and its welcome SMS is a valid Twilio request (Prism) with an episode_opened
    alert."""
    discharged = datetime(2026, 11, 23, 9, 30, tzinfo=NY)
    message = adt("A03", PATIENT, control_id="SKEL0001", at=discharged, disposition="01",
                  discharged_to="HOME", admit_at=datetime(2026, 11, 20, 8, 0, tzinfo=NY),
                  discharge_at=discharged)
    client = await MllpClient.connect("127.0.0.1", worker.mllp_port)
    try:
        ack = ack_summary(await client.send(message))
    finally:
        await client.close()
    assert ack.startswith("AA SKEL0001"), ack

    key = "GENHOSP|558812"
    changelog = f"{APP_ID}-episodes-changelog"
    reader = TopicReader(kafka.bootstrap, ["hl7.adt.raw", "adt.events", "care.alerts",
                                           "outreach.commands", "outreach.events", changelog])
    await reader.start()

    def finished(records: dict[str, list[dict]]) -> bool:
        return (any(a["patient_key"] == key and a["kind"] == "episode_opened"
                    for a in records["care.alerts"])
                and any(e["patient_key"] == key and e["kind"] == "send_result"
                        for e in records["outreach.events"])
                and bool(records[changelog]))

    try:
        assert await reader.wait_until(finished, timeout=90), worker.log_tail()
    finally:
        await reader.stop()
    records = reader.records

    # the broker is shared by the suite: look at this test's patient only
    assert [r["control_id"] for r in records["hl7.adt.raw"]].count("SKEL0001") == 1
    [event] = [e for e in records["adt.events"] if e["control_id"] == "SKEL0001"]
    assert event["event_type"] == "A03" and event["patient"]["key"] == key

    [alert] = [a for a in records["care.alerts"]
               if a["kind"] == "episode_opened" and a["patient_key"] == key]
    # TCM-3: Monday discharge -> contact due at the end of Wednesday, facility time.
    contact_due = datetime.fromisoformat(alert["detail"]["contact_due"]).astimezone(NY)
    assert contact_due.date().isoformat() == "2026-11-25"
    assert alert["detail"]["window_end"] == "2026-12-22"  # TCM-1: day 1 + 29

    [command] = [c for c in records["outreach.commands"]
                 if c["step"] == "welcome_sms" and c["patient_key"] == key]
    assert command["to"] == "+16175550188" and command["channel"] == "sms"
    assert "STOP" in command["body"] and len(command["body"]) <= 160  # MSG-1

    [result] = [e for e in records["outreach.events"]
                if e["kind"] == "send_result" and e["command_id"] == command["command_id"]]
    assert result["command_id"] == command["command_id"]
    assert result["status"] == "sent", result  # Prism accepted the Messages.json request
    assert result["provider_sid"].startswith("SM")

    table_state = json.dumps([v for v in records[changelog] if key in json.dumps(v)][-1])
    assert '"status": "open"' in table_state and command["episode_id"] in table_state


async def test_hub_trace_tells_what_happened_to_the_discharge(kafka: servers.Kafka,
                                                                worker: Worker) -> None:
    """Issue 13: ``hub trace SKEL0001`` reads the story from the topics: received and ACKed
    AA, the A03 event, the episode opened, the welcome text planned and sent with its Twilio
    SID; the phone only by its last digits; another patient's records not in it."""
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap}
    done = subprocess.run([sys.executable, "-m", "hub", "trace", "SKEL0001", "--json"],
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    whats = [line["what"] for line in lines]
    for expected in ("received, ACK AA", "event A03", "episode opened", "plan sms welcome_sms",
                     "send sent"):
        assert expected in whats, whats
    assert whats.index("received, ACK AA") < whats.index("event A03") < whats.index(
        "send sent")
    [sent] = [line for line in lines if line["what"] == "send sent"]
    assert sent["sid"].startswith("SM") and sent["command_id"].endswith(":welcome_sms")
    [planned] = [line for line in lines if line["what"] == "plan sms welcome_sms"]
    assert planned["to"] == "…0188" and "+16175550188" not in done.stdout
    assert all(line.get("control_id") in (None, "SKEL0001") for line in lines)
    missing = subprocess.run([sys.executable, "-m", "hub", "trace", "NOSUCHID"], env=env,
                             capture_output=True, text=True, timeout=180)
    assert missing.returncode == 2 and missing.stderr.startswith("hub: NOSUCHID: nothing")
    # --since: only what was written from then on (each partition sought to that time)
    recent = subprocess.run([sys.executable, "-m", "hub", "trace", "SKEL0001", "--since", "1",
                             "--json"], env=env, capture_output=True, text=True, timeout=180)
    assert recent.returncode == 0 and "send sent" in recent.stdout, recent.stderr
    later = subprocess.run([sys.executable, "-m", "hub", "trace", "SKEL0001", "--since",
                            "2999-01-01T00:00:00Z"], env=env, capture_output=True, text=True,
                           timeout=180)
    assert later.returncode == 2 and "SKEL0001: nothing" in later.stderr


async def test_hub_send_prints_each_ack(worker: Worker, tmp_path: Path) -> None:
    """ADT-9: `hub send` sends a file's messages in order and prints each ACK; a refusal exits 1."""
    import subprocess
    import sys

    good = adt("A08", PATIENT, control_id="SEND0001", at=CLOCK_START)
    bad = b"MSH|^~\\&|LAB|GENHOSP|HUB|HUB|20260101||ORU^R01|SEND0002|P|2.5\r"
    feed = tmp_path / "feed.hl7"
    feed.write_bytes(good + b"\n" + bad)
    done = subprocess.run([sys.executable, "-m", "hub", "send", str(feed), "--port",
                           str(worker.mllp_port)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "feed.hl7#1: AA SEND0001"
    assert lines[1].startswith("feed.hl7#2: AR SEND0002") and "unsupported_message_type" in lines[1]


async def test_unnormalizable_message_is_refused_ae_and_kept_with_its_bytes(
        kafka: servers.Kafka, worker: Worker) -> None:
    """ADT-9 bad input: an ADT without PID is answered AE with an ERR naming the reason (the
    listener runs normalize's check) and its exact bytes are kept in hl7.adt.rejected."""
    import base64

    import jsonschema

    raw = (b"MSH|^~\\&|EPIC|GENHOSP|HUB|HUB|20261123100000||ADT^A03^ADT_A03|DEAD0001|P|2.5\r"
           b"EVN|A03\r")
    client = await MllpClient.connect("127.0.0.1", worker.mllp_port)
    try:
        ack = ack_summary(await client.send(raw))
    finally:
        await client.close()
    assert ack.startswith("AE DEAD0001") and "missing_segment" in ack, ack
    records = await read_until(kafka, "hl7.adt.rejected", "DEAD0001")
    [kept] = [r for r in records if r["control_id"] == "DEAD0001"]
    assert (kept["error"]["code"], kept["error"]["location"]) == ("missing_segment", "PID")
    assert base64.b64decode(kept["raw_b64"]) == raw
    schema = json.loads((servers.REPO / "schemas" / "raw_message.schema.json").read_text())
    jsonschema.validate(kept, schema)


async def test_the_normalize_stage_dead_letters_what_got_past_the_listener(
        kafka: servers.Kafka, worker: Worker) -> None:
    """Bad input past the listener (a raw record written to hl7.adt.raw without its check) is
    dead-lettered by the normalize stage with its bytes and a reason; the stream goes on. The
    same record twice gives two dead letters: a failure is not remembered for dedupe (ADT-1)."""
    import base64

    import jsonschema

    raw = (b"MSH|^~\\&|EPIC|GENHOSP|HUB|HUB|20261123100000||ADT^A08^ADT_A01|DEAD0002|P|2.5\r"
           b"EVN|A08\r")
    await write_unchecked(kafka, raw)
    await write_unchecked(kafka, raw)
    letters = [d for d in await read_until(kafka, "adt.deadletter", "DEAD0002", count=2)
               if d["control_id"] == "DEAD0002"]
    assert len(letters) == 2
    letter = letters[0]
    assert (letter["stage"], letter["code"], letter["location"]) == ("normalize",
                                                                      "missing_segment", "PID")
    assert base64.b64decode(letter["raw_b64"]) == raw
    schema = json.loads((servers.REPO / "schemas" / "deadletter.schema.json").read_text())
    jsonschema.validate(letter, schema)


async def write_unchecked(kafka: servers.Kafka, raw: bytes) -> None:
    """Put a message on hl7.adt.raw as the listener would, but without the listener's check."""
    from hub.adapters.kafka_sink import KafkaSink
    from hub.services.triage import Received, Triage, raw_record

    sink = KafkaSink(kafka.bootstrap)
    await sink.start()
    try:
        header = read_header(raw)
        record = raw_record(Received(raw, "replay", None, CLOCK_START), Triage(header, None))
        await sink.write("hl7.adt.raw", header.sending_facility, record)
    finally:
        await sink.stop()


async def read_until(kafka: servers.Kafka, topic: str, control_id: str, *, count: int = 1,
                     timeout: float = 60) -> list[dict]:
    """The records of ``topic`` once ``count`` of them carry ``control_id``."""
    reader = TopicReader(kafka.bootstrap, [topic])
    await reader.start()
    try:
        assert await reader.wait_until(lambda r: sum(
            x.get("control_id") == control_id for x in r[topic]) >= count, timeout=timeout)
    finally:
        await reader.stop()
    return reader.records[topic]


async def signed_reply(worker: Worker, phone: str, body: str, sid: str, *,
                       expect: int = 200) -> None:
    """An inbound SMS as Twilio posts it, signed with the auth token; ``expect``: the status
    the hub must answer (503 when it could not keep the reply)."""
    import aiohttp

    from hub.adapters.twilio_webhooks import SignatureChecker
    from tests.integration.worker import AUTH_TOKEN

    url = f"http://127.0.0.1:{worker.web_port}/twilio/sms"
    form = {"From": phone, "To": "+16175550100", "Body": body, "MessageSid": sid}
    async with aiohttp.ClientSession() as session:
        signature = SignatureChecker(AUTH_TOKEN, None).sign(url, form)
        answer = await session.post(url, data=form, headers={"X-Twilio-Signature": signature})
        assert answer.status == expect, await answer.text()


async def test_signed_reply_escalates_and_forged_webhook_is_refused(
        kafka: servers.Kafka, worker: Worker) -> None:
    """MSG-6: a reply '1' signed with the auth token becomes an urgent_reply alert; an unsigned or
    forged request gets 403 and changes nothing."""
    import aiohttp

    from hub.adapters.twilio_webhooks import SignatureChecker
    from tests.integration.worker import AUTH_TOKEN

    url = f"http://127.0.0.1:{worker.web_port}/twilio/sms"
    form = {"From": "+16175550188", "To": "+16175550100", "Body": "1",
            "MessageSid": "SM" + "7" * 32}
    async with aiohttp.ClientSession() as session:
        forged = await session.post(url, data=form, headers={"X-Twilio-Signature": "Zm9yZ2Vk"})
        assert forged.status == 403 and "X-Twilio-Signature" in await forged.text()
        signature = SignatureChecker(AUTH_TOKEN, None).sign(url, form)
        good = await session.post(url, data=form, headers={"X-Twilio-Signature": signature})
        assert good.status == 200
    reader = TopicReader(kafka.bootstrap, ["care.alerts"])
    await reader.start()
    try:
        assert await reader.wait_until(lambda r: any(
            a["kind"] == "urgent_reply" and a["patient_key"] == "GENHOSP|558812"
            for a in r["care.alerts"]), timeout=60), worker.log_tail()
    finally:
        await reader.stop()
    # the broker is shared by the suite: this test's patient only
    [alert] = [a for a in reader.records["care.alerts"] if a["kind"] == "urgent_reply"
               and a["patient_key"] == "GENHOSP|558812"]
    assert alert["patient_key"] == "GENHOSP|558812" and alert["severity"] == "urgent"
    assert alert["detail"]["reply_text"] == "1"


async def test_care_team_records_contact_through_the_api(kafka: servers.Kafka,
                                                         worker: Worker) -> None:
    """TCM-3: a person records the interactive contact through the API (bearer token); the rules
    refuse a bad action with a reason; the recorded contact is in the episode read back."""
    from urllib.parse import quote

    import aiohttp


    base = f"http://127.0.0.1:{worker.web_port}/episodes/{quote('GENHOSP|558812', safe='')}"
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    contact = {"kind": "contact", "by": "rn.lee", "at": "2026-11-23T09:45:00-05:00",
               "channel": "phone", "note": "reviewed discharge instructions"}
    async with aiohttp.ClientSession() as session:
        anonymous = await session.get(base)
        assert anonymous.status == 401
        wrong = await session.get(base, headers={"Authorization": "Bearer nope"})
        assert wrong.status == 403
        refused = await session.post(f"{base}/actions", headers=auth,
                                     json={**contact, "channel": "chatbot"})
        assert refused.status == 422 and (await refused.json())["code"] == "bad_channel"
        accepted = await session.post(f"{base}/actions", headers=auth, json=contact)
        assert accepted.status == 202, await accepted.text()

        changelog = f"{APP_ID}-episodes-changelog"
        reader = TopicReader(kafka.bootstrap, [changelog])
        await reader.start()
        try:
            assert await reader.wait_until(lambda r: any(
                "rn.lee" in json.dumps(v) for v in r[changelog]), timeout=60), worker.log_tail()
        finally:
            await reader.stop()
        read = await session.get(base, headers=auth)
        assert read.status == 200
        body = await read.json()
    [episode] = [e for e in body["episodes"] if e["status"] == "open"]
    assert episode["contact"]["by"] == "rn.lee" and episode["contact"]["channel"] == "phone"
    assert "face-to-face visit" in episode["billing"]["missing"]


async def test_merge_moves_the_episode_to_the_surviving_patient(kafka: servers.Kafka,
                                                                 worker: Worker) -> None:
    """§2 A40: an episode opened under a prior MRN is found under the surviving one after the
    merge, which crosses partitions through Kafka; a reply to a text sent before the merge
    reaches the surviving patient's care team, and a late discharge under the prior MRN joins
    the surviving episode instead of opening a second one (TCM-8)."""
    from urllib.parse import quote

    import aiohttp


    prior = Person("990001", "PARK", "MIN", "19500101", "F", "(617) 555-0177")
    surviving = Person("990002", "PARK", "MIN", "19500101", "F", "(617) 555-0177")
    discharged = datetime(2026, 11, 23, 9, 45, tzinfo=NY)
    a03 = adt("A03", prior, control_id="MRG0001", at=discharged, disposition="01",
              discharged_to="HOME", discharge_at=discharged)
    a40 = adt("A40", surviving, control_id="MRG0002", at=CLOCK_START,
              structure="ADT_A39") + b"MRG|990001^^^GENHOSP^MR\r"
    client = await MllpClient.connect("127.0.0.1", worker.mllp_port)
    try:
        assert ack_summary(await client.send(a03)).startswith("AA")
        assert ack_summary(await client.send(a40)).startswith("AA")
    finally:
        await client.close()
    changelog = f"{APP_ID}-episodes-changelog"
    reader = TopicReader(kafka.bootstrap, [changelog])
    await reader.start()
    try:
        assert await reader.wait_until(lambda r: any(
            "merged_from" in json.dumps(v) for v in r[changelog]), timeout=60), worker.log_tail()
    finally:
        await reader.stop()
    url = f"http://127.0.0.1:{worker.web_port}/episodes/{quote('GENHOSP|990002', safe='')}"
    async with aiohttp.ClientSession() as session:
        response = await session.get(url, headers={"Authorization": f"Bearer {API_TOKEN}"})
        body = await response.json()
    [episode] = body["episodes"]
    assert episode["status"] == "open" and episode["discharge_date"] == "2026-11-23"
    assert episode["patient_key"] == "GENHOSP|990002"

    # A reply to the welcome text sent before the merge names the prior key: it follows the
    # merge, and the urgent alert is the surviving patient's.
    reader = TopicReader(kafka.bootstrap, ["outreach.events", "care.alerts"])
    await reader.start()
    try:
        assert await reader.wait_until(lambda r: any(
            e["patient_key"] == "GENHOSP|990001" and e["status"] == "sent"
            for e in r["outreach.events"]), timeout=60), worker.log_tail()
        await signed_reply(worker, "+16175550177", "I fell", "SM" + "5" * 32)
        assert await reader.wait_until(lambda r: any(
            a["kind"] == "urgent_reply" and a["patient_key"] == "GENHOSP|990002"
            for a in r["care.alerts"]), timeout=60), worker.log_tail()
        # A late discharge still filed under the prior MRN joins the survivor's open episode
        # (TCM-8): no second episode is opened under the key that was merged away.
        late = adt("A03", prior, control_id="MRG0003", at=CLOCK_START, disposition="03",
                   discharged_to="SNF", discharge_at=CLOCK_START)
        client = await MllpClient.connect("127.0.0.1", worker.mllp_port)
        try:
            assert ack_summary(await client.send(late)).startswith("AA")
        finally:
            await client.close()
        assert await reader.wait_until(lambda r: any(
            a["kind"] == "later_discharge_not_eligible" and a["patient_key"] == "GENHOSP|990002"
            for a in r["care.alerts"]), timeout=60), worker.log_tail()
    finally:
        await reader.stop()
    opened = [a["patient_key"] for a in reader.records["care.alerts"]
              if a["kind"] == "episode_opened" and a["patient_key"].startswith("GENHOSP|99000")]
    assert opened == ["GENHOSP|990001"]  # the first discharge's, before the merge


async def test_refused_messages_and_dead_letters_are_exported_fixed_and_replayed(
        kafka: servers.Kafka, worker: Worker, tmp_path: Path) -> None:
    """Nothing is lost: `hub deadletters export` writes the bytes and the reason of both a message
    the listener refused (hl7.adt.rejected) and a dead letter (adt.deadletter), saying which
    topic; once fixed, `hub replay` sends the refused one through the same ingest path and it
    normalizes (adt.events)."""
    import subprocess
    import sys

    raw = b"MSH|^~\\&|EPIC|GENHOSP|HUB|HUB|20261123100000||ADT^A08^ADT_A01|FIX0001|P|2.5\rEVN|A08\r"
    client = await MllpClient.connect("127.0.0.1", worker.mllp_port)
    try:
        assert ack_summary(await client.send(raw)).startswith("AE FIX0001")
    finally:
        await client.close()
    unchecked = raw.replace(b"|FIX0001|", b"|FIX0003|")
    await write_unchecked(kafka, unchecked)
    await read_until(kafka, "hl7.adt.rejected", "FIX0001")
    await read_until(kafka, "adt.deadletter", "FIX0003")

    env = {**worker.env}
    out = tmp_path / "dead"
    done = subprocess.run([sys.executable, "-m", "hub", "deadletters", "export", str(out)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    [exported] = list(out.glob("rejected-*-FIX0001.hl7"))
    assert exported.read_bytes() == raw
    why = json.loads(exported.with_suffix(".json").read_text())
    assert (why["topic"], why["code"], why["location"]) == ("hl7.adt.rejected",
                                                             "missing_segment", "PID")
    [letter] = list(out.glob("deadletter-*-FIX0003.hl7"))
    assert letter.read_bytes() == unchecked
    why = json.loads(letter.with_suffix(".json").read_text())
    assert (why["topic"], why["code"], why["stage"]) == ("adt.deadletter", "missing_segment",
                                                          "normalize")

    exported.write_bytes(raw.replace(b"|FIX0001|", b"|FIX0002|") + b"PID|1||558812^^^GENHOSP^MR\r")
    done = subprocess.run([sys.executable, "-m", "hub", "replay", str(exported)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "AA FIX0002" in done.stdout, done.stdout + done.stderr
    await read_until(kafka, "adt.events", "FIX0002")


async def test_http_post_uses_the_same_ingest_path(kafka: servers.Kafka, worker: Worker) -> None:
    """ADT-9 over HTTP: POST /hl7 answers with the ACK and a matching status (200 AA, 503 AR),
    behind its own bearer token: none 401, a wrong one or the care-team API's 403, and a
    refused message is never written."""
    import aiohttp

    url = f"http://127.0.0.1:{worker.web_port}/hl7"
    good = adt("A08", PATIENT, control_id="HTTP0001", at=CLOCK_START)
    forged = adt("A08", PATIENT, control_id="HTTP0666", at=CLOCK_START)
    oru = b"MSH|^~\\&|LAB|GENHOSP|HUB|HUB|20260101||ORU^R01|HTTP0002|P|2.5\r"
    door = {"Authorization": f"Bearer {HL7_TOKEN}"}
    async with aiohttp.ClientSession() as session:
        for headers, status, code in [({}, 401, "missing_token"),
                                      ({"Authorization": "Bearer wrong"}, 403, "invalid_token"),
                                      ({"Authorization": f"Bearer {API_TOKEN}"}, 403,
                                       "invalid_token")]:
            shut = await session.post(url, data=forged, headers=headers)
            assert (shut.status, (await shut.json())["code"]) == (status, code)
        ok = await session.post(url, data=good, headers=door)
        assert ok.status == 200 and b"MSA|AA|HTTP0001" in await ok.read()
        refused = await session.post(url, data=oru, headers=door)
        assert refused.status == 503 and b"MSA|AR|HTTP0002" in await refused.read()
        huge = await session.post(url, data=b"MSH|" + b"x" * (2 << 20), headers=door)
        assert huge.status == 413
    reader = TopicReader(kafka.bootstrap, ["hl7.adt.raw"])
    await reader.start()
    try:
        assert await reader.wait_until(lambda r: any(
            x["control_id"] == "HTTP0001" and x["transport"] == "http" for x in r["hl7.adt.raw"]),
            timeout=60)
        # the refused posts came first: had one been written, it would be there by now
        assert not [x for x in reader.records["hl7.adt.raw"] if x["control_id"] == "HTTP0666"]
    finally:
        await reader.stop()
