"""The dashboard at `/` (issue 4, part 2): served safely, and working in real headless Chromium.

The browser tests run the real helper (`python -m toontje serve`) on a free loopback port with
the example house rules and a temporary data directory, and Debian's Chromium through
Playwright (no extension needed). Set TOONTJE_SCREENSHOTS=DIR to also save the README's
screenshots of the dashboard and of an audit report.
"""

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from toontje.api import create_app
from toontje.cli import main as toontje_main
from toontje.events import Event, EventStore

TEST_PORT = 8765
# SERVER_NAME makes the test client address the app as http://127.0.0.1:PORT, as a browser on
# this machine would (the app refuses other Host headers). Defined here rather than imported
# from conftest: tests/browser has a conftest module of its own, so "conftest" is ambiguous.
TEST_CONFIG = {"TESTING": True, "PORT": TEST_PORT, "SERVER_NAME": f"127.0.0.1:{TEST_PORT}"}

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
EXTENSION_ORIGIN = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
EXAMPLE_HOUSE_RULES = resources.files("toontje").joinpath("static/house-rules.example.toml")
RISKY_NL = "Dat is niet onze schuld. Als u de handleiding had gelezen, had u dit probleem niet gehad!!!"
SCREENSHOTS = os.environ.get("TOONTJE_SCREENSHOTS")
# The helper answers in milliseconds, but on a busy 2-core machine a page load can take seconds.
WAIT_MS = 15_000
# Past replies for the audit report: (reply, agent, customer).
AUDIT_SAMPLE = [
    (RISKY_NL, "Piet", "Sanne de Boer"),
    ("Hoi Sanne, wat vervelend dat je pakket nog niet binnen is! Stuur ons een DM met je ordernummer, "
     "dan zoeken we het meteen uit.", "Kees", "Sanne de Boer"),
    ("Zoals ik al zei: daar kunnen wij niets aan doen.", "Piet", "Dhr. P. de Vries"),
    ("Dank je wel, Eva! Leuk dat je zo blij bent met je nieuwe fiets.", "Kees", "Eva Jansen"),
    ("U vergist zich, volgens onze gegevens is het pakket gewoon bezorgd.", "Anna", "Mevr. J. Jansen"),
    ("Helaas pindakaas, de actie is voorbij.", "Anna", "Daan"),
    ("Dit zal nooit meer gebeuren.", "Anna", "Lotte Bakker"),
    ("Hi John, sorry to hear the charger stopped working. Could you DM us your order number?", "Kees", "John Smith"),
    ("As I said before, that is just how it is.", "Piet", "Mr. John Smith"),
    ("Wat vervelend om te lezen dat je dit zo ervaren hebt. We betreuren het ongemak.", "Anna", "Fatima"),
    ("Goed voor te stellen dat dit teleurstellend is, Mo. Mogen we je bellen om het op te lossen?", "Kees", "Mo"),
    ("PFFF. Lees eerst de handleiding voordat je gaat klagen!!!", "Piet", "Bram"),
]


# --- served safely (test client) ----------------------------------------------------------------


@pytest.fixture
def client(tmp_path):
    return create_app({**TEST_CONFIG, "EVENTS_DB": str(tmp_path / "events.sqlite3")}).test_client()


def test_the_page_and_its_assets_are_served_with_a_strict_policy(client):
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b'id="playground"' in page.data and b'id="rule-search"' in page.data
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    for asset in ("/assets/dashboard.js", "/assets/dashboard.css"):
        assert client.get(asset).status_code == 200
    # Everything the page loads is its own: no CDN, no other origin.
    assert b"http://" not in page.data.replace(b"http://www.w3.org", b"") and b"https://" not in page.data


def test_the_page_is_only_shown_on_loopback(client):
    remote = {"REMOTE_ADDR": "192.168.1.20"}
    for path in ("/", "/assets/dashboard.js", "/v1/stats", "/v1/house-rules"):
        response = client.get(path, environ_base=remote)
        assert response.status_code == 403, path
        assert response.get_json()["error"]["code"] == "loopback_only"


