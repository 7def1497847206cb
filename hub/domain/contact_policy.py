"""When a patient may be contacted: quiet hours (MSG-3) and frequency caps (MSG-1).

Quiet hours are read in the patient's zone; a message due outside them is deferred to the next
allowed minute, never dropped. "Day" is the patient's local calendar day; "week" is the rolling
7 local days ending today (the stricter reading of "3 a week").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    start: time = time(8, 0)  # first allowed minute
    end: time = time(21, 0)  # first disallowed minute

    def allows(self, at: datetime, zone: ZoneInfo) -> bool:
        local = at.astimezone(zone).time()
        return self.start <= local < self.end

    def next_allowed(self, at: datetime, zone: ZoneInfo) -> datetime:
        """``at`` itself when allowed, else the next allowed minute in the patient's zone."""
        if self.allows(at, zone):
            return at
        local = at.astimezone(zone)
        day = local.date() if local.time() < self.start else local.date() + timedelta(days=1)
        return datetime.combine(day, self.start, tzinfo=zone)


@dataclass(frozen=True)
class ContactPolicy:
    quiet_hours: QuietHours = QuietHours()
    max_per_day: int = 1
    max_per_week: int = 3
    sms_max_chars: int = 160
    voice_max_seconds: int = 60

    def next_slot(self, at: datetime, zone: ZoneInfo, sent: list[datetime]) -> datetime:
        """The first moment at or after ``at`` that respects hours and both caps."""
        candidate = self.quiet_hours.next_allowed(at, zone)
        for _ in range(14):  # caps free a slot within a week; a bounded search keeps it total
            day = candidate.astimezone(zone).date()
            today = sum(1 for s in sent if s.astimezone(zone).date() == day)
            week = sum(1 for s in sent if 0 <= (day - s.astimezone(zone).date()).days < 7)
            if today < self.max_per_day and week < self.max_per_week:
                return candidate
            next_day = datetime.combine(day + timedelta(days=1), self.quiet_hours.start,
                                        tzinfo=zone)
            candidate = self.quiet_hours.next_allowed(next_day, zone)
        return candidate
