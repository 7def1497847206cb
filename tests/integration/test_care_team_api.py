"""The care-team API on two real workers sharing the ``episodes`` table (two partitions, one
each) on the real broker: any worker answers, forwarding a patient's request, body included, to
the worker that owns the key, and gathering lists from both."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from hub.adapters.mllp_client import MllpClient
from hub.cli.feed import Person, adt
from hub.hl7.ack import ack_summary
from tests.integration import servers
from tests.integration.worker import API_TOKEN, Worker, start_worker

NY = ZoneInfo("America/New_York")
CLOCK_START = datetime(2026, 11, 23, 10, 0, tzinfo=NY)  # a Monday
DISCHARGED = datetime(2026, 11, 23, 9, 30, tzinfo=NY)
APP_ID = "tcm-hub-care-team-api"
CHANGELOG = f"{APP_ID}-episodes-changelog"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
T = TypeVar("T")


@pytest.fixture(scope="module")
def workers(kafka: servers.Kafka, prism: servers.Prism,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Worker, Worker]]:
    started: list[Worker] = []
    try:
        for name in ("a", "b"):
            started.append(start_worker(
                kafka, prism, Path(tmp_path_factory.mktemp(name)),
                clock_start=CLOCK_START.isoformat(), app_id=APP_ID, partitions=2,
                extra_env={"HUB_REBALANCE_TIMEOUT": "3"}))
        yield started[0], started[1]
    finally:
        for worker in started:
            worker.stop()


def base(worker: Worker) -> str:
    return f"http://127.0.0.1:{worker.web_port}"


async def until(probe: Callable[[], Awaitable[T | None]], what: str, timeout: float = 90) -> T:
    """Poll a real condition over HTTP until it holds, with a deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (result := await probe()) is None:
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.25)  # the pace of polling, not a synchronization
    return result


async def get_json(session: aiohttp.ClientSession, url: str, **kw: Any) -> tuple[int, Any]:
    async with session.get(url, **kw) as response:
        return response.status, await response.json(content_type=None)


async def one_partition_each(session: aiohttp.ClientSession, a: Worker, b: Worker) -> None:
    """Both workers agree that each of them holds one partition of the table."""
    async def settled() -> bool | None:
        for worker in (a, b):
            try:
                status, hosts = await get_json(session, f"{base(worker)}/router/episodes/")
            except aiohttp.ClientError:
                return None
            held = sorted(len(topics.get(CHANGELOG, [])) for topics in hosts.values()) \
                if status == 200 else []
            if held != [1, 1]:
                return None
        return True
    await until(settled, "two workers with one partition each")


async def owner(session: aiohttp.ClientSession, worker: Worker, key: str) -> int:
    url = f"{base(worker)}/router/episodes/{quote(key, safe='')}/"
    _, where = await get_json(session, url)
    return int(str(where).rsplit(":", 1)[1])


async def one_key_per_worker(session: aiohttp.ClientSession, worker: Worker,
                             mrn: Callable[[int], str]) -> dict[int, str]:
    """The first MRNs whose patient key lands on each worker, by the worker's web port."""
    found: dict[int, str] = {}
    for n in range(64):
        found.setdefault(await owner(session, worker, f"GENHOSP|{mrn(n)}"), mrn(n))
        if len(found) == 2:
            return found
    raise AssertionError("64 keys and all on one worker")


async def discharge(worker: Worker, person: Person, control_id: str) -> None:
    client = await MllpClient.connect("127.0.0.1", worker.mllp_port)
    try:
        ack = ack_summary(await client.send(adt(
            "A03", person, control_id=control_id, at=DISCHARGED, disposition="01",
            discharged_to="HOME", discharge_at=DISCHARGED)))
    finally:
        await client.close()
    assert ack.startswith("AA"), ack


async def ed_visit(worker: Worker, person: Person, control_id: str) -> None:
    client = await MllpClient.connect("127.0.0.1", worker.mllp_port)
    try:
        ack = ack_summary(await client.send(adt("A04", person, control_id=control_id,
                                                at=DISCHARGED, patient_class="E")))
    finally:
        await client.close()
    assert ack.startswith("AA"), ack


