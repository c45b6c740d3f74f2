"""End-to-end harness shared by the browser tests (conftest.py) and
tests/benchmarks/bench_extension.py: fixture HTTPS server, the real helper on waitress, Debian's
Chromium with the unpacked extension (Playwright for Python), and page helpers.

What works on this machine is recorded in ../../../shared/BROWSER-TESTS.md; this follows it.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
EXTENSION_DIR = REPO / "extension"
BUILD_DIR = HERE / "build"
CHROMIUM = os.environ.get("TOONTJE_CHROMIUM", "/usr/bin/chromium")
if str(HERE) not in sys.path:
    sys.path.append(str(HERE))

from fixture_server import FixtureServer, make_certificate  # noqa: E402,F401 (re-exported)

WARN_CATEGORIES = ["argumentative", "attacking", "defensive", "impatient", "dismissive", "emotional"]
URLS = {
    "lexical": "https://www.facebook.com/bolcom/posts/1001",
    "quill": "https://www.linkedin.com/feed/update/urn:li:activity:7001/?editor=quill",
    "tiptap": "https://www.linkedin.com/feed/update/urn:li:activity:7001/?editor=tiptap",
}
SITE_OF = {"lexical": "facebook", "quill": "linkedin", "tiptap": "linkedin"}
BADGE_STATES = ("ok", "review", "warn", "offline", "paused", "checking")


def utf16_slice(text: str, start: int, end: int) -> str:
    """text[start:end] with start/end in UTF-16 code units, as JavaScript and the helper count."""
    units = text.encode("utf-16-le")
    return units[2 * start:2 * end].decode("utf-16-le")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_fixture_build() -> None:
    """Build the editor bundles if they are missing (tests/run-all.sh normally does this)."""
    wanted = [BUILD_DIR / f"{n}.js" for n in ("lexical", "quill", "tiptap")]
    if all(p.exists() for p in wanted):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to build the fixture editors (tests/browser: npm ci && npm run build)")
    if not (HERE / "node_modules").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True)
    subprocess.run([npm, "run", "--silent", "build"], cwd=HERE, check=True)


# --------------------------------------------------------------------------- helper process
class Helper:
    """The real helper: `python -m toontje serve --port PORT` on waitress, stoppable and restartable."""

    def __init__(self, port: int | None = None, command: list[str] | None = None):
        self.port = port or free_port()
        # TOONTJE_E2E_HELPER overrides the command (e.g. another build of the helper); "--port PORT" is appended.
        override = os.environ.get("TOONTJE_E2E_HELPER")
        self.command = command or (override.split() if override else
                                   [sys.executable, "-m", "toontje", "serve", "--host", "127.0.0.1"])
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile()
        # The extension counts events; they must land in a throwaway store, not the user's data dir.
        self.data_dir = tempfile.mkdtemp(prefix="toontje-e2e-data-")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> "Helper":
        self.proc = subprocess.Popen(
            [*self.command, "--port", str(self.port)],
            cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "TOONTJE_DATA_DIR": self.data_dir},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"helper exited with {self.proc.returncode}: {self.output()[-2000:]}")
            try:
                health = self.get("/v1/health")
                if health.get("status") == "ok":
                    self.warm_up()
                    return self
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"helper not healthy after {timeout}s: {self.output()[-2000:]}")

    def warm_up(self) -> None:
        """The first analysis loads rule catalogues and sentiment lexicons; do it before the browser asks."""
        for text in ("Zoals ik al zei, dat is uw eigen schuld.", "As I said, not our fault."):
            body = {"text": text, "context": {"author": "Sanne de Boer", "comment": "Waar blijft mijn pakket?"}}
            try:
                self.post("/v1/analyze", body)
                self.post("/v1/rewrite", body)
            except (OSError, ValueError):
                pass  # the tests report what does not work

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        # The port must be closed before we report the helper as stopped.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path, timeout=5) as r:
            return json.loads(r.read())

    def post(self, path: str, body: dict) -> dict:
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def analyze(self, text: str, context: dict | None = None) -> dict:
        body = {"text": text}
        if context:
            body["context"] = context
        return self.post("/v1/analyze", body)


class BlackHole:
    """A loopback port that accepts connections and never answers: a hung helper."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.sock.close()


