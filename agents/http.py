"""Faust's web views hand over aiohttp requests, but type them with Faust's narrower protocol;
the views that read aiohttp's own attributes (size, peer, path) say so here, once."""

from __future__ import annotations

from typing import cast

from aiohttp import web
from faust.web import Request


def aiohttp_request(request: Request) -> web.Request:
    return cast(web.Request, request)
