"""Static checks of the browser extension: the structure a browser would reject or a user would
notice only at run time (a missing file, a missing translation, a syntax error)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parent.parent / "extension"
LOCALES = ("en", "nl")
JS_FILES = sorted(EXTENSION.rglob("*.js"))
HTML_FILES = sorted(EXTENSION.rglob("*.html"))
SITE_ADAPTERS = ("content/sites/facebook.js", "content/sites/linkedin.js")
EDITOR_MODULES = ("content/editors/lexical.js", "content/editors/quill.js", "content/editors/prosemirror.js")
WARN_CATEGORIES = ("argumentative", "attacking", "defensive", "impatient", "dismissive", "emotional")

# How UI strings are referenced: t('key') in scripts, data-i18n*="key" in pages, __MSG_key__ in the manifest.
JS_KEY = re.compile(r"""\bt\(\s*['"]([A-Za-z0-9_@]+)['"]""")
HTML_KEY = re.compile(r"""\bdata-i18n(?:-[a-z-]+)?="([A-Za-z0-9_@]+)\"""")
MANIFEST_KEY = re.compile(r"__MSG_([A-Za-z0-9_@]+)__")


def load_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest():
    return load_json(EXTENSION / "manifest.json")


@pytest.fixture(scope="module")
def locales():
    return {lang: load_json(EXTENSION / "_locales" / lang / "messages.json") for lang in LOCALES}


def manifest_files(manifest) -> list[str]:
    files = [manifest["background"]["service_worker"], manifest["action"]["default_popup"],
             manifest["options_ui"]["page"]]
    files += manifest["icons"].values()
    files += manifest["action"]["default_icon"].values()
    for script in manifest["content_scripts"]:
        files += script.get("js", []) + script.get("css", [])
    return files


def test_manifest_is_mv3_with_the_contracted_parts(manifest):
    assert manifest["manifest_version"] == 3
    assert manifest["default_locale"] in LOCALES
    assert {"storage"} <= set(manifest["permissions"])
    assert set(manifest["host_permissions"]) == {"http://127.0.0.1/*", "http://localhost/*"}
    (content,) = manifest["content_scripts"]
    assert set(content["matches"]) == {
        "https://www.facebook.com/*", "https://web.facebook.com/*", "https://www.linkedin.com/*"}
    assert content["all_frames"] is False
    assert manifest["browser_specific_settings"]["gecko"]["id"]


def test_every_file_the_manifest_names_exists(manifest):
    missing = [name for name in manifest_files(manifest) if not (EXTENSION / name).is_file()]
    assert missing == []


def test_site_adapters_and_editor_modules_are_loaded_before_main(manifest):
    scripts = manifest["content_scripts"][0]["js"]
    for module in SITE_ADAPTERS + EDITOR_MODULES:
        assert module in scripts, f"{module} is not a content script"
        assert scripts.index(module) < scripts.index("content/main.js")
    # Everything else builds on the shared namespace, the message table and the settings.
    assert scripts[:3] == ["shared/messages.js", "shared/settings.js", "shared/i18n.js"]
    # The adapters and the UI build on the shared DOM helpers, the editor modules on editing.js.
    for module in SITE_ADAPTERS + ("content/ui/badge.js", "content/ui/panel.js"):
        assert scripts.index("content/dom.js") < scripts.index(module), module
    for module in EDITOR_MODULES:
        assert scripts.index("content/editors/editing.js") < scripts.index(module), module


def test_pages_load_only_scripts_that_exist():
    for page in HTML_FILES:
        for source in re.findall(r'<script src="([^"]+)"', page.read_text(encoding="utf-8")):
            assert (page.parent / source).resolve().is_file(), f"{page.name} loads missing {source}"


def test_both_locales_have_the_same_keys_and_placeholders(locales):
    english, dutch = locales["en"], locales["nl"]
    assert sorted(english) == sorted(dutch)
    for key in english:
        assert english[key]["message"].strip() and dutch[key]["message"].strip(), key
        assert english[key].get("placeholders", {}).keys() == dutch[key].get("placeholders", {}).keys(), key


def test_every_ui_string_used_exists_in_both_locales(locales, manifest):
    used = set(MANIFEST_KEY.findall(json.dumps(manifest)))
    for script in JS_FILES:
        used |= set(JS_KEY.findall(script.read_text(encoding="utf-8")))
    for page in HTML_FILES:
        used |= set(HTML_KEY.findall(page.read_text(encoding="utf-8")))
    assert len(used) > 40, "the key patterns no longer find the UI strings"
    for lang in LOCALES:
        assert sorted(used - set(locales[lang])) == [], f"missing in {lang}"


def test_every_warn_category_has_a_name_in_the_ui():
    i18n = (EXTENSION / "shared" / "i18n.js").read_text(encoding="utf-8")
    settings = (EXTENSION / "shared" / "settings.js").read_text(encoding="utf-8")
    for category in WARN_CATEGORIES:
        assert re.search(rf"""['"]?{category}['"]?\s*:\s*\(\)\s*=>\s*t\(""", i18n), category
        assert f"'{category}'" in settings, category


def test_selectors_live_in_one_dated_place_per_site():
    for adapter in SITE_ADAPTERS:
        source = (EXTENSION / adapter).read_text(encoding="utf-8")
        assert "const SELECTORS = Object.freeze({" in source, adapter
        selectors_block = source.split("const SELECTORS = Object.freeze({", 1)[1].split("});", 1)[0]
        assert re.search(r"(seen|reported|guess) 20\d\d", selectors_block), f"{adapter}: selectors without dates"


def test_only_the_service_worker_fetches_the_helper():
    for script in JS_FILES:
        if script.relative_to(EXTENSION).as_posix() in {"background/service-worker.js", "shared/i18n.js"}:
            continue
        assert "fetch(" not in script.read_text(encoding="utf-8"), f"{script.name} talks to the network"


def test_no_script_logs():
    # Reply text must never reach a log; the simplest guarantee is no console output at all.
    for script in JS_FILES:
        assert "console." not in script.read_text(encoding="utf-8"), script.name


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("script", JS_FILES, ids=lambda path: path.relative_to(EXTENSION).as_posix())
def test_script_parses(script):
    result = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