# --------------------------------------------------------------------------- browser
def default_settings(helper_url: str) -> dict:
    """chrome.storage.sync settings, shape from DESIGN.md."""
    return {
        "enabled": True,
        "sites": {"facebook": True, "linkedin": True},
        "helperUrl": helper_url,
        "holdCategories": list(WARN_CATEGORIES),
        "readContext": True,
        "uiLanguage": "en",
        # Generous, so a loaded test machine does not turn a slow analysis into "offline" (the post
        # would then go through, by design). The 800 ms default is tested with a hung helper.
        "helperTimeoutMs": 3000,
        "countEvents": False,
    }


# Added to every page before the content scripts run: records each badge's data-state changes
# (window.__toontjeBadgeLog = [[badgeFor, state, performance.now()], ...]) so a test can tell that
# a state was shown even when a later one replaced it.
BADGE_LOG_SCRIPT = r"""
(() => {
  const log = window.__toontjeBadgeLog = [];
  const seen = new WeakSet();
  const watch = (badge) => {
    if (seen.has(badge)) return;
    seen.add(badge);
    const id = () => badge.getAttribute('data-toontje-for');
    log.push([id(), badge.getAttribute('data-state'), performance.now()]);
    // Several changes can arrive in one batch: each record's oldValue is the value the previous
    // change set, and the element's current value is the last one.
    new MutationObserver((records) => {
      const now = performance.now();
      for (let i = 1; i < records.length; i += 1) log.push([id(), records[i].oldValue, now]);
      log.push([id(), badge.getAttribute('data-state'), now]);
    }).observe(badge, { attributes: true, attributeFilter: ['data-state'], attributeOldValue: true });
  };
  // The moment the user posted (the first capture listener on window runs before the extension's).
  window.__toontjeSubmitAt = null;
  addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey && e.isTrusted) window.__toontjeSubmitAt = e.timeStamp; }, true);
  addEventListener('click', (e) => { if (e.isTrusted) window.__toontjeSubmitAt = e.timeStamp; }, true);
  const start = () => new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) {
      if (n.nodeType === 1 && n.hasAttribute('data-toontje-badge')) watch(n);
    }
  }).observe(document.documentElement, { childList: true, subtree: true });
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
})();
"""


class Browser:
    """One persistent Chromium context with the unpacked extension, for a whole session."""

    def __init__(self, fixture_port: int, extension_dir: Path = EXTENSION_DIR):
        from playwright.sync_api import sync_playwright

        self.profile = tempfile.mkdtemp(prefix="toontje-profile-")
        self.pw = sync_playwright().start()
        rules = f"MAP www.facebook.com 127.0.0.1:{fixture_port}, MAP web.facebook.com 127.0.0.1:{fixture_port}, " \
                f"MAP www.linkedin.com 127.0.0.1:{fixture_port}"
        args = [
            f"--disable-extensions-except={extension_dir}",
            f"--load-extension={extension_dir}",
            "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--host-resolver-rules={rules}", "--ignore-certificate-errors",
        ]
        self.context = self.pw.chromium.launch_persistent_context(
            self.profile, executable_path=CHROMIUM, headless=True, args=args,
            ignore_https_errors=True, viewport={"width": 1100, "height": 900},
        )
        self.context.set_default_timeout(5000)
        self.context.add_init_script(BADGE_LOG_SCRIPT)
        self._worker = None

    @property
    def worker(self):
        live = [w for w in self.context.service_workers if w.url.startswith("chrome-extension://")]
        if live:
            self._worker = live[-1]
        if self._worker is None:
            self._worker = self.context.wait_for_event("serviceworker", timeout=10000)
        return self._worker

    @property
    def extension_id(self) -> str:
        return self.worker.url.split("/")[2]

    def storage(self, script: str, arg=None):
        """Run `async (arg) => ...` in the service worker (chrome.* available); retry once if it was restarted."""
        try:
            return self.worker.evaluate(script, arg)
        except Exception:
            self._worker = None
            page = self.context.new_page()
            try:
                page.goto(f"chrome-extension://{self.extension_id}/manifest.json")
            finally:
                page.close()
            return self.worker.evaluate(script, arg)

    def set_settings(self, settings: dict) -> None:
        self.storage("async (s) => { await chrome.storage.sync.clear(); await chrome.storage.sync.set(s); }", settings)

    def update_settings(self, patch: dict) -> None:
        self.storage("async (p) => { await chrome.storage.sync.set(p); }", patch)

    def close(self) -> None:
        try:
            self.context.close()
        finally:
            self.pw.stop()
            shutil.rmtree(self.profile, ignore_errors=True)


