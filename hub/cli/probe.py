"""``hub probe``: ask a worker's ``/readyz`` (or ``/healthz``) and exit 0 when it answers 200.

For container health checks (the image has no curl): ``HEALTHCHECK CMD hub probe``. One line on
stdout says what the worker answered; a worker that does not answer is exit 1 as well, with the
address on stderr.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from hub.cli.inputs import positive_seconds


def register(sub: Any) -> None:
    probe = sub.add_parser("probe", help="exit 0 when the local worker is ready (or alive)")
    probe.add_argument("what", nargs="?", choices=["ready", "alive"], default="ready",
                       help="ready: /readyz (broker, listener, partitions, tables; default); "
                            "alive: /healthz (the process serves)")
    probe.add_argument("--url", default=None,
                       help="the worker's web address (default http://127.0.0.1:$HUB_WEB_PORT)")
    probe.add_argument("--timeout", type=positive_seconds, default=5.0,
                       help="seconds to wait for the answer (default 5)")
    probe.set_defaults(run=_run)


def _run(args: Any) -> int:
    port = os.environ.get("HUB_WEB_PORT", "6066")
    if args.url is None and not (port.isdigit() and 0 < int(port) < 65_536):
        print(f"hub: HUB_WEB_PORT: expected a port, got {port!r}", file=sys.stderr)
        return 2
    base = (args.url or f"http://127.0.0.1:{port}").rstrip("/")
    try:
        parts = urllib.parse.urlsplit(base)
        _ = parts.port  # a port that is not one raises here
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        print(f"hub: --url: expected an http:// or https:// address, got {base!r}",
              file=sys.stderr)
        return 2
    url = f"{base}/{'readyz' if args.what == 'ready' else 'healthz'}"
    try:
        with urllib.request.urlopen(url, timeout=args.timeout) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        status, body = refused.code, refused.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        print(f"hub: {url}: no answer ({reason})", file=sys.stderr)
        return 1
    try:
        shown = json.loads(body)
    except ValueError:
        shown = body.decode("utf-8", "replace")[:200]
    print(json.dumps({"url": url, "status": status, "answer": shown}))
    return 0 if status == 200 else 1
