"""``hub demo``: the whole hub on the embedded default, no Docker, no Twilio account.

It starts the embedded broker and one ``hub worker`` process (with the recording Twilio stand-in),
sends a scripted discharge feed over MLLP, waits on the broker for what the hub wrote, prints a
readable summary, and stops everything it started by PID.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hub.adapters.embedded_broker import EmbeddedBroker, free_port, stop_process, wait_for_port
from hub.adapters.mllp_client import MllpClient
from hub.adapters.topic_reader import TopicReader
from hub.adapters.twilio_webhooks import SignatureChecker
from hub.cli.demo.script import Scenario, build_scenario
from hub.cli.demo.summary import render_summary
from hub.hl7.ack import ack_summary
from hub.topic_names import ALERTS, DEADLETTER, OUTREACH_COMMANDS, OUTREACH_EVENTS, REJECTED

ZONE = "America/New_York"
AUTH_TOKEN = "demo-auth-token"  # the stand-in's: the demo signs its replies as Twilio would
OUTPUT_TOPICS = [ALERTS, OUTREACH_COMMANDS, OUTREACH_EVENTS, DEADLETTER, REJECTED]


def run_demo(*, keep: bool = False, out: Any = None) -> int:
    out = out or sys.stdout
    workdir = Path(tempfile.mkdtemp(prefix="tcm-hub-demo-"))
    broker = worker = None
    try:
        print("Starting the embedded broker (Tansu, memory storage) ...", file=out, flush=True)
        broker = EmbeddedBroker.start(workdir / "broker.log")
        mllp_port, web_port = free_port(), free_port()
        print("Starting a hub worker (Twilio stand-in: nothing is really sent) ...", file=out,
              flush=True)
        worker = start_worker(broker.bootstrap, mllp_port, web_port, workdir)
        wait_for_port(mllp_port, worker, 120, "the hub worker")
        now = datetime.now(UTC)
        scenario = build_scenario(now, ZoneInfo(ZONE))
        ok, acks, replies, records = asyncio.run(_drive(scenario, broker.bootstrap, mllp_port,
                                                        web_port))
        print(render_summary(scenario, acks, records, zone=ZoneInfo(ZONE), complete=ok,
                             replies=replies), file=out)
        if not ok:
            print("The hub did not finish the script in time; worker log: "
                  f"{workdir / 'worker.log'}", file=out)
            keep = True
        return 0 if ok else 1
    finally:
        if worker is not None:
            stop_process(worker)
        if broker is not None:
            broker.stop()
        if keep:
            print(f"Demo files kept in {workdir}", file=out)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


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


async def _drive(scenario: Scenario, bootstrap: str, mllp_port: int, web_port: int
                 ) -> tuple[bool, list[tuple[str, str]], list[tuple[str, int]],
                            dict[str, list[dict[str, Any]]]]:
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
    finally:
        await reader.stop()
    return ok, acks, replies, reader.records


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

