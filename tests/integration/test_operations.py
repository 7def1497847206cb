"""Issue 13 on the real broker: the probes and ``/metrics`` of a worker on the production store
(``rocksdb://``). After a small scenario (discharges, a duplicate, a message refused AE, a
patient without a usable phone, a forged webhook) the scrape, read with prometheus_client's own
parser, shows exactly what this worker did; the door of ``/metrics`` takes only its token."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hub.adapters.topic_reader import TopicReader
from hub.cli.feed import Person, adt
from tests.integration import servers
from tests.integration.worker import API_TOKEN, Worker, send, start_worker

NY = ZoneInfo("America/New_York")
CLOCK_START = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
AT = datetime(2026, 11, 23, 9, 30, tzinfo=NY)
FACILITY = "OPSHOSP"
METRICS_TOKEN = "prometheus-test-token"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def worker(kafka: servers.Kafka, prism: servers.Prism,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    running = start_worker(kafka, prism, Path(tmp_path_factory.mktemp("ops-worker")),
                           clock_start=CLOCK_START.isoformat(), app_id="tcm-hub-ops",
                           extra_env={"HUB_STORE": "rocksdb://",
                                      "HUB_METRICS_TOKEN": METRICS_TOKEN})
    yield running
    running.stop()


def discharge(mrn: str, control_id: str, phone: str) -> bytes:
    person = Person(mrn, "MOSS", "IDA", "19520303", "F", phone)
    return adt("A03", person, control_id=control_id, at=AT, facility=FACILITY,
               disposition="01", discharged_to="HOME", discharge_at=AT)


async def scrape(worker: Worker, token: str | None = METRICS_TOKEN) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as session, session.get(
            f"http://127.0.0.1:{worker.web_port}/metrics", headers=headers) as answer:
        return answer.status, await answer.text()


def samples(text: str) -> Samples:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def test_the_probes_answer_without_a_credential_and_readyz_once_ready(
        worker: Worker) -> None:
    """/healthz: the process serves. /readyz: 200 with every check true once the worker has
    its partitions and tables (bounded wait: start-up), and says which check holds."""
    async with aiohttp.ClientSession() as session:
        base = f"http://127.0.0.1:{worker.web_port}"
        async with session.get(f"{base}/healthz") as alive:
            assert alive.status == 200 and (await alive.json())["status"] == "ok"
        for _ in range(120):
            async with session.get(f"{base}/readyz") as ready:
                body = await ready.json()
                assert ready.status in (200, 503) and set(body["checks"]) == {
                    "broker_reachable", "listening", "partitions_assigned", "tables_recovered"}
                if ready.status == 200:
                    break
            await asyncio.sleep(0.5)  # polling the probe, as an orchestrator does
        assert ready.status == 200 and all(body["checks"].values()), body
    probe = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", "probe", "--url", base, stdout=asyncio.subprocess.PIPE)
    out, _ = await probe.communicate()
    assert probe.returncode == 0 and json.loads(out)["answer"]["status"] == "ready"


@pytest.mark.parametrize("token, status, code", [
    (None, 401, "missing_token"), ("wrong", 403, "invalid_token"),
    (API_TOKEN, 403, "invalid_token")])  # the care-team API's token opens only its own door
async def test_metrics_take_only_their_own_token(worker: Worker, token: str | None,
                                                 status: int, code: str) -> None:
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with session.get(f"http://127.0.0.1:{worker.web_port}/metrics",
                               headers=headers) as answer:
            assert (answer.status, (await answer.json())["code"]) == (status, code)


async def test_metrics_count_what_the_worker_did(kafka: servers.Kafka, worker: Worker) -> None:
    first = discharge("770001", "OPS0001", "(617) 555-0791")
    acks = [await send(worker.mllp_port, first),
            await send(worker.mllp_port, discharge("770002", "OPS0002", "(617) 555-0792")),
            await send(worker.mllp_port, first),  # the sender resends
            await send(worker.mllp_port, discharge("770003", "OPS0003", phone="")),
            await send(worker.mllp_port, (
                f"MSH|^~\\&|EPIC|{FACILITY}|HUB|HUB|20261123100000||ADT^A03^ADT_A03|OPS0004|P|"
                "2.5\rEVN|A03\r").encode())]
    assert [a.split()[0] for a in acks] == ["AA", "AA", "AA", "AA", "AE"], acks
    async with aiohttp.ClientSession() as session:
        forged = await session.post(f"http://127.0.0.1:{worker.web_port}/twilio/sms",
                                    data={"From": "+16175550791", "Body": "STOP"},
                                    headers={"X-Twilio-Signature": "Zm9yZ2Vk"})
        assert forged.status == 403
    keys = {f"{FACILITY}|770001", f"{FACILITY}|770002"}
    reader = TopicReader(kafka.bootstrap, ["outreach.events", "care.alerts"])
    await reader.start()
    try:
        assert await reader.wait_until(lambda r: {
            e["patient_key"] for e in r["outreach.events"]
            if e["patient_key"] in keys and e.get("status") == "sent"} == keys
            and any(a["patient_key"] == f"{FACILITY}|770003" and a["kind"] == "no_reachable_phone"
                    for a in r["care.alerts"]), timeout=90), worker.log_tail()
    finally:
        await reader.stop()

    status, text = await scrape(worker)
    assert status == 200
    # the alerts stage counts when it has read care.alerts, and the lag is read every 2 s with
    # the offsets watch: poll the scrape for those (bounded), as Prometheus would see them
    for _ in range(60):
        found = samples(text)
        lagging = {dict(labels)["topic"] for (name, labels) in found
                   if name == "tcm_consumer_lag"}
        if lagging and value(found, "tcm_alerts_total", change="raised",
                             kind="no_reachable_phone") >= 1:
            break
        await asyncio.sleep(0.5)
        text = (await scrape(worker))[1]
    assert value(found, "tcm_hl7_acks_total", code="AA", facility=FACILITY,
                 transport="mllp") == 4
    assert value(found, "tcm_hl7_acks_total", code="AE", facility=FACILITY,
                 transport="mllp") == 1
    assert value(found, "tcm_hl7_ack_seconds_count", transport="mllp") == 5
    # this worker's stages read the suite's shared topics too: exact where the facility is
    # this test's own, at least where the metric has no facility
    assert value(found, "tcm_normalize_outcomes_total", outcome="event", facility=FACILITY) == 3
    assert value(found, "tcm_normalize_outcomes_total", outcome="duplicate",
                 facility=FACILITY) == 1
    assert value(found, "tcm_episode_changes_total", change="opened", facility=FACILITY) == 3
    assert value(found, "tcm_alerts_total", change="raised", kind="no_reachable_phone") >= 1
    assert value(found, "tcm_outreach_results_total", channel="sms", status="sent",
                 error_code="") >= 2
    assert value(found, "tcm_outreach_request_delay_seconds_count") >= 2
    assert value(found, "tcm_discharge_to_first_request_seconds_count") >= 2
    assert value(found, "tcm_webhook_signature_failures_total", path="/twilio/sms") == 1
    assert ("tcm_mllp_connections", frozenset()) in found  # exported, and
    assert value(found, "tcm_mllp_connections") == 0  # each send closed its connection
    assert {"hl7.adt.raw", "outreach.commands", "care.alerts"} <= lagging, sorted(lagging)


async def test_every_library_line_in_the_worker_log_is_the_hub_s_format(worker: Worker) -> None:
    """Issue 13: Faust's, mode's and aiokafka's lines are written by the hub's pipeline (its
    masking, its renderer), not by their own formatter; ids and hosts stay readable."""
    import re

    for _ in range(60):  # Faust says Ready just after the listener opens: wait for the line
        text = worker.log.read_text(errors="replace")
        if "[^Worker]: Ready" in text:
            break
        await asyncio.sleep(0.5)
    own_format = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+\] \[\d+\] \[", re.M)
    assert not own_format.search(text), own_format.search(text)
    assert re.search(r"^\S+Z \[info\s*\] \[\^Worker\]: Ready\s+\[faust\.worker\]$", text, re.M)
    assert re.search(r"mllp\.listening\s+host=127\.0\.0\.1 ", text)  # start-up lines only