def test_the_page_obeys_the_host_rule(client):
    response = client.get("/", headers={"Host": "evil.example:8765"})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden_host"


def test_the_pages_own_origin_may_call_the_api_and_other_pages_may_not(client):
    body = json.dumps({"text": RISKY_NL})
    own = client.post("/v1/analyze", data=body, content_type="application/json",
                      headers={"Origin": f"http://127.0.0.1:{TEST_PORT}"})
    assert own.status_code == 200 and own.get_json()["verdict"] == "warn"
    for origin in ("http://localhost:3000", f"http://127.0.0.1:{TEST_PORT + 1}", "null", "https://evil.example"):
        other = client.post("/v1/analyze", data=body, content_type="application/json", headers={"Origin": origin})
        assert other.status_code == 403, origin


def test_without_house_rules_the_status_says_so(client):
    assert client.get("/v1/house-rules").get_json()["path"] is None


# --- in real Chromium ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _seed_two_weeks_of_counts(path):
    """For the README screenshot only: a plausible fortnight of counts (the API accepts only today's)."""
    store = EventStore(path)
    rng = random.Random(7)
    today = date.today()
    for days_ago in range(14, 0, -1):
        for _ in range(rng.randrange(2, 9)):
            category = rng.choice(["attacking", "impatient", "defensive", "dismissive", "emotional", "argumentative"])
            site = rng.choice(["facebook", "facebook", "linkedin"])
            day = today - timedelta(days=days_ago)
            store.record(Event("warning-shown", category, site, day))
            outcome = rng.choices(["post-held", "rewrite-used", "posted-anyway"], weights=[2, 5, 1])[0]
            if outcome != "post-held":
                store.record(Event("post-held", category, site, day))
            store.record(Event(outcome, category, site, day))
    store.close()


@pytest.fixture(scope="module")
def helper(tmp_path_factory):
    """`toontje serve` with the example house rules; its counts go to a temporary directory."""
    data_dir = tmp_path_factory.mktemp("data")
    house_rules = data_dir / "house-rules.toml"
    house_rules.write_text(EXAMPLE_HOUSE_RULES.read_text(encoding="utf-8"), encoding="utf-8")
    if SCREENSHOTS:
        _seed_two_weeks_of_counts(data_dir / "events.sqlite3")
    port = free_port()
    log = open(data_dir / "helper.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "toontje", "serve", "--port", str(port), "--house-rules", str(house_rules)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        env={**os.environ, "TOONTJE_DATA_DIR": str(data_dir)},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/v1/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((data_dir / "helper.log").read_text(errors="replace"))
            time.sleep(0.05)
    yield url
    process.send_signal(signal.SIGINT)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


class ChromiumThread:
    """Debian's Chromium, driven from a thread of its own.

    Playwright's sync API allows one running instance per thread, and the end-to-end tests in
    tests/browser keep theirs open for the whole session; with a thread of their own these tests
    do not depend on whether those ran first. Every Playwright call happens in that thread.
    """

    def __init__(self):
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dashboard-chromium")
        self._thread.submit(self._launch).result()

    def _launch(self):
        self._playwright = sync_playwright().start()
        self._chromium = self._playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)

    def run(self, scenario, *args, viewport=(1280, 900)):
        """scenario(page, *args) on a fresh page; console errors are collected in page.console_errors."""
        return self._thread.submit(self._on_new_page, scenario, args, viewport).result()

    def _on_new_page(self, scenario, args, viewport):
        context = self._chromium.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        try:
            page = context.new_page()
            page.console_errors = []
            page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
            page.on("pageerror", lambda error: page.console_errors.append(str(error)))
            return scenario(page, *args)
        finally:
            context.close()

    def close(self):
        def stop():
            self._chromium.close()
            self._playwright.stop()

        self._thread.submit(stop).result()
        self._thread.shutdown()


@pytest.fixture(scope="module")
def chromium():
    browser = ChromiumThread()
    yield browser
    browser.close()


