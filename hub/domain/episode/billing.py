"""Which of 99495 / 99496 the recorded evidence supports, and what is missing (TCM-2..5, 9, 10).

The hub never bills; it tells the care team where an episode stands. Only a person's documented
attempts count as the "two or more timely unsuccessful attempts" of TCM-3: the hub's own texts
and calls are logged, but automated outreach is not the practitioner's contact.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hub.domain.episode.record import DECEASED, INELIGIBLE, VOIDED, Episode
from hub.domain.episode.rules import TcmRules

HUB = "hub"  # the ``by`` of attempts the hub made itself


def billing_readiness(episode: Episode, rules: TcmRules | None = None) -> dict[str, Any]:
    """``{"supportable": [...], "missing": [...], "notes": [...], "date_of_service": ...}``."""
    rules = rules or TcmRules()
    if episode.status in (DECEASED, VOIDED, INELIGIBLE):
        why = {DECEASED: "the patient died before the period ended (TCM-10)",
               VOIDED: "the discharge was cancelled (A13)",
               INELIGIBLE: f"the discharge does not qualify ({episode.reason})"}[episode.status]
        return {"supportable": [], "missing": [f"not reportable: {why}"], "notes": [],
                "date_of_service": None}
    missing: list[str] = []
    notes: list[str] = []
    contact_ok, by_attempts = _contact(episode, rules)
    if not contact_ok:
        missing.append("interactive contact (or two timely attempts) within 2 business days")
    elif by_attempts:
        notes.append("contact requirement met by documented unsuccessful attempts (TCM-3)")
    visit_day = recorded_day(episode.visit)
    if visit_day is None:
        missing.append("face-to-face visit")
    elif visit_day > episode.window_end:
        missing.append("face-to-face visit inside the 30-day window")
    med_rec_day = recorded_day(episode.med_rec)
    if med_rec_day is None:
        missing.append("medication reconciliation")
    elif visit_day is not None and med_rec_day > visit_day:
        missing.append("medication reconciliation no later than the visit (TCM-5)")
    if episode.readmitted:
        notes.append("readmitted inside the window: billing is contested (TCM-9)")
    supportable = [] if missing or visit_day is None else _codes(episode, visit_day)
    if not missing and not supportable:
        missing.append("face-to-face visit within the 99495 deadline (TCM-4)")
    return {"supportable": supportable, "missing": missing, "notes": notes,
            "date_of_service": visit_day.isoformat() if visit_day else None}  # TCM-2


def _contact(episode: Episode, rules: TcmRules) -> tuple[bool, bool]:
    """(requirement met, met only through attempts)."""
    due = episode.contact_due
    if episode.contact and episode.contact["at"] <= due:
        return True, False
    timely = [a for a in episode.attempts
              if a.get("by") not in (None, HUB) and a["at"] <= due]
    met = len(timely) >= rules.attempts_for_billing
    return met, met


def _codes(episode: Episode, visit_day: date) -> list[str]:
    """TCM-4: 99496 = high complexity by the 7-day date; 99495 = moderate or high by 14."""
    complexity = (episode.visit or {}).get("complexity")
    codes = []
    if complexity == "high" and visit_day <= episode.visit_due_99496:
        codes.append("99496")
    if complexity in ("high", "moderate") and \
            visit_day <= episode.visit_due_99495:
        codes.append("99495")
    return codes


def recorded_day(entry: dict[str, Any] | None) -> date | None:
    """The facility-local date of a recorded action (stored by ``hub.domain.episode.actions``)."""
    if not entry:
        return None
    day: date = entry.get("date") or entry["at"].date()
    return day
