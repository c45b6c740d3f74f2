"""The dashboard at `/`: playground, rule catalogue and event counts, plus the endpoints it uses.

- `GET /`                the page (static HTML/JS/CSS shipped in the package, no CDN).
- `GET /assets/...`      its script and style sheet.
- `POST /v1/events`      the extension counts what happened (never the text); 204.
- `GET /v1/stats`        those counts per day, type and category, for the charts.
- `GET /v1/house-rules`  which house-rules file is in use, whether it loaded, and its errors.

The Host and Origin checks of api.create_app() apply to these routes as to the API. The page,
its assets and the counts are for the person at this machine only, so they are refused to
any client not on loopback, even when the helper was started with --allow-remote.
"""

from __future__ import annotations

import ipaddress

from flask import Blueprint, current_app, request, send_from_directory

from .api import ApiError, read_json_object
from .events import EventError, EventStore, default_database_path, parse_event
from .house_rules import APP_EXTENSION as HOUSE_RULES_EXTENSION

dashboard = Blueprint("dashboard", __name__, static_folder="static", static_url_path="/assets")

EVENT_STORE = "toontje.events"
MAX_STATS_DAYS = 366

# The page runs only its own script and talks only to its own origin; it may not be framed
# (the playground sends what an agent types to this helper, nowhere else).
PAGE_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dashboard.record_once
def _open_event_store(state) -> None:
    # The database file is opened on first use; EVENTS_DB lets tests choose it.
    state.app.extensions[EVENT_STORE] = EventStore(state.app.config.get("EVENTS_DB") or default_database_path())


def event_store() -> EventStore:
    return current_app.extensions[EVENT_STORE]


def _require_loopback_client() -> None:
    try:
        is_loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        is_loopback = False
    if not is_loopback:
        raise ApiError(403, "loopback_only", "The dashboard is only shown on the machine the helper runs on.")


@dashboard.before_request
def _dashboard_is_local_only():
    # Events may come from an extension on another machine when serving with --allow-remote;
    # everything that shows data back (page, counts, house-rules path) stays on this machine.
    if request.endpoint != "dashboard.record_event":
        _require_loopback_client()


@dashboard.after_request
def _page_headers(response):
    if request.endpoint in ("dashboard.page", "dashboard.static"):
        response.headers.update(PAGE_SECURITY_HEADERS)
    return response


@dashboard.get("/")
def page():
    return send_from_directory(dashboard.static_folder, "dashboard.html")


@dashboard.post("/v1/events")
def record_event():
    try:
        event = parse_event(read_json_object())
    except EventError as error:
        raise ApiError(400, "invalid_event", str(error)) from None
    event_store().record(event)
    return "", 204


@dashboard.get("/v1/stats")
def stats():
    days_text = request.args.get("days", "30")
    if not days_text.isdigit() or not 1 <= int(days_text) <= MAX_STATS_DAYS:
        raise ApiError(400, "invalid_days", f"'days' must be a whole number from 1 to {MAX_STATS_DAYS}.")
    return event_store().summary(days=int(days_text))


@dashboard.get("/v1/house-rules")
def house_rules_status():
    source = current_app.extensions.get(HOUSE_RULES_EXTENSION)
    if source is None:
        return {"path": None, "team": None, "rules": 0, "loaded_at": None, "error": None, "problems": []}
    return source.status()
