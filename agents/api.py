"""Stage **api**: the care team's worklist over the ``episodes`` table (bearer-token auth).

Reads go to the worker that owns the patient (``table_route``). Writes are checked against the
rules right there (so the caller gets its 409/422 at once) and then go through Kafka to the
episodes agent, because only agents change tables.
"""

from __future__ import annotations

import hmac
import uuid
from typing import Any

import faust
from faust.web import Request, Response, View

from agents.topics import Topics
from hub.config import Settings
from hub.domain.actions import RuleViolation, billing_readiness, validate_action
from hub.domain.episode import PatientRecord


def register(app: faust.App, topics: Topics, settings: Settings, table: faust.Table) -> None:
    def refusal(view: View, request: Request) -> Response | None:
        header = request.headers.get("Authorization", "")
        if not settings.api_token:
            return view.json({"error": "the care-team API is off: set HUB_API_TOKEN"}, status=401)
        if not header.startswith("Bearer "):
            return view.json({"error": "missing bearer token"}, status=401)
        if not hmac.compare_digest(header[7:].encode(), settings.api_token.encode()):
            return view.json({"error": "invalid bearer token"}, status=403)
        return None

    def view_of(stored: dict[str, Any]) -> dict[str, Any]:
        record = PatientRecord.from_dict(stored)
        episodes = []
        for episode in record.episodes:
            data = PatientRecord(record.patient_key, record.facility,
                                 episodes=(episode,)).to_dict()["episodes"][0]
            data["billing"] = billing_readiness(episode)
            episodes.append(data)
        return {"patient_key": record.patient_key, "facility": record.facility,
                "episodes": episodes}

    @app.page("/episodes/{key}")
    class EpisodeView(View):
        @app.table_route(table=table, match_info="key")
        async def get(self, request: Request, key: str) -> Response:
            if (denied := refusal(self, request)) is not None:
                return denied
            stored = table.get(key)
            if stored is None:
                return self.json({"error": f"no patient {key!r}"}, status=404)
            return self.json(view_of(stored))

    @app.page("/episodes/{key}/actions")
    class ActionView(View):
        @app.table_route(table=table, match_info="key")
        async def post(self, request: Request, key: str) -> Response:
            if (denied := refusal(self, request)) is not None:
                return denied
            try:
                action = await request.json()
            except ValueError:
                return self.json({"error": "the body must be a JSON object"}, status=400)
            if not isinstance(action, dict):
                return self.json({"error": "the body must be a JSON object"}, status=400)
            stored = table.get(key)
            if stored is None:
                return self.json({"error": f"no patient {key!r}"}, status=404)
            try:
                validate_action(PatientRecord.from_dict(stored), action)
            except RuleViolation as violation:
                return self.json({"error": violation.message, "code": violation.code},
                                 status=violation.status)
            action_id = str(uuid.uuid4())
            await topics.episode_actions.send(key=key, value={**action, "action_id": action_id})
            return self.json({"accepted": action_id}, status=202)
