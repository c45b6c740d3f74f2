"""Event counts (issue 4, part 2): validation, the SQLite store, POST /v1/events and GET /v1/stats."""

import json
import sqlite3
from datetime import date, datetime, timedelta, timezone

import pytest

from toontje.api import create_app
from toontje.events import EVENT_TYPES, Event, EventError, EventStore, default_database_path, parse_event

TEST_PORT = 8765
# SERVER_NAME makes the test client address the app as http://127.0.0.1:PORT, as a browser on
# this machine would (the app refuses other Host headers). Defined here rather than imported
# from conftest: tests/browser has a conftest module of its own, so "conftest" is ambiguous.
TEST_CONFIG = {"TESTING": True, "PORT": TEST_PORT, "SERVER_NAME": f"127.0.0.1:{TEST_PORT}"}

TODAY = date(2026, 11, 23)
EXTENSION_ORIGIN = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"


def event_body(**changes):
    body = {"type": "warning-shown", "category": "attacking", "site": "facebook", "time": "2026-11-23T09:30:00Z"}
    body.update(changes)
    return body


# --- validation -------------------------------------------------------------------------------


def test_a_valid_event_is_reduced_to_type_category_site_and_day():
    event = parse_event(event_body(time="2026-11-23T09:30:00"), today=TODAY)
    assert event == Event(type="warning-shown", category="attacking", site="facebook", day=TODAY)


def test_category_and_site_may_be_null():
    event = parse_event(event_body(type="posted-anyway", category=None, site=None), today=TODAY)
    assert event.category is None and event.site is None


@pytest.mark.parametrize(
    "changes, complaint",
    [
        ({"type": "clicked"}, "'type'"),
        ({"type": 3}, "'type'"),
        ({"category": 7}, "'category'"),
        ({"category": "Dat is niet onze schuld, u had de handleiding moeten lezen"}, "'category'"),
        ({"site": 7}, "'site'"),
        ({"site": "https://www.facebook.com/page"}, "'site'"),
        ({"time": "yesterday"}, "'time'"),
        ({"time": 1732354200}, "'time'"),
        ({"time": "2019-01-01T00:00:00Z"}, "too far"),
        ({"text": "the reply itself"}, "unknown field"),
    ],
)
def test_invalid_events_say_which_field_is_wrong(changes, complaint):
    with pytest.raises(EventError, match=complaint):
        parse_event(event_body(**changes), today=TODAY)


def test_a_body_that_is_not_an_object_is_refused():
    with pytest.raises(EventError):
        parse_event(["warning-shown"], today=TODAY)


# --- the store --------------------------------------------------------------------------------


def test_counts_add_up_per_day_type_and_category(tmp_path):
    store = EventStore(tmp_path / "events.sqlite3")
    yesterday = TODAY - timedelta(days=1)
    for _ in range(3):
        store.record(Event("warning-shown", "attacking", "facebook", TODAY))
    store.record(Event("post-held", "attacking", "linkedin", TODAY))
    store.record(Event("rewrite-used", None, None, yesterday))

    summary = store.summary(days=7, today=TODAY)

    assert summary["totals"] == {"warning-shown": 3, "post-held": 1, "rewrite-used": 1, "posted-anyway": 0}
    assert len(summary["days"]) == 7 and summary["to"] == TODAY.isoformat()
    by_day = {row["day"]: row for row in summary["days"]}
    assert by_day[TODAY.isoformat()]["warning-shown"] == 3
    assert by_day[yesterday.isoformat()]["rewrite-used"] == 1
    assert summary["categories"]["attacking"]["post-held"] == 1
    assert summary["categories"]["none"]["rewrite-used"] == 1
    assert summary["sites"] == {"facebook": 3, "linkedin": 1, "unknown": 1}


