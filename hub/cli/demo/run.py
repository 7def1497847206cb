"""``hub demo``: the whole hub on the embedded default, no Docker, no Twilio account.

It starts the embedded broker and one ``hub worker`` process (with the recording Twilio stand-in),
sends a scripted discharge feed over MLLP, waits on the broker for what the hub wrote, prints a
readable summary, and stops everything it started by PID.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hub.adapters.embedded_broker import (
    EmbeddedBroker,
    NotStarted,
    free_port,
    stop_process,
    wait_for_port,
)
from hub.adapters.mllp_client import MllpClient
from hub.adapters.topic_reader import TopicReader
from hub.adapters.twilio_webhooks import SignatureChecker
from hub.cli.demo import inbox as care_team
from hub.cli.demo.script import LINDA, Scenario, build_scenario, key
from hub.cli.demo.summary import render_summary
from hub.cli.feed import adt
from hub.hl7.ack import ack_summary
from hub.topic_names import (
    ALERT_ACTIONS,
    ALERT_RESULTS,
    ALERTS,
    DEADLETTER,
    OUTREACH_COMMANDS,
    OUTREACH_EVENTS,
    REJECTED,
)

ZONE = "America/New_York"
AUTH_TOKEN = "demo-auth-token"  # the stand-in's: the demo signs its replies as Twilio would
API_TOKEN = "demo-api-token"
TRACED = "DEMO0003"  # Linda's discharge: her episode, readmission, page, acknowledgement
OUTPUT_TOPICS = [ALERTS, OUTREACH_COMMANDS, OUTREACH_EVENTS, DEADLETTER, REJECTED, ALERT_RESULTS,
                 ALERT_ACTIONS]


def run_demo(*, keep: bool = False, serve: bool = False, out: Any = None) -> int:
    out = out or sys.stdout
    workdir = Path(tempfile.mkdtemp(prefix="tcm-hub-demo-"))
    broker = worker = None
    session_secret = secrets.token_hex(32)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)  # the finally below stops what started
    try:
        print("Starting the embedded broker (Tansu, memory storage) ...", file=out, flush=True)
        broker = EmbeddedBroker.start(workdir / "broker.log")
        mllp_port, web_port, inbox_port = free_port(), free_port(), free_port()
        print("Starting a hub worker (Twilio stand-in: nothing is really sent) ...", file=out,
              flush=True)
        worker = start_worker(
            broker.bootstrap, mllp_port, web_port, workdir, HUB_API_TOKEN=API_TOKEN,
            HUB_ALERT_ROUTING=str(care_team.routing_file(workdir, inbox_port, web_port)),
            HUB_DEMO_WEBHOOK_SECRET=care_team.SECRET, HUB_SESSION_SECRET=session_secret,
            HUB_ONE_TIME_SIGN_IN="true" if serve else "false")
        try:
            worker_listening(mllp_port, worker, workdir)
        except NotStarted:
            keep = True  # a failed start leaves its log for a person
            raise
        now = datetime.now(UTC)
        scenario = build_scenario(now, ZoneInfo(ZONE))
        ok, acks, replies, records, inbox = asyncio.run(_drive(
            scenario, broker.bootstrap, mllp_port, web_port, inbox_port))
        print(render_summary(scenario, acks, records, zone=ZoneInfo(ZONE), complete=ok,
                             replies=replies, inbox=inbox), file=out)
        if ok:
            _trace(broker.bootstrap, TRACED, out)
        if not ok:
            print("The hub did not finish the script in time; worker log: "
                  f"{workdir / 'worker.log'}", file=out)
            keep = True
        elif serve:
            _serve(broker.bootstrap, web_port, session_secret, out)
        return 0 if ok else 1
    except KeyboardInterrupt:
        print("Stopped.", file=out)
        return 0
    finally:
        if worker is not None:
            stop_process(worker)
        if broker is not None:
            broker.stop()
        if keep:
            print(f"Demo files kept in {workdir}", file=out)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _trace(bootstrap: str, control_id: str, out: Any) -> None:
    """One message's story, as ``hub trace`` tells it from the topics."""
    from hub.cli.trace import read_topics, story

    print(f"What happened to Linda's discharge, as `hub trace {control_id}` tells it from the "
          "topics:", file=out)
    for line in story(asyncio.run(read_topics(bootstrap)), control_id):
        print(f"  {line.text()}", file=out)
    print("", file=out)