# --------------------------------------------------------------------------- pages
class SitePage:
    """A fixture page for one editor kind: 'lexical' (Facebook), 'quill' or 'tiptap' (LinkedIn)."""

    def __init__(self, page, kind: str):
        self.page = page
        self.kind = kind

    def open(self, url: str | None = None) -> "SitePage":
        self.page.goto(url or URLS[self.kind])
        self.page.wait_for_selector("html[data-fixture-ready=true]", state="attached")
        return self

    # locators ------------------------------------------------------------------
    def box(self, box_id: str = "reply-sanne"):
        return self.page.locator(f'[data-fixture-box="{box_id}"]')

    def composer(self, box_id: str = "reply-sanne"):
        return self.page.locator(f'[data-fixture-composer="{box_id}"]')

    def badge(self, box_id: str = "reply-sanne"):
        """The badge of one box: the extension links them (box[data-toontje-box] = badge[data-toontje-for])."""
        self.page.wait_for_selector(f'[data-fixture-box="{box_id}"][data-toontje-box]', state="attached", timeout=8000)
        ext_id = self.box(box_id).get_attribute("data-toontje-box")
        return self.page.locator(f'[data-toontje-badge][data-toontje-for="{ext_id}"]')

    def submit_button(self, box_id: str = "reply-sanne"):
        c = self.composer(box_id)
        if self.kind == "lexical":
            return c.locator('div[role="button"][aria-label="Comment"]')
        if self.kind == "quill":
            return c.locator("button.comments-comment-box__submit-button--cr")
        return c.locator('button[data-view-name="comment-post"], button[data-view-name="comment-reply-post"]')

    @property
    def panel(self):
        return self.page.locator("[data-toontje-panel]")

    def rewrite_text(self, timeout: float = 8000) -> str:
        """The helper's rewrite shown in the open panel, once it has arrived."""
        rewrite = self.panel.locator("[data-toontje-rewrite]")
        rewrite.wait_for(state="visible", timeout=timeout)
        self.page.wait_for_function(
            "(el) => el.getAttribute('aria-busy') !== 'true'", arg=rewrite.element_handle(), timeout=timeout)
        return rewrite.text_content()

    def choose(self, action: str) -> None:
        """Click one of the open panel's buttons the way an agent does: after the rewrite has
        arrived. Its text lands above the buttons and moves them; a click whose press and release
        straddle that move reaches no button at all."""
        self.rewrite_text()
        self.panel.locator(f'[data-action="{action}"]').click()

    def snapshot(self) -> dict:
        """What a failed test needs to see: the open panels, the posts, the focused element and the window."""
        return self.page.evaluate("""() => ({
          panels: [...document.querySelectorAll('[data-toontje-panel]')].map((panel) => ({
            for: panel.getAttribute('data-toontje-for'),
            rewriteBusy: panel.querySelector('[data-toontje-rewrite]')?.getAttribute('aria-busy'),
            rect: panel.getBoundingClientRect().toJSON(),
            scrollTop: panel.scrollTop,
          })),
          posts: window.fixture?.postedTexts?.() ?? null,
          focused: document.activeElement ? document.activeElement.outerHTML.slice(0, 160) : null,
          window: [window.innerWidth, window.innerHeight, window.scrollY],
        })""")

    # editor state --------------------------------------------------------------
    def editor_text(self, box_id: str = "reply-sanne") -> str:
        return self.page.evaluate("(id) => window.fixture.editorText(id)", box_id)

    def posts(self, box_id: str | None = None) -> list[str]:
        return self.page.evaluate("(id) => window.fixture.postedTexts(id === null ? undefined : id)", box_id)

    # actions -------------------------------------------------------------------
    def focus(self, box_id: str = "reply-sanne") -> None:
        self.box(box_id).click()

    def write(self, text: str, box_id: str = "reply-sanne", typed: bool = False) -> None:
        """Put text in the box as a user would: click, then type it or commit it in one input (like a paste/IME)."""
        self.focus(box_id)
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if i:
                self.page.keyboard.press("Shift+Enter")
            if typed:
                self.page.keyboard.type(line)
            elif line:
                self.page.keyboard.insert_text(line)
        self.wait_editor_text(text, box_id)

    def wait_editor_text(self, text: str, box_id: str = "reply-sanne", timeout: float = 5000) -> None:
        self.page.wait_for_function(
            "([id, t]) => window.fixture.editorText(id) === t", arg=[box_id, text], timeout=timeout)

    def submit(self, box_id: str = "reply-sanne", how: str | None = None) -> None:
        """Post the way the site posts: Enter on Facebook, the button on LinkedIn."""
        how = how or ("enter" if self.kind == "lexical" else "button")
        if how == "enter":
            self.focus_end(box_id)
            self.page.keyboard.press("Enter")
        else:
            self.submit_button(box_id).click()

    def focus_end(self, box_id: str = "reply-sanne") -> None:
        box = self.box(box_id)
        if not box.evaluate("(el) => el.contains(document.activeElement) || el === document.activeElement"):
            box.click()
        self.page.keyboard.press("Control+End")

    def ime_commit_with_enter(self, composing: str = "にほん", final: str = "日本") -> None:
        """A real IME composition (through CDP) confirmed with Enter: the keydown is trusted and
        carries isComposing = true and keyCode 229, as Chromium sends it for a Japanese IME."""
        cdp = self.page.context.new_cdp_session(self.page)
        try:
            cdp.send("Input.imeSetComposition", {"text": composing, "selectionStart": len(composing),
                                                 "selectionEnd": len(composing)})
            cdp.send("Input.dispatchKeyEvent", {"type": "rawKeyDown", "windowsVirtualKeyCode": 229,
                                                "nativeVirtualKeyCode": 13, "key": "Enter", "code": "Enter"})
            cdp.send("Input.insertText", {"text": final})
            cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", "windowsVirtualKeyCode": 13,
                                                "key": "Enter", "code": "Enter"})
        finally:
            cdp.detach()

    def clear_editor(self, box_id: str = "reply-sanne") -> None:
        self.focus(box_id)
        self.page.keyboard.press("Control+a")
        self.page.keyboard.press("Backspace")
        self.wait_editor_text("", box_id)

    def settle(self, ms: int = 400) -> None:
        """A bounded look for late effects (a double post, a late panel) after the condition was met."""
        self.page.wait_for_timeout(ms)

    def wait_posted(self, count: int, box_id: str | None = None, timeout: float = 5000) -> list[str]:
        self.page.wait_for_function(
            "([id, n]) => window.fixture.postedTexts(id === null ? undefined : id).length >= n",
            arg=[box_id, count], timeout=timeout)
        return self.posts(box_id)

    def badge_states_since(self, box_id: str, since: float) -> list[str]:
        """States the box's badge showed at or after page time `since` (performance.now())."""
        ext_id = self.box(box_id).get_attribute("data-toontje-box")
        return self.page.evaluate(
            "([id, since]) => window.__toontjeBadgeLog.filter(([f, s, t]) => f === id && t >= since).map(e => e[1])",
            [ext_id, since])

    def submit_to_last_post_ms(self) -> float:
        """Page time from the user's last Enter/click to the site's last post."""
        return self.page.evaluate("() => window.fixture.lastPostAt() - window.__toontjeSubmitAt")

    def now(self) -> float:
        return self.page.evaluate("() => performance.now()")

    def wait_badge_shown(self, state: str, since: float, box_id: str = "reply-sanne", timeout: float = 5000) -> None:
        ext_id = self.box(box_id).get_attribute("data-toontje-box")
        self.page.wait_for_function(
            "([id, state, since]) => window.__toontjeBadgeLog.some(([f, s, t]) => f === id && s === state && t >= since)",
            arg=[ext_id, state, since], timeout=timeout)

    def wait_badge(self, states, box_id: str = "reply-sanne", timeout: float = 8000) -> str:
        states = [states] if isinstance(states, str) else list(states)
        badge = self.badge(box_id)
        badge.wait_for(state="attached", timeout=timeout)
        handle = badge.element_handle()
        self.page.wait_for_function(
            "([el, states]) => states.includes(el.getAttribute('data-state'))", arg=[handle, states], timeout=timeout)
        return handle.get_attribute("data-state")