def post_event(url, event_type, category):
    body = {"type": event_type, "category": category, "site": "facebook",
            "time": datetime.now(timezone.utc).isoformat()}
    request = urllib.request.Request(
        f"{url}/v1/events", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Origin": EXTENSION_ORIGIN},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status


def test_typing_in_the_playground_highlights_and_rewrites(helper, chromium):
    chromium.run(_type_in_the_playground, helper)

def _type_in_the_playground(page, helper):
    page.goto(helper + "/")
    page.locator("#author").fill("Sanne de Boer")
    page.locator("#reply").press_sequentially(RISKY_NL, delay=5)

    page.wait_for_selector("#highlighted mark", timeout=WAIT_MS)
    assert page.locator("#verdict").get_attribute("data-verdict") == "warn"
    marks = page.locator("#highlighted mark")
    for index in range(marks.count()):
        mark = marks.nth(index)
        start, end = int(mark.get_attribute("data-start")), int(mark.get_attribute("data-end"))
        assert mark.text_content() == RISKY_NL[start:end] and mark.text_content().strip()
    assert page.locator("#findings [data-finding]").count() >= 1

    expect(page.locator("#rewrite")).not_to_be_empty(timeout=WAIT_MS)
    rewrite = page.locator("#rewrite")
    assert rewrite.text_content() != RISKY_NL
    assert rewrite.get_attribute("data-verdict") != "warn"
    assert "Sanne" in rewrite.text_content()
    assert page.console_errors == []


def test_a_house_rule_fires_in_the_playground_and_is_in_the_catalogue(helper, chromium):
    chromium.run(_fire_a_house_rule, helper)

def _fire_a_house_rule(page, helper):
    page.goto(helper + "/")
    page.locator("#reply").press_sequentially("Helaas pindakaas, de actie is voorbij.", delay=5)
    page.wait_for_selector('#highlighted mark[data-rule="house-helaas-pindakaas"]', timeout=WAIT_MS)
    assert page.locator('#highlighted mark[data-rule="house-helaas-pindakaas"]').text_content() == "Helaas pindakaas"

    page.locator("#rule-search").fill("house-helaas")
    expect(page.locator("#rule-list tr")).to_have_count(1, timeout=WAIT_MS)
    assert page.locator("#rule-list tr").get_attribute("data-rule") == "house-helaas-pindakaas"
    assert "house-rules.toml" in page.locator("#house-rules-status").text_content()
    assert page.console_errors == []


def test_the_rule_catalogue_is_searchable(helper, chromium):
    chromium.run(_search_the_rules, helper)

def _search_the_rules(page, helper):
    page.goto(helper + "/")
    expect(page.locator("#rule-count")).to_contain_text(" rules", timeout=WAIT_MS)
    everything = page.locator("#rule-list tr").count()
    page.locator("#rule-search").fill("impatient")
    expect(page.locator("#rule-list tr")).not_to_have_count(everything, timeout=WAIT_MS)
    with urllib.request.urlopen(f"{helper}/v1/rules", timeout=5) as response:
        impatient_rules = [rule["id"] for rule in json.load(response)["rules"] if rule["category"] == "impatient"]
    shown = page.locator("#rule-list tr").evaluate_all("rows => rows.map(row => row.dataset.rule)")
    assert impatient_rules and set(impatient_rules) <= set(shown) and len(shown) < everything


def test_a_count_rises_after_an_event(helper, chromium):
    chromium.run(_watch_a_count_rise, helper)

def _watch_a_count_rise(page, helper):
    page.goto(helper + "/")
    expect(page.locator("#chart-days svg")).to_have_count(1, timeout=WAIT_MS)
    before = int(page.locator("#count-post-held").get_attribute("data-count"))

    assert post_event(helper, "post-held", "attacking") == 204
    assert post_event(helper, "warning-shown", "attacking") == 204

    # The page polls the counts; no reload.
    expect(page.locator("#count-post-held")).to_have_attribute("data-count", str(before + 1), timeout=WAIT_MS)
    assert page.locator('#chart-days rect[data-type="post-held"]').count() >= 1
    assert page.locator("#chart-categories text", has_text="attacking").count() == 1
    assert page.console_errors == []

    if SCREENSHOTS:
        for event_type, category in [("warning-shown", "impatient"), ("rewrite-used", "attacking"),
                                     ("posted-anyway", "dismissive"), ("warning-shown", "emotional")]:
            post_event(helper, event_type, category)
        page.locator("#author").fill("Sanne de Boer")
        page.locator("#comment").fill("Mijn pakket is al een week te laat en niemand reageert!")
        page.locator("#reply").press_sequentially(
            "Zoals ik al zei: de bezorger is te laat, daar kunnen wij niets aan doen. "
            "Volgens onze gegevens is order 58213 gewoon verstuurd.", delay=2)
        expect(page.locator("#rewrite")).not_to_be_empty(timeout=WAIT_MS)
        page.locator("#days").select_option("7")
        expect(page.locator("#count-rewrite-used")).not_to_have_attribute("data-count", "0", timeout=WAIT_MS)
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / "dashboard.png"), full_page=True)