async def test_any_worker_answers_for_every_patient(workers: tuple[Worker, Worker]) -> None:
    """Lists gather both workers' partitions; a POST sent to the worker that does not own the
    patient arrives with its body at the owner, which answers 202/409/422 (TCM-3, with its
    clock: dated tomorrow is refused); 401/403/404 and the {error, code} shape."""
    a, b = workers
    async with aiohttp.ClientSession() as session:
        await one_partition_each(session, a, b)
        mrns = await one_key_per_worker(session, a, lambda n: f"6620{n:02d}")
        mine, theirs = (Person(mrns[w.web_port], "API", "PAT", "19500101", "F",
                               "(617) 555-0142") for w in (a, b))
        for n, person in enumerate((mine, theirs)):
            await discharge(a, person, f"API000{n}")
        keys = {f"GENHOSP|{mine.mrn}", f"GENHOSP|{theirs.mrn}"}

        async def listed(worker: Worker, query: str = "") -> set[str] | None:
            status, body = await get_json(
                session, f"{base(worker)}/episodes?facility=GENHOSP&limit=1000{query}",
                headers=AUTH)
            found = [row["patient_key"] for row in body.get("episodes", [])
                     if row["patient_key"] in keys]
            assert len(found) == len(set(found)), "a standby copy was counted twice"
            return set(found) if status == 200 and set(found) == keys else None

        assert await until(lambda: listed(a), "both episodes listed by a") == keys
        assert await listed(b) == keys
        assert await listed(a, "&due_before=2026-11-25") == keys  # contact due Wed (TCM-3)
        status, early = await get_json(
            session, f"{base(a)}/episodes?due_before=2026-11-24&limit=1000", headers=AUTH)
        assert status == 200 and not {r["patient_key"] for r in early["episodes"]} & keys

        for n, person in enumerate((mine, theirs)):  # §4: back in the ED, both of them
            await ed_visit(a, person, f"API010{n}")

        async def alerted(worker: Worker) -> set[str] | None:
            status, body = await get_json(
                session, f"{base(worker)}/alerts?facility=GENHOSP&limit=1000", headers=AUTH)
            found = {r["patient_key"] for r in body.get("alerts", []) if r["kind"] == "ed_return"}
            return found & keys if status == 200 and keys <= found else None

        assert await until(lambda: alerted(b), "both alerts listed by b") == keys
        status, notices = await get_json(session, f"{base(a)}/alerts?severity=info&limit=1000",
                                         headers=AUTH)
        assert status == 200 and "ed_return" not in {r["kind"] for r in notices["alerts"]}

        # the patient owned by b, asked of a: forwarded with its body
        patient = f"{base(a)}/episodes/{quote(f'GENHOSP|{theirs.mrn}', safe='')}"
        contact = {"kind": "contact", "by": "rn.api", "channel": "phone",
                   "at": "2026-11-23T09:45:00-05:00"}

        async def post(body: dict[str, Any], **kw: Any) -> tuple[int, dict[str, Any]]:
            async with session.post(f"{patient}/actions", json=body, **kw) as response:
                return response.status, await response.json(content_type=None)

        assert await post(contact) == (401, {"error": "missing bearer token",
                                             "code": "missing_token"})
        status, body = await post(contact, headers={"Authorization": "Bearer nope"})
        assert (status, body["code"]) == (403, "invalid_token")
        status, body = await post({**contact, "channel": "chatbot"}, headers=AUTH)
        assert (status, body["code"]) == (422, "bad_channel") and body["error"]
        status, body = await post({**contact, "at": "2026-11-24T11:00:00-05:00"}, headers=AUTH)
        assert (status, body["code"]) == (422, "in_the_future"), body
        status, body = await post(contact, headers=AUTH)
        assert status == 202 and body["accepted"], body

        async def recorded() -> dict[str, Any] | None:
            status, body = await get_json(session, patient, headers=AUTH)
            [episode] = body["episodes"] if status == 200 else [{}]
            return episode if episode.get("contact") else None

        episode = await until(recorded, "the contact in the episode read through a")
        assert episode["contact"]["by"] == "rn.api"
        assert episode["timeline"][-1]["what"] == "recorded_contact"
        assert "face-to-face visit" in episode["billing"]["missing"]
        status, body = await post(contact, headers=AUTH)
        assert (status, body["code"]) == (409, "already_recorded"), body

        # an unknown patient on each worker: 404 from its owner, for reads and actions
        for mrn in (await one_key_per_worker(session, a, lambda n: f"99{n:04d}")).values():
            url = f"{base(a)}/episodes/{quote(f'GENHOSP|{mrn}', safe='')}"
            missing = (404, {"error": f"no patient 'GENHOSP|{mrn}'", "code": "no_patient"})
            assert await get_json(session, url, headers=AUTH) == missing
            async with session.post(f"{url}/actions", json=contact, headers=AUTH) as response:
                assert (response.status, await response.json()) == missing

        status, body = await get_json(session, f"{base(b)}/episodes?limit=0", headers=AUTH)
        assert (status, body["code"]) == (422, "bad_query")
        status, document = await get_json(session, f"{base(b)}/openapi.json")
        assert status == 200 and document["openapi"] == "3.1.0"
        assert {"/episodes", "/alerts", "/episodes/{key}/actions"} <= set(document["paths"])
        for debug_page in ("/table/episodes/", "/graph/", "/stats/"):  # PHI, no token: off
            async with session.get(f"{base(a)}{debug_page}") as response:
                assert response.status == 404, debug_page


pytestmark = pytest.mark.integration