def _stop_on_sigterm(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def _serve(bootstrap: str, web_port: int, session_secret: str, out: Any) -> None:
    """The demo's patients in a browser: a coordinator account with a password nobody needs
    (random, never shown), a one-time sign-in link on its own line, then wait for Ctrl-C."""
    from hub.adapters.user_directory import UserDirectory
    from hub.web.accounts import new_user
    from hub.web.sessions import SessionKeys

    now = datetime.now(UTC)
    user = new_user("demo", "Demo Coordinator", "coordinator", ("care-team",),
                    secrets.token_urlsafe(24), now)
    asyncio.run(UserDirectory(bootstrap).store(user))
    token = SessionKeys(session_secret).one_time(user.username, now)
    print("The worklist of the demo's patients is served until Ctrl-C. Open this link once "
          "(it signs you in as the demo coordinator, for 10 minutes):", file=out)
    print(f"    http://127.0.0.1:{web_port}/app/login/once?token={token}", file=out, flush=True)
    threading.Event().wait()  # until Ctrl-C or SIGTERM (KeyboardInterrupt)


def start_worker(bootstrap: str, mllp_port: int, web_port: int, workdir: Path,
                 **settings: str) -> subprocess.Popen[bytes]:
    """A ``hub worker`` process for the tools (the demo, the pipeline bench): loopback ports,
    the recording Twilio stand-in, its log in ``workdir``; ``settings`` (environment variables)
    override the demo's."""
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "MLLP_HOST": "127.0.0.1", "MLLP_PORT": str(mllp_port),
        "HUB_WEB_HOST": "127.0.0.1", "HUB_WEB_PORT": str(web_port),
        "HUB_SENDER": "record", "HUB_STORE": "memory://",
        "HUB_DATA_DIR": str(workdir / "data"), "HUB_PARTITIONS": "1",
        "HUB_FACILITY_TZ": ZONE, "HUB_REBALANCE_TIMEOUT": "3", "HUB_TICK_SECONDS": "1",
        "HUB_PRACTICE_NAME": "Riverside Primary Care", "HUB_CALLBACK_NUMBER": "+16175550100",
        "HUB_APP_ID": "tcm-hub-demo", "HUB_KAFKA_IDEMPOTENCE": "false",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "HUB_PUBLIC_URL": f"http://127.0.0.1:{web_port}",
        **settings,
    }
    with (workdir / "worker.log").open("wb") as log:
        return subprocess.Popen([sys.executable, "-m", "hub", "worker", "--loglevel", "warn"],
                                env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def worker_listening(port: int, process: subprocess.Popen[bytes], workdir: Path) -> None:
    """Wait until a worker ``start_worker`` started listens on ``port``; one that exits or
    does not listen in time is ``NotStarted`` with its own last line and its log's path (one
    line from ``hub``)."""
    try:
        wait_for_port(port, process, 120, "the hub worker")
    except OSError as exc:  # NotStarted, TimeoutError
        log = workdir / "worker.log"
        lines = log.read_text(errors="replace").strip().splitlines()
        said = f" ({lines[-1].removeprefix('hub: ')})" if lines else ""
        raise NotStarted(f"{exc}{said}; its log: {log}") from exc


async def _drive(scenario: Scenario, bootstrap: str, mllp_port: int, web_port: int,
                 inbox_port: int) -> tuple[bool, list[tuple[str, str]], list[tuple[str, int]],
                                           dict[str, list[dict[str, Any]]], care_team.Inbox]:
    inbox = care_team.Inbox()
    await inbox.start(inbox_port)
    client = await MllpClient.connect("127.0.0.1", mllp_port)
    acks, replies = [], []
    try:
        for step in scenario.messages:
            acks.append((step.label, ack_summary(await client.send(step.raw))))
    finally:
        await client.close()
    reader = TopicReader(bootstrap, OUTPUT_TOPICS)
    await reader.start()
    try:
        ok = await reader.wait_until(scenario.texted, timeout=90)
        if ok:
            for number, reply in enumerate(scenario.replies):
                replies.append((reply.label, await _reply(web_port, reply.phone, reply.body,
                                                          f"SM{number:032x}")))
            ok = await reader.wait_until(scenario.done, timeout=60)
        if ok:
            ok = await _acknowledge_and_clear(reader, inbox, mllp_port, web_port, acks)
    finally:
        await reader.stop()
        await inbox.stop()
    return ok, acks, replies, reader.records, inbox


async def _acknowledge_and_clear(reader: TopicReader, inbox: care_team.Inbox, mllp_port: int,
                                 web_port: int, acks: list[tuple[str, str]]) -> bool:
    """Linda's readmission, from the care team's side: paged and posted to the team's chat,
    acknowledged by the nurse on call through the API, cleared when she is home again."""
    from urllib.parse import quote

    import aiohttp

    from hub.adapters.topic_reader import until

    [alert] = [a for a in reader.records[ALERTS] if a["patient_key"] == key(LINDA)
               and a["kind"] == "readmission" and a.get("event", "alert") == "alert"]
    if not await until(lambda: any(m["alert_id"] == alert["alert_id"]
                                   for m in inbox.messages), timeout=30):
        return False
    url = (f"http://127.0.0.1:{web_port}/alerts/{quote(key(LINDA), safe='')}/"
           f"{quote(alert['alert_id'], safe='')}/acknowledge")
    async with aiohttp.ClientSession() as session, session.post(
            url, json={"by": "Nurse Jordan"},
            headers={"Authorization": f"Bearer {API_TOKEN}"}) as response:
        if response.status != 202:
            return False
    home = datetime.now(UTC).astimezone(ZoneInfo(ZONE)).replace(microsecond=0)
    client = await MllpClient.connect("127.0.0.1", mllp_port)
    try:
        acks.append(("A03 Linda discharged home again (clears the readmission alert)",
                     ack_summary(await client.send(adt(
                         "A03", LINDA, control_id="DEMO0008", at=home, disposition="01",
                         discharged_to="HOME", discharge_at=home)))))
    finally:
        await client.close()
    return await until(lambda: any(m["alert_id"] == alert["alert_id"] and m["phase"] == "cleared"
                                   for m in inbox.messages), timeout=60) and \
        await reader.wait_until(lambda r: bool(r[ALERT_ACTIONS]) and any(
            x["delivery_id"].startswith(alert["alert_id"] + "/1/sms")
            and x["status"] == "sent" for x in r[ALERT_RESULTS]), timeout=30)


async def _reply(web_port: int, phone: str, body: str, sid: str) -> int:
    """An inbound SMS posted to the worker's webhook, signed as Twilio signs it (MSG-6)."""
    import aiohttp

    url = f"http://127.0.0.1:{web_port}/twilio/sms"
    form = {"From": phone, "To": "+16175550100", "Body": body,
            "MessageSid": sid}
    signature = SignatureChecker(AUTH_TOKEN, None).sign(url, form)
    async with aiohttp.ClientSession() as session, session.post(
            url, data=form, headers={"X-Twilio-Signature": signature}) as response:
        return response.status

