"""Counts of what the extension did (warning shown, post held, ...), kept in SQLite.

Only counters are stored: per day, event type, category and site. No reply text, no
timestamps finer than a day and nothing about the customer ever reaches this table, so
the dashboard can show trends without becoming a log of what agents wrote.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import platformdirs

EVENT_TYPES = ("warning-shown", "post-held", "rewrite-used", "posted-anyway")

# Categories and sites are short ids; the pattern keeps free text (a sentence of a reply
# sent by mistake) out of the table even if a client sends it in the wrong field.
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")

# An event more than this far from the helper's clock is someone else's bug, not a count.
_MAX_CLOCK_SKEW = timedelta(days=2)

DATA_DIR_ENV = "TOONTJE_DATA_DIR"
DATABASE_NAME = "events.sqlite3"


class EventError(ValueError):
    """A posted event is not acceptable; the message says which field and why."""


@dataclass(frozen=True)
class Event:
    type: str
    category: str | None
    site: str | None
    day: date


def default_database_path() -> Path:
    """The events database in the user's data directory, or under $TOONTJE_DATA_DIR."""
    data_dir = os.environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir("toontje", appauthor=False)
    return Path(data_dir) / DATABASE_NAME


def parse_event(payload: object, today: date | None = None) -> Event:
    """Validate the JSON body of POST /v1/events and reduce it to what is stored."""
    if not isinstance(payload, dict):
        raise EventError("the body must be a JSON object with type, category, site and time")
    unknown = sorted(set(payload) - {"type", "category", "site", "time"})
    if unknown:
        # Refusing extra fields is what keeps "never the text" true if a client changes.
        raise EventError(f"unknown field(s): {', '.join(unknown)}; only type, category, site and time are accepted")

    event_type = payload.get("type")
    if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
        raise EventError(f"'type' must be one of {', '.join(EVENT_TYPES)}")

    category = payload.get("category")
    if category is not None and (not isinstance(category, str) or not _SLUG.fullmatch(category)):
        raise EventError("'category' must be null or a category id such as 'attacking'")

    site = payload.get("site")
    # null: the extension could not tell the site; the event still counts.
    if site is not None and (not isinstance(site, str) or not _SLUG.fullmatch(site)):
        raise EventError("'site' must be null or a site id such as 'facebook' or 'linkedin'")

    time_text = payload.get("time")
    if not isinstance(time_text, str):
        raise EventError("'time' must be an ISO 8601 string such as 2026-11-23T09:30:00Z")
    try:
        moment = datetime.fromisoformat(time_text)
    except ValueError:
        raise EventError("'time' must be an ISO 8601 string such as 2026-11-23T09:30:00Z") from None
    # The agent's day is the helper's local day: both run on the same machine.
    day = moment.astimezone().date() if moment.tzinfo else moment.date()
    today = today or date.today()
    if abs(day - today) > _MAX_CLOCK_SKEW:
        raise EventError(f"'time' {time_text} is too far from today ({today.isoformat()})")

    return Event(type=event_type, category=category, site=site, day=day)


class EventStore:
    """Daily counters in one SQLite file, safe to share between waitress threads."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        # Opened lazily so that creating an app (tests, `toontje check`) never touches disk.
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            # category and site are '' rather than NULL for "none": NULLs never collide in a
            # primary key, so the upsert below would insert a new row each time.
            connection.execute(
                """CREATE TABLE IF NOT EXISTS event_counts (
                       day TEXT NOT NULL,
                       type TEXT NOT NULL,
                       category TEXT NOT NULL,
                       site TEXT NOT NULL,
                       count INTEGER NOT NULL,
                       PRIMARY KEY (day, type, category, site)
                   ) WITHOUT ROWID"""
            )
            self._connection = connection
        return self._connection

    def record(self, event: Event) -> None:
        with self._lock:
            self._connect().execute(
                """INSERT INTO event_counts (day, type, category, site, count) VALUES (?, ?, ?, ?, 1)
                   ON CONFLICT (day, type, category, site) DO UPDATE SET count = count + 1""",
                (event.day.isoformat(), event.type, event.category or "", event.site or ""),
            )

    def summary(self, days: int = 30, today: date | None = None) -> dict:
        """Counts for the last `days` days: totals, per day per type, per category per type."""
        today = today or date.today()
        first_day = today - timedelta(days=days - 1)
        with self._lock:
            rows = self._connect().execute(
                "SELECT day, type, category, site, count FROM event_counts WHERE day >= ? AND day <= ?",
                (first_day.isoformat(), today.isoformat()),
            ).fetchall()

        day_list = [(first_day + timedelta(days=offset)).isoformat() for offset in range(days)]
        per_day = {day: dict.fromkeys(EVENT_TYPES, 0) for day in day_list}
        totals = dict.fromkeys(EVENT_TYPES, 0)
        per_category: dict[str, dict[str, int]] = {}
        per_site: dict[str, int] = {}
        for day, event_type, category, site, count in rows:
            per_day[day][event_type] += count
            totals[event_type] += count
            category_counts = per_category.setdefault(category or "none", dict.fromkeys(EVENT_TYPES, 0))
            category_counts[event_type] += count
            per_site[site or "unknown"] = per_site.get(site or "unknown", 0) + count
        return {
            "from": day_list[0],
            "to": day_list[-1],
            "types": list(EVENT_TYPES),
            "totals": totals,
            "days": [{"day": day, **per_day[day]} for day in day_list],
            "categories": dict(sorted(per_category.items(), key=lambda item: -sum(item[1].values()))),
            "sites": per_site,
        }

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
