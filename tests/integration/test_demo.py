"""``hub demo`` on its embedded default: no Docker, no Twilio account, exits 0 with a summary."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.integration.servers import REPO


def test_hub_demo_runs_the_feed_end_to_end_and_summarizes() -> None:
    """The README's first command: the demo opens episodes, texts, alerts, stops what it started."""
    done = subprocess.run([sys.executable, "-m", "hub", "demo"], cwd=REPO, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "Transitional-care episodes opened: 3" in out
    assert "[urgent] readmission: Linda C." in out
    assert "disposition_not_eligible:03" in out
    assert "Hola Maria" in out  # MSG-5: the Spanish speaker gets the Spanish text
    assert "DEMO0005: missing_segment at PID" in out  # refused at the door, kept (ADT-9)
    assert "AR DEMO0006" in out
    assert '[urgent] urgent_reply: Maria G.: "1"' in out  # a signed reply over the webhook
    # §5: her second urgent reply reaches the care team too, with its words
    assert '[urgent] urgent_reply (update 2): Maria G.: "Me caí y me duele el pecho"' in out
    # MSG-2: a revocation in plain words opts out, is confirmed once, and the team is told
    assert '[warning] patient_opted_out: Robert B.: "Please stop. I am good."' in out
    assert "Robert B.: opt_out_confirmation sent" in out
    # issue 11: an alert delivered (on-call page, signed webhook), acknowledged and cleared
    assert "SMS page to the on-call nurse (Twilio stand-in)" in out
    assert "webhook (raised): [TCM URGENT] Readmitted during the TCM window · GENHOSP" in out
    assert "acknowledged by Nurse Jordan" in out
    assert "webhook (cleared): [TCM CLEARED] Readmitted during the TCM window" in out
    assert "refused for a bad signature" not in out
    webhook_lines = [line for line in out.splitlines() if line.startswith("  webhook (")]
    assert webhook_lines and not any(name in line for line in webhook_lines
                                     for name in ("Linda", "CHEN", "100236", "Maria"))
    assert "Demo files kept" not in out  # it cleaned up after itself
    # issue 13: one message's story from the topics, in the order it was written
    story = out[out.index("as `hub trace DEMO0003` tells it"):]
    order = ["received, ACK AA", "episode opened", "alert readmission", "acknowledged",
             "alert cleared readmission"]
    assert all(what in story for what in order), story
    assert [story.index(what) for what in order] == sorted(story.index(w) for w in order)


async def test_hub_demo_serve_signs_a_newcomer_in_once_and_stops_on_ctrl_c() -> None:
    """``hub demo --serve``: a one-time link to the worklist of the demo's patients, on its own
    line; a second use is refused; Ctrl-C stops everything it started."""
    import asyncio
    import re
    import signal

    import aiohttp

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", "demo", "--serve", cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        assert process.stdout is not None
        link, seen = None, []
        while link is None:
            line = (await asyncio.wait_for(process.stdout.readline(), 240)).decode()
            assert line, "".join(seen[-40:])
            seen.append(line)
            if found := re.fullmatch(r"\s*(http://127\.0\.0\.1:\d+/app/login/once\?token=\S+)\s*",
                                     line):
                link = found.group(1)
        # a browser keeps cookies for 127.0.0.1; aiohttp does so only when told
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            async with session.get(link) as page:  # redirected to the worklist, signed in
                body = await page.text()
                assert page.status == 200 and page.url.path == "/app/worklist", body[:500]
                assert "MARIA GARCIA" in body.upper() and "ROBERT BROWN" in body.upper()
            async with session.get(link, allow_redirects=False) as again:
                assert again.status == 403  # once
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 60) == 0
        web_port = int(re.search(r":(\d+)/", link).group(1))  # type: ignore[union-attr]
        with pytest.raises(OSError):  # the worker it started is gone
            _, writer = await asyncio.open_connection("127.0.0.1", web_port)
            writer.close()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
