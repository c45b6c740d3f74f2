"""Holding a risky reply and the panel's three ways out, in the three real editors
(Lexical = Facebook, Quill = LinkedIn's older box, TipTap/ProseMirror = LinkedIn's newer box)."""
from __future__ import annotations

import pytest

from browser_harness import WARN_CATEGORIES, utf16_slice
from e2e_texts import RISKY, RISKY_2, SAFE


def assert_verdict(helper, text, expected, context=None):
    got = helper.analyze(text, context)["verdict"]
    assert got in expected, f"helper says {got!r} for {text!r}; the test needs {expected}"


def hold(site, text=RISKY, box="reply-sanne"):
    """Write a risky reply, post it the site's way and wait for the panel."""
    site.write(text, box)
    site.submit(box)
    site.panel.wait_for(state="visible")
    return site.panel


def test_risky_reply_is_held_and_panel_shows_findings(site, helper):
    assert_verdict(helper, RISKY, {"warn"})
    panel = hold(site)
    assert site.posts() == [], "a warn reply must not be posted"
    assert site.editor_text() == RISKY, "the agent's text must stay in the box"
    findings = panel.locator("[data-finding]")
    assert findings.count() >= 1
    categories = [findings.nth(i).get_attribute("data-category") for i in range(findings.count())]
    rules = [findings.nth(i).get_attribute("data-rule") for i in range(findings.count())]
    assert all(rules), rules
    assert set(categories) & set(WARN_CATEGORIES), categories
    marks = panel.locator("mark[data-start][data-end]")
    assert marks.count() >= 1
    for i in range(marks.count()):
        m = marks.nth(i)
        start, end = int(m.get_attribute("data-start")), int(m.get_attribute("data-end"))
        assert m.text_content() == utf16_slice(RISKY, start, end)
    assert site.rewrite_text().strip()
    for action in ("use-rewrite", "edit", "post-anyway"):
        assert panel.locator(f'[data-action="{action}"]').count() == 1, action
    assert site.wait_badge("warn") == "warn"


def test_safe_reply_posts_on_first_submit(site, helper):
    assert_verdict(helper, SAFE, {"ok", "review"})
    site.write(SAFE)
    site.submit()  # at once, before the debounced badge check has run
    assert site.wait_posted(1) == [SAFE]
    site.settle()
    assert site.posts() == [SAFE], "posted exactly once"
    assert site.panel.count() == 0
    assert site.editor_text() == ""


def test_safe_reply_posts_after_badge_shows(site, helper):
    site.write(SAFE)
    assert site.wait_badge(["ok", "review"]) in ("ok", "review")
    site.submit()
    assert site.wait_posted(1) == [SAFE]
    site.settle()
    assert site.posts() == [SAFE]


@pytest.mark.parametrize("kind", ["lexical"], indirect=True)
def test_shift_enter_adds_a_line(site):
    site.focus()
    site.page.keyboard.type("Hoi Sanne,")
    site.page.keyboard.press("Shift+Enter")
    site.page.keyboard.type("fijn dat je het laat weten!")
    site.wait_editor_text("Hoi Sanne,\nfijn dat je het laat weten!")
    assert site.posts() == []
    assert site.panel.count() == 0
    site.page.keyboard.press("Enter")
    assert site.wait_posted(1) == ["Hoi Sanne,\nfijn dat je het laat weten!"]


def test_use_rewrite_changes_the_editor_state_and_site_posts_it(site, helper):
    hold(site)
    rewrite = site.rewrite_text().strip()
    assert rewrite and rewrite != RISKY
    site.choose("use-rewrite")
    site.panel.wait_for(state="detached")
    site.wait_editor_text(rewrite)  # the editor's own model, not just the DOM
    # The extension is done replacing once it offers the undo (an Enter pressed within the few ms
    # before that is swallowed: no post, no panel; a human cannot be that fast).
    site.badge().locator('[data-action="undo"]').wait_for(state="visible")
    assert site.posts() == []
    assert helper.analyze(rewrite, {"author": "Sanne de Boer"})["verdict"] != "warn"
    site.submit()
    assert site.wait_posted(1) == [rewrite]
    site.settle()
    assert site.posts() == [rewrite]
    assert site.panel.count() == 0


def test_undo_link_in_badge_restores_the_original(site):
    hold(site)
    rewrite = site.rewrite_text().strip()
    site.choose("use-rewrite")
    site.wait_editor_text(rewrite)
    undo = site.badge().locator('[data-action="undo"]')
    undo.click()
    site.wait_editor_text(RISKY)
    assert site.posts() == []
    # The restored original is held again: nothing was lost and nothing slipped through.
    site.submit()
    site.panel.wait_for(state="visible")
    assert site.posts() == []


def test_ctrl_z_restores_the_original(site):
    hold(site)
    rewrite = site.rewrite_text().strip()
    site.choose("use-rewrite")
    site.wait_editor_text(rewrite)
    site.focus_end()
    site.page.keyboard.press("Control+z")
    site.wait_editor_text(RISKY)
    assert site.posts() == []


def test_post_anyway_posts_the_original_exactly_once(site):
    hold(site)
    site.choose("post-anyway")
    assert site.wait_posted(1) == [RISKY]
    site.settle()
    assert site.posts() == [RISKY], "post-anyway must post exactly once"
    assert site.panel.count() == 0
    assert site.editor_text() == ""
    # The bypass was one-shot: the next risky reply in the same box is held again.
    site.write(RISKY_2)
    site.submit()
    site.panel.wait_for(state="visible")
    assert site.posts() == [RISKY]


