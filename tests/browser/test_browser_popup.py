"""The toolbar popup drives the same switches the content scripts obey, and shows the helper."""
from __future__ import annotations

from playwright.sync_api import expect

from browser_harness import SitePage
from e2e_texts import RISKY


def open_popup(browser):
    popup = browser.context.new_page()
    popup.goto(f"chrome-extension://{browser.extension_id}/popup/popup.html")
    return popup


def test_popup_shows_the_helper_online_with_its_version(browser, settings, helper):
    popup = open_popup(browser)
    try:
        status = popup.locator("#helper-status")
        popup.wait_for_function("() => document.querySelector('#helper-status').dataset.state === 'online'")
        assert helper.get("/v1/health")["version"] in status.text_content()
        assert popup.locator("#enabled").is_checked()
    finally:
        popup.close()


def test_site_switch_in_the_popup_turns_facebook_off(browser, settings, page):
    popup = open_popup(browser)
    try:
        facebook = popup.locator('input[data-site="facebook"]')
        # The popup fills its switches once settings have loaded; expect() waits for that.
        expect(facebook).to_be_checked()
        facebook.uncheck()
        popup.wait_for_function(
            "async () => (await chrome.storage.sync.get('sites')).sites?.facebook === false")
    finally:
        popup.close()
    site = SitePage(page, "lexical").open()
    site.write(RISKY)
    site.submit()
    assert site.wait_posted(1) == [RISKY]
    assert page.locator("[data-toontje-badge]").count() == 0
    assert site.panel.count() == 0


def test_popup_follows_a_switch_changed_elsewhere(browser, settings):
    popup = open_popup(browser)
    try:
        expect(popup.locator("#enabled")).to_be_checked()
        browser.storage("async () => await chrome.storage.sync.set({enabled: false})")
        expect(popup.locator("#enabled")).not_to_be_checked()
        expect(popup.locator('input[data-site="linkedin"]')).to_be_disabled()
    finally:
        popup.close()
