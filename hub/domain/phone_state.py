"""Everything decided about one phone number, in one place: opt-out, the send ledger, the send
history for the caps, and which patient the number belongs to (for routing replies)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

FINAL = ("delivered", "undelivered", "failed", "read", "canceled")
ORDER = {"planned": 0, "deferred": 1, "sending": 2, "queued": 3, "accepted": 3, "scheduled": 3,
         "sent": 4, "delivered": 5, "read": 6, "undelivered": 5, "failed": 5, "canceled": 5,
         "suppressed": 9, "cancelled": 9, "in_doubt": 2}


@dataclass(frozen=True)
class LedgerEntry:
    status: str
    channel: str
    updated_at: str
    provider_sid: str | None = None
    attempts: int = 0
    last_error_code: int | None = None
    deferred_until: str | None = None
    command: dict[str, Any] | None = None  # kept while deferred, to re-decide on a tick


@dataclass(frozen=True)
class PhoneState:
    phone: str
    opted_out: bool = False
    opted_out_at: str | None = None
    opt_out_confirmed: bool = False
    ledger: dict[str, LedgerEntry] = field(default_factory=dict)
    sent_at: tuple[str, ...] = ()  # messages handed to the provider, for the caps
    patient_key: str | None = None
    episode_id: str | None = None

    def entry(self, command_id: str) -> LedgerEntry | None:
        return self.ledger.get(command_id)

    def with_entry(self, command_id: str, entry: LedgerEntry) -> PhoneState:
        return replace(self, ledger={**self.ledger, command_id: entry})

    def sent_times(self) -> list[datetime]:
        return [datetime.fromisoformat(s) for s in self.sent_at]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PhoneState:
        ledger = {k: LedgerEntry(**v) for k, v in data["ledger"].items()}
        return cls(**{**data, "ledger": ledger, "sent_at": tuple(data["sent_at"])})