def test_escape_is_edit_keeps_text_and_does_not_post(site):
    hold(site)
    site.page.keyboard.press("Escape")
    site.panel.wait_for(state="detached")
    assert site.editor_text() == RISKY
    site.settle()
    assert site.posts() == []
    # Still editable: the agent fixes the reply and it goes out.
    site.clear_editor()
    site.write(SAFE)
    site.submit()
    assert site.wait_posted(1) == [SAFE]


def test_escape_in_the_box_while_the_panel_is_open_is_edit(site):
    hold(site)
    site.box().focus()  # back in the box (the panel may cover it, so no mouse click)
    site.page.keyboard.press("Escape")
    site.panel.wait_for(state="detached")
    assert site.editor_text() == RISKY
    site.settle()
    assert site.posts() == []


def test_edit_button_keeps_text_and_does_not_post(site):
    hold(site)
    site.choose("edit")
    site.panel.wait_for(state="detached")
    assert site.editor_text() == RISKY
    site.settle()
    assert site.posts() == []
    # Posting the same text again holds it again.
    site.submit()
    site.panel.wait_for(state="visible")
    assert site.posts() == []


@pytest.mark.parametrize("kind", ["lexical", "quill"], indirect=True)
def test_double_submit_posts_once(site):
    site.write(SAFE)
    if site.kind == "lexical":
        site.focus_end()
        site.page.keyboard.press("Enter")
        site.page.keyboard.press("Enter")
    else:
        site.submit_button().dblclick()
    assert site.wait_posted(1) == [SAFE]
    site.settle()
    assert site.posts() == [SAFE], "never a double post"


@pytest.mark.parametrize("kind", ["quill", "tiptap"], indirect=True)
def test_enter_on_linkedin_is_a_newline_not_a_post(site):
    site.write(RISKY)
    site.focus_end()
    site.page.keyboard.press("Enter")
    site.page.keyboard.type("Groet")
    site.wait_editor_text(RISKY + "\nGroet")
    assert site.panel.count() == 0
    assert site.posts() == []
    site.submit()  # the button is what posts on LinkedIn
    site.panel.wait_for(state="visible")
    assert site.posts() == []


@pytest.mark.parametrize("kind", ["lexical"], indirect=True)
def test_categories_not_chosen_to_hold_do_not_hold(page, browser, settings, kind):
    from browser_harness import SitePage

    browser.update_settings({"holdCategories": []})
    site = SitePage(page, kind).open()
    site.write(RISKY)
    assert site.wait_badge(["review", "ok"]) == "review"  # still shown, amber, never blocking
    site.submit()
    assert site.wait_posted(1) == [RISKY]
    assert site.panel.count() == 0


@pytest.mark.parametrize("kind", ["lexical"], indirect=True)
def test_facebook_send_button_is_guarded_too(site):
    site.write(RISKY)
    site.submit(how="button")
    panel = site.panel
    panel.wait_for(state="visible")
    assert site.posts() == []
    site.choose("post-anyway")
    assert site.wait_posted(1) == [RISKY]
    site.write(SAFE)
    site.submit(how="button")
    assert site.wait_posted(2) == [RISKY, SAFE]
    site.settle()
    assert site.posts() == [RISKY, SAFE]


def test_panel_in_a_low_window_scrolls_instead_of_covering_the_reply(site, helper):
    hold(site)
    site.rewrite_text()
    # Low enough that the panel fits on neither side of the box, high enough that the window
    # would hold the whole panel: the panel must scroll without the stylesheet's cap doing it.
    natural = site.panel.evaluate("(panel) => panel.scrollHeight + panel.offsetHeight - panel.clientHeight")
    site.page.set_viewport_size({"width": 900, "height": natural + 60})
    site.box().evaluate("(box) => box.scrollIntoView({block: 'center'})")
    # Held until the panel sits clear of the box, inside the window; a timeout fails the test.
    site.page.wait_for_function("""(box) => {
      const panel = document.querySelector('[data-toontje-panel]').getBoundingClientRect();
      const reply = box.getBoundingClientRect();
      const clear = panel.bottom <= reply.top || panel.top >= reply.bottom;
      return clear && panel.top >= 0 && panel.bottom <= window.innerHeight;
    }""", arg=site.box().element_handle(), timeout=3000)
    scrolls = site.panel.evaluate("(panel) => panel.scrollHeight > panel.clientHeight")
    assert scrolls, "the window was meant to be too low for the whole panel on either side"
    # The agent scrolls the panel with the wheel; the panel keeps following its box (every scroll
    # re-places it) but must not jump back to its top.
    site.panel.hover()
    site.page.mouse.wheel(0, 120)
    site.page.wait_for_function("(panel) => panel.scrollTop > 0", arg=site.panel.element_handle(), timeout=3000)
    scrolled = site.panel.evaluate("(panel) => panel.scrollTop")
    after_frames = site.panel.evaluate("""(panel) => new Promise((resolve) => requestAnimationFrame(
      () => requestAnimationFrame(() => requestAnimationFrame(() => resolve(panel.scrollTop)))))""")
    assert after_frames == scrolled, "re-placing the panel reset the agent's scroll position inside it"
    site.choose("post-anyway")
    assert site.wait_posted(1) == [RISKY]
