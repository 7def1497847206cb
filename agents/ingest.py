"""Stage **ingest**: the MLLP listener and the HTTP POST endpoint run inside the worker and write
to ``hl7.adt.raw`` with their own idempotent ``acks=all`` producer, so an ACK AA always means "on
the broker"."""

from __future__ import annotations

from typing import Any

import faust
from faust.web import Request, Response, View
from mode import Service

from agents.http import aiohttp_request
from hub.adapters.kafka_sink import KafkaSink
from hub.adapters.metrics import CONNECTIONS, MeteredIngest
from hub.adapters.mllp_server import MllpServer
from hub.adapters.tls import server_context
from hub.api.refusals import HL7_HTTP_OFF, ApiRefusal, check_bearer, error_body
from hub.clock import Clock
from hub.config import Settings
from hub.errors import BrokerUnavailable
from hub.logs import get_logger
from hub.services.ingest import Ingestor

log = get_logger("agents.ingest")

HTTP_STATUS = {"AA": 200, "CA": 200, "AE": 422, "CE": 422, "AR": 503, "CR": 503}


class Running:
    """What the listener has started: the ingest port (once listening) and its producer, whose
    reach to the broker ``/readyz`` asks about."""

    def __init__(self) -> None:
        self.ingestor: MeteredIngest | None = None
        self.sink: KafkaSink | None = None


def register(app: faust.App, settings: Settings, clock: Clock) -> Running:
    running = Running()

    class MllpIngest(Service):
        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.sink = KafkaSink(settings.kafka_bootstrap,
                                  idempotent=settings.kafka_idempotence,
                                  write_timeout=settings.broker_write_timeout)
            self.ingestor = MeteredIngest(Ingestor(
                self.sink, clock, zone_for=settings.zone_for, phone_region=settings.phone_region,
                refuse_non_production=settings.non_production == "refuse"))
            tls = (server_context(settings.mllp_tls_cert, settings.mllp_tls_key,
                                  settings.mllp_tls_client_ca)
                   if settings.mllp_tls_cert and settings.mllp_tls_key else None)
            self.server = MllpServer(self.ingestor, max_frame=settings.mllp_max_frame,
                                     idle_timeout=settings.mllp_idle_timeout, ssl=tls,
                                     max_connections=settings.mllp_max_connections)
            CONNECTIONS.set_function(lambda: self.server.open_connections)

        async def on_start(self) -> None:
            try:
                await self.sink.start()
            except BrokerUnavailable:  # listen anyway: senders get AR (resend) until it is back
                log.warning("ingest.broker_unavailable_at_start")
            running.sink = self.sink
            running.ingestor = self.ingestor
            await self.server.start(settings.mllp_host, settings.mllp_port)

        async def on_stop(self) -> None:
            running.ingestor = None
            await self.server.stop()
            await self.sink.stop()

    app.service(MllpIngest)

    @app.page("/hl7")
    class HttpIngest(View):
        """POST one HL7 message (any content type); the answer is the HL7 ACK, with an HTTP status
        that says the same thing: 200 kept (AA), 422 content error (AE), 503 resend (AR).
        The door has its own bearer token (``HUB_HL7_HTTP_TOKEN``), off without one: this port
        faces Twilio, and a message here can text any number."""

        async def post(self, request: Request) -> Response:
            try:
                check_bearer(request.headers.get("Authorization"), settings.hl7_http_token,
                             off=HL7_HTTP_OFF)
            except ApiRefusal as refusal:
                log.warning("ingest.http_refused", code=refusal.code,
                            peer=aiohttp_request(request).remote)
                return self.json(error_body(refusal), status=refusal.status)
            ingestor = running.ingestor
            if ingestor is None:
                return self.json({"error": "ingest is not running yet; resend"}, status=503)
            length = aiohttp_request(request).content_length
            if length is not None and length > settings.mllp_max_frame:
                return self.json({"error": f"message of {length} bytes is over the "
                                  f"{settings.mllp_max_frame}-byte limit"}, status=413)
            raw = await request.read()
            if len(raw) > settings.mllp_max_frame:
                return self.json({"error": "message over the size limit"}, status=413)
            peer = aiohttp_request(request).remote
            result = await ingestor.ingest(raw, transport="http", peer=peer)
            return self.bytes(result.ack, content_type="application/hl7-v2",
                              status=HTTP_STATUS.get(result.ack_code, 500))

    return running
