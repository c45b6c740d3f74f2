"""Robustness of the extension in the real editors: helper down or hung, switched off, boxes that
appear later, SPA navigation, several boxes, emoji offsets, IME composition, caret and focus."""
from __future__ import annotations


import pytest

from browser_harness import BlackHole, SitePage, utf16_slice
from e2e_texts import EMOJI_RISKY, RISKY, RISKY_2, SAFE


def test_helper_stopped_lets_the_post_through_and_is_found_again(browser, settings, helper):
    """All three editors at once, so the helper is stopped and restarted only once."""
    sites = [SitePage(browser.context.new_page(), kind).open() for kind in ("lexical", "quill", "tiptap")]
    try:
        for site in sites:
            site.write(RISKY)
            assert site.wait_badge("warn") == "warn", site.kind
        helper.stop()
        try:
            for site in sites:
                # A text the helper has not seen, posted at once: the check fails, the post goes through.
                site.focus_end()
                site.page.keyboard.type(" Echt.")
                text = RISKY + " Echt."
                site.wait_editor_text(text)
                since = site.now()
                site.submit()
                assert site.wait_posted(1, timeout=3000) == [text], site.kind
                elapsed = site.submit_to_last_post_ms()
                assert elapsed <= 1000, f"{site.kind}: post went through {elapsed:.0f} ms after Enter/click with the helper down"
                site.wait_badge_shown("offline", since)  # grey, with a short explanation
                # The next reply, with the helper still down: grey badge with its reason, and it posts.
                site.write(RISKY_2)
                assert site.wait_badge("offline") == "offline", site.kind
                assert site.badge().get_attribute("title") or site.badge().text_content().strip()
                site.submit()
                assert site.wait_posted(2, timeout=3000) == [text, RISKY_2], site.kind
            sites[0].settle()
            for site in sites:
                assert site.posts() == [RISKY + " Echt.", RISKY_2], f"{site.kind}: never a double post"
        finally:
            helper.start()
        # The extension finds the helper again by itself.
        for site in sites:
            site.write(RISKY)
            assert site.wait_badge("warn", timeout=15000) == "warn", site.kind
            site.submit()
            site.panel.wait_for(state="visible")
            assert site.posts() == [RISKY + " Echt.", RISKY_2], site.kind
    finally:
        for site in sites:
            site.page.close()


@pytest.mark.parametrize("kind", ["lexical", "quill"], indirect=True)
def test_hung_helper_times_out_and_post_goes_through(site, browser, settings):
    hole = BlackHole()
    try:
        browser.update_settings({"helperUrl": hole.url, "helperTimeoutMs": 800})
        site.write(RISKY)
        since = site.now()
        site.submit()
        assert site.wait_posted(1, timeout=4000) == [RISKY]
        elapsed = site.submit_to_last_post_ms()
        assert elapsed <= 1000, f"posted {elapsed:.0f} ms after Enter/click with an 800 ms helper timeout"
        site.wait_badge_shown("offline", since)
        site.settle()
        assert site.posts() == [RISKY]
    finally:
        hole.close()


def test_switched_off_globally_means_no_badge_and_no_interference(page, browser, settings, kind):
    browser.update_settings({"enabled": False})
    site = SitePage(page, kind).open()
    site.write(RISKY)
    site.submit()
    assert site.wait_posted(1) == [RISKY]
    site.settle()
    assert site.posts() == [RISKY]
    assert page.locator("[data-toontje-badge]").count() == 0
    assert site.panel.count() == 0


def test_switched_off_for_this_site_only(page, browser, settings, kind):
    this_site = "facebook" if kind == "lexical" else "linkedin"
    other_kind = "quill" if kind == "lexical" else "lexical"
    browser.update_settings({"sites": {"facebook": True, "linkedin": True, this_site: False}})
    site = SitePage(page, kind).open()
    site.write(RISKY)
    site.submit()
    assert site.wait_posted(1) == [RISKY]
    site.settle()
    assert page.locator("[data-toontje-badge]").count() == 0
    assert site.panel.count() == 0
    # The other site is still guarded.
    other = SitePage(page.context.new_page(), other_kind).open()
    try:
        other.write(RISKY)
        other.submit()
        other.panel.wait_for(state="visible")
        assert other.posts() == []
    finally:
        other.page.close()