def test_the_audit_report_opens_from_disk_without_any_network(chromium, tmp_path):
    export = tmp_path / "export.csv"
    lines = ["text;agent;customer;date"]
    for number, (text, agent, customer) in enumerate(AUDIT_SAMPLE * 2):
        day = date(2026, 10, 5) + timedelta(days=(number * 5) % 42)
        lines.append(f'"{text}";{agent};{customer};{day.isoformat()}')
    lines.append(";Kees;Eva Jansen;2026-11-12")  # an empty reply: a bad row
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = tmp_path / "report.html"
    assert toontje_main(["audit", str(export), "--agent-column", "agent", "--date-column", "date",
                         "--author-column", "customer",
                         "--house-rules", str(EXAMPLE_HOUSE_RULES), "-o", str(report)]) == 1

    chromium.run(_open_the_report, report, viewport=(1100, 900))


def _open_the_report(page, report):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(report.as_uri())
    assert page.locator("section h2", has_text="Findings per category").count() == 1
    assert page.locator("svg.chart").count() >= 2
    assert page.locator("mark").count() >= 1
    assert requests == [report.as_uri()]
    assert page.console_errors == []
    if SCREENSHOTS:
        # The top of the report: verdicts, charts, the first findings (the whole page is very long).
        page.screenshot(path=str(Path(SCREENSHOTS) / "report.png"), full_page=True,
                        clip={"x": 0, "y": 0, "width": 1100, "height": 2100})


def test_a_broken_house_rules_file_shows_its_line_and_the_last_good_rules_stay(helper, chromium):
    chromium.run(_break_and_fix_the_house_rules, helper)

def _break_and_fix_the_house_rules(page, helper):
    with urllib.request.urlopen(f"{helper}/v1/house-rules", timeout=5) as response:
        path = Path(json.load(response)["path"])
    original = path.read_text(encoding="utf-8")
    broken = original.replace('category = "dismissive"', 'category = "grumpy"', 1)
    line = original.splitlines().index('category = "dismissive"') + 1
    try:
        path.write_text(broken, encoding="utf-8")
        page.goto(helper + "/")
        status = page.locator("#house-rules-status")
        expect(status).to_contain_text(f"line {line}: unknown category 'grumpy'", timeout=WAIT_MS)
        page.locator("#reply").press_sequentially("Helaas pindakaas, de actie is voorbij.", delay=5)
        page.wait_for_selector('#highlighted mark[data-rule="house-helaas-pindakaas"]', timeout=WAIT_MS)
    finally:
        path.write_text(original, encoding="utf-8")
        stamp = path.stat().st_mtime_ns + 1_000_000_000  # a new mtime even on a coarse clock
        os.utime(path, ns=(stamp, stamp))
    page.reload()
    expect(page.locator("#house-rules-status")).to_contain_text("(3 rules)", timeout=WAIT_MS)
