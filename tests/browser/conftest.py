"""Fixtures for the end-to-end tests: one fixture HTTPS server, one real helper (waitress) and one
Chromium with the unpacked extension per session; a fresh page and reset settings per test."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Appended, not prepended: tests/*.py import tests/conftest.py as `conftest`; never shadow it.
sys.path.append(str(Path(__file__).resolve().parent))

from browser_harness import (  # noqa: E402
    CHROMIUM, EXTENSION_DIR, Browser, Helper, FixtureServer, SitePage, default_settings,
    ensure_fixture_build, make_certificate,
)

KINDS = ("lexical", "quill", "tiptap")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: end-to-end test in Chromium with the extension")


@pytest.fixture(scope="session")
def fixture_server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (tests/run-all.sh installs it)")
    ensure_fixture_build()
    cert, key = make_certificate(tmp_path_factory.mktemp("certs"))
    server = FixtureServer(cert, key).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def helper():
    h = Helper().start()
    yield h
    h.stop()


@pytest.fixture(scope="session")
def browser(fixture_server):
    assert (EXTENSION_DIR / "manifest.json").exists(), f"no extension at {EXTENSION_DIR}"
    b = Browser(fixture_server.port)
    yield b
    b.close()


@pytest.fixture
def settings(browser, helper):
    """Reset the extension's settings to the defaults, pointed at this session's helper."""
    if not helper.running:  # a test that stopped the helper failed before restarting it
        helper.start()
    s = default_settings(helper.url)
    browser.set_settings(s)
    return s


@pytest.fixture
def page(browser, settings):
    p = browser.context.new_page()
    errors: list[str] = []
    console: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    p.page_errors = errors
    p.console_messages = console
    yield p
    p.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test reports what the page looked like, so a rare failure on CI can be
    understood from its log alone."""
    report = yield
    site = item.funcargs.get("site") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and isinstance(site, SitePage) and not site.page.is_closed():
        try:
            state = site.snapshot()
        except Exception as error:  # the page may be the thing that broke
            state = f"(no snapshot: {error})"
        console = "\n".join(site.page.console_messages[-30:])
        report.sections.append(("page state at failure", f"{state}\n--- console ---\n{console}"))
    return report


@pytest.fixture(params=KINDS)
def kind(request):
    return request.param


@pytest.fixture
def site(page, kind):
    return SitePage(page, kind).open()