def test_switching_off_while_the_page_is_open(site, browser):
    site.write(RISKY)
    assert site.wait_badge("warn") == "warn"
    browser.update_settings({"enabled": False})
    # Switched off: the badges go away (or at most show "paused").
    site.page.wait_for_function(
        "() => [...document.querySelectorAll('[data-toontje-badge]')]"
        ".every(b => b.getAttribute('data-state') === 'paused')")
    site.submit()
    assert site.wait_posted(1) == [RISKY]
    assert site.panel.count() == 0


def test_box_added_after_load(site):
    site.write(SAFE)  # the extension is running on the page
    site.wait_badge(["ok", "review"])
    site.page.click("#fixture-add-box")  # the site adds a new comment with its reply box
    box = "reply-lotte"
    site.page.wait_for_selector(f'[data-fixture-box="{box}"]')
    site.write(RISKY, box)
    assert site.wait_badge("warn", box) == "warn"
    site.submit(box)
    site.panel.wait_for(state="visible")
    assert site.posts() == []
    assert site.editor_text(box) == RISKY


def test_spa_navigation_without_reload(site):
    site.write(SAFE)
    site.wait_badge(["ok", "review"])
    site.page.click("#fixture-spa-link")
    site.page.wait_for_selector('[data-fixture-box="reply-kees"]')
    assert "/urn:li:activity:7002/" in site.page.url or "/posts/1002" in site.page.url
    site.write(RISKY, "reply-kees")
    site.submit("reply-kees")
    panel = site.panel
    panel.wait_for(state="visible")
    assert site.posts() == []
    rewrite = site.rewrite_text()
    assert "Kees" in rewrite, f"the rewrite should greet the new thread's customer: {rewrite!r}"
    assert "Sanne" not in rewrite


def test_several_boxes_on_one_page(site):
    site.write(RISKY, "reply-sanne")
    site.write(SAFE, "top")
    assert site.wait_badge("warn", "reply-sanne") == "warn"
    assert site.wait_badge(["ok", "review"], "top") in ("ok", "review")
    assert site.badge("reply-sanne").count() == 1 and site.badge("top").count() == 1
    site.submit("top")
    assert site.wait_posted(1, "top") == [SAFE]
    site.submit("reply-sanne")
    site.panel.wait_for(state="visible")
    assert site.panel.count() == 1
    site.settle()
    assert site.posts() == [SAFE]
    assert site.editor_text("reply-sanne") == RISKY


def test_emoji_before_a_finding_highlights_the_flagged_words(site, helper):
    analysis = helper.analyze(EMOJI_RISKY, {"author": "Sanne de Boer"})
    spans = {(f["start"], f["end"]) for f in analysis["findings"] if f["end"] > f["start"]}
    assert analysis["verdict"] == "warn" and spans, analysis
    site.write(EMOJI_RISKY)
    site.submit()
    panel = site.panel
    panel.wait_for(state="visible")
    marks = panel.locator("mark[data-start][data-end]")
    assert marks.count() >= 1
    seen = []
    for i in range(marks.count()):
        m = marks.nth(i)
        start, end = int(m.get_attribute("data-start")), int(m.get_attribute("data-end"))
        text = m.text_content()
        assert text == utf16_slice(EMOJI_RISKY, start, end), (start, end, text)
        assert "😊" not in text
        seen.append((start, end, text))
    # Each mark lies within what the helper flagged (UTF-16 offsets, as the helper sent them).
    for start, end, _ in seen:
        assert any(s <= start and end <= e for s, e in spans), (start, end, spans)
    assert any("al zei" in t.lower() or "niets aan doen" in t.lower() for _, _, t in seen), seen