def test_counts_outside_the_period_are_left_out(tmp_path):
    store = EventStore(tmp_path / "events.sqlite3")
    store.record(Event("warning-shown", "impatient", "facebook", TODAY - timedelta(days=10)))
    assert store.summary(days=7, today=TODAY)["totals"]["warning-shown"] == 0
    assert store.summary(days=30, today=TODAY)["totals"]["warning-shown"] == 1


def test_the_table_has_no_place_for_text(tmp_path):
    path = tmp_path / "events.sqlite3"
    EventStore(path).record(Event("warning-shown", "attacking", "facebook", TODAY))
    columns = [row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(event_counts)")]
    assert columns == ["day", "type", "category", "site", "count"]


def test_the_store_survives_a_restart(tmp_path):
    path = tmp_path / "events.sqlite3"
    first = EventStore(path)
    first.record(Event("posted-anyway", "dismissive", "linkedin", TODAY))
    first.close()
    assert EventStore(path).summary(days=1, today=TODAY)["totals"]["posted-anyway"] == 1


def test_the_default_database_can_be_moved_with_an_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("TOONTJE_DATA_DIR", str(tmp_path))
    assert default_database_path() == tmp_path / "events.sqlite3"


# --- the endpoints ----------------------------------------------------------------------------


@pytest.fixture
def events_client(tmp_path):
    return create_app({**TEST_CONFIG, "EVENTS_DB": str(tmp_path / "events.sqlite3")}).test_client()


def post_event(client, body, **kwargs):
    return client.post("/v1/events", data=json.dumps(body), content_type="application/json", **kwargs)


def now_iso():
    return datetime.now(timezone.utc).isoformat()


def test_an_event_from_the_extension_is_counted(events_client):
    response = post_event(events_client, event_body(time=now_iso()), headers={"Origin": EXTENSION_ORIGIN})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == EXTENSION_ORIGIN

    stats = events_client.get("/v1/stats?days=7").get_json()
    assert stats["totals"]["warning-shown"] == 1
    assert stats["categories"]["attacking"]["warning-shown"] == 1
    assert set(stats["totals"]) == set(EVENT_TYPES)


@pytest.mark.parametrize(
    "body, status, code",
    [
        (event_body(type="deleted"), 400, "invalid_event"),
        (event_body(category=["attacking"]), 400, "invalid_event"),
        (event_body(text="Dat is uw eigen schuld"), 400, "invalid_event"),
        ([1, 2], 400, "invalid_type"),
    ],
)
def test_bad_events_get_json_errors(events_client, body, status, code):
    if isinstance(body, dict):
        body["time"] = now_iso()
    response = post_event(events_client, body)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert events_client.get("/v1/stats").get_json()["totals"] == dict.fromkeys(EVENT_TYPES, 0)


def test_events_obey_the_api_body_rules(events_client):
    not_json = events_client.post("/v1/events", data="type=warning-shown", content_type="text/plain")
    assert not_json.status_code == 415
    broken = events_client.post("/v1/events", data="{", content_type="application/json")
    assert broken.status_code == 400 and broken.get_json()["error"]["code"] == "invalid_json"
    huge = post_event(events_client, event_body(time=now_iso(), category="x" * 70_000))
    assert huge.status_code == 413 and "error" in huge.get_json()


def test_events_obey_the_host_and_origin_rules(events_client):
    rebinding = post_event(events_client, event_body(time=now_iso()), headers={"Host": "evil.example:8765"})
    assert rebinding.status_code == 403
    web_page = post_event(events_client, event_body(time=now_iso()), headers={"Origin": "https://evil.example"})
    assert web_page.status_code == 403
    assert events_client.get("/v1/stats").get_json()["totals"]["warning-shown"] == 0


@pytest.mark.parametrize("days", ["0", "-1", "abc", "1000"])
def test_stats_refuse_a_bad_period(events_client, days):
    response = events_client.get(f"/v1/stats?days={days}")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_days"


def test_stats_are_not_shown_to_other_machines(events_client):
    response = events_client.get("/v1/stats", environ_base={"REMOTE_ADDR": "192.168.1.20"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "loopback_only"
