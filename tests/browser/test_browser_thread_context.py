"""Thread context: the comment being answered and its author are read from the page and sent to the
helper, so the rewrite greets the customer by first name; a box without a parent comment works without."""
from __future__ import annotations

import pytest

from e2e_texts import RISKY, RISKY_EN


def held_rewrite(site, box, text):
    site.write(text, box)
    site.submit(box)
    site.panel.wait_for(state="visible")
    rewrite = site.rewrite_text()
    assert site.posts() == []
    return rewrite


def test_rewrite_greets_the_comment_author_by_first_name(site):
    rewrite = held_rewrite(site, "reply-sanne", RISKY)
    assert "Sanne" in rewrite, rewrite
    assert "de Boer" not in rewrite, rewrite


def test_second_comment_gets_its_own_author(site):
    rewrite = held_rewrite(site, "reply-peter", RISKY_EN)
    assert "Peter" in rewrite, rewrite
    assert "Sanne" not in rewrite, rewrite


def test_box_without_parent_comment_works_without_context(site):
    rewrite = held_rewrite(site, "top", RISKY)
    assert rewrite.strip()
    for name in ("Sanne", "Peter", "Kees"):
        assert name not in rewrite, rewrite


@pytest.mark.parametrize("kind", ["lexical"], indirect=True)
def test_reading_context_switched_off_sends_no_name(page, browser, settings, kind):
    from browser_harness import SitePage

    browser.update_settings({"readContext": False})
    site = SitePage(page, kind).open()
    rewrite = held_rewrite(site, "reply-sanne", RISKY)
    assert "Sanne" not in rewrite, rewrite


@pytest.mark.parametrize("box, comment_id, author", [
    ("reply-sanne", "sanne", "Sanne de Boer"),
    ("reply-peter", "peter", "Peter Smith"),
    ("top", None, None),
])
def test_the_context_sent_is_the_comment_and_its_author(site, helper, box, comment_id, author):
    """The panel's rewrite equals the helper's rewrite for exactly the comment text and author
    shown on the page (the rewrite depends on both: first name, and je/u register of the comment)."""
    text = RISKY_EN if comment_id == "peter" else RISKY
    body = {"text": text, "lang": "auto"}
    if comment_id:
        comment = site.page.locator(f'[data-fixture-comment-text="{comment_id}"]').inner_text().strip()
        body["context"] = {"comment": comment, "author": author}
    expected = helper.post("/v1/rewrite", body)["text"]
    assert held_rewrite(site, box, text) == expected