def test_ime_composition_enter_neither_posts_nor_holds(site):
    site.write(RISKY)
    site.wait_badge("warn")
    site.focus_end()
    site.ime_commit_with_enter("にほん", "日本")
    site.wait_editor_text(RISKY + "日本")
    site.settle()
    assert site.panel.count() == 0
    assert site.posts() == []
    # A normal post afterwards is still held.
    site.submit()
    site.panel.wait_for(state="visible")
    assert site.posts() == []


def test_badge_never_steals_focus_or_moves_the_caret(site):
    site.focus()
    site.page.keyboard.type("Dat is uw eigen schuld.")
    assert site.wait_badge("warn") == "warn"
    # Edit in the middle of the text while the badge updates.
    site.page.keyboard.press("Home")
    since = site.now()
    site.page.keyboard.type("Sorry, ")
    # Wait until the debounced check of the edited text has landed on the badge.
    ext_id = site.box().get_attribute("data-toontje-box")
    site.page.wait_for_function(
        "([id, since]) => window.__toontjeBadgeLog.some(([f, s, t]) => f === id && t >= since && s === 'checking')"
        " && ['ok', 'review', 'warn'].includes(document.querySelector(`[data-toontje-badge][data-toontje-for=\"${id}\"]`).dataset.state)",
        arg=[ext_id, since], timeout=8000)
    site.page.keyboard.type("maar ")
    site.wait_editor_text("Sorry, maar Dat is uw eigen schuld.")
    assert site.box().evaluate("(el) => el.contains(document.activeElement) || el === document.activeElement")
    badge = site.badge()
    assert badge.get_attribute("role") == "status"
    assert badge.get_attribute("aria-live") == "polite"


def test_pasted_text_is_checked(site):
    site.focus()
    site.page.evaluate("""(text) => {
        const el = document.activeElement;
        const dt = new DataTransfer();
        dt.setData('text/plain', text);
        el.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true}));
    }""", RISKY)
    site.wait_editor_text(RISKY)
    assert site.wait_badge("warn") == "warn"
    site.submit()
    site.panel.wait_for(state="visible")
    assert site.posts() == []


@pytest.mark.parametrize("kind", ["lexical"], indirect=True)
def test_web_facebook_host_is_guarded_too(page, settings, kind):
    site = SitePage(page, kind).open("https://web.facebook.com/bolcom/posts/1001")
    site.write(RISKY)
    site.submit()
    site.panel.wait_for(state="visible")
    assert site.posts() == []


@pytest.mark.parametrize("kind", ["lexical", "quill"], indirect=True)
def test_text_over_the_helpers_limit_is_not_held(site, helper):
    text = ("Dat is uw eigen schuld. " * 420).strip()  # > 10,000 characters: the helper answers 413
    assert len(text) > 10_000
    site.focus()
    site.wait_badge("paused")  # the empty box
    since = site.now()
    site.page.keyboard.insert_text(text)
    site.wait_editor_text(text)
    site.wait_badge_shown("paused", since)  # grey: too long to check, the helper itself is fine
    assert site.badge().get_attribute("data-state") == "paused"
    site.submit()
    assert site.wait_posted(1) == [text]
    assert site.panel.count() == 0


def test_spa_navigation_with_a_held_post_leaves_nothing_behind(site):
    site.write(RISKY)
    site.submit()
    site.panel.wait_for(state="visible")
    old_badge = site.box().get_attribute("data-toontje-box")
    site.page.evaluate("() => window.fixture.navigate(location.pathname.includes('/posts/') ? "
                       "'/bolcom/posts/1002' : '/feed/update/urn:li:activity:7002/')")
    site.page.wait_for_selector('[data-fixture-box="reply-kees"]')
    site.panel.wait_for(state="detached")
    site.page.wait_for_selector(f'[data-toontje-badge][data-toontje-for="{old_badge}"]', state="detached")
    assert site.posts() == []
    site.write(RISKY, "reply-kees")
    assert site.wait_badge("warn", "reply-kees") == "warn"
