"""The HTTP contract of issue 2 through Flask's test client: routes, errors, Host, Origin, CORS, logs."""

import io
import json
import logging

import pytest

from toontje import LANGUAGES, __version__
from toontje.analysis import Context, analyze
from toontje.api import MAX_TEXT_CHARS, create_app

from conftest import TEST_CONFIG, TEST_PORT

# Blames the customer and defends the company: any reasonable rule set warns on these.
RISKY_NL = "Dat is niet onze schuld. Als u de handleiding had gelezen, had u dit probleem niet gehad!!!"
RISKY_EN = "That is not our fault. If you had read the manual, you would not have this problem!!!"
CALM_NL = (
    "Hoi Sanne, wat vervelend dat je pakket nog niet binnen is. Wil je je ordernummer in een "
    "privébericht sturen? Dan zoeken we het meteen voor je uit."
)
EXTENSION_ORIGIN = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
FIREFOX_ORIGIN = "moz-extension://0f6c6a8e-3f2b-4c1d-9e8f-1a2b3c4d5e6f"
VERDICTS = {"ok", "review", "warn"}
CATEGORIES = {
    "argumentative", "attacking", "defensive", "impatient", "dismissive", "emotional",
    "missing-name", "missing-empathy", "missing-private-channel", "cliche", "register-mismatch",
    "empty-promise", "missing-thanks",
}  # fmt: skip


def post_json(client, path, body, **kwargs):
    return client.post(path, data=json.dumps(body), content_type="application/json", **kwargs)


def utf16_slice(text, start, end):
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


def assert_analysis_shape(answer):
    assert set(answer) == {"verdict", "score", "lang", "findings", "sentiment"}
    assert answer["verdict"] in VERDICTS
    assert isinstance(answer["score"], int) and 0 <= answer["score"] <= 100
    assert answer["lang"] in LANGUAGES
    for finding in answer["findings"]:
        assert set(finding) == {"rule", "category", "severity", "start", "end", "message", "replacements"}
        assert finding["category"] in CATEGORIES
        assert finding["severity"] in {"warn", "review"}
        assert isinstance(finding["start"], int) and isinstance(finding["end"], int)
        assert 0 <= finding["start"] <= finding["end"]
        assert isinstance(finding["message"], str) and finding["message"]
        assert all(isinstance(replacement, str) for replacement in finding["replacements"])
    assert set(answer["sentiment"]) == {"polarity", "subjectivity"}
    assert -1 <= answer["sentiment"]["polarity"] <= 1
    assert 0 <= answer["sentiment"]["subjectivity"] <= 1
    severities = {finding["severity"] for finding in answer["findings"]}
    expected = "warn" if "warn" in severities else "review" if severities else "ok"
    assert answer["verdict"] == expected


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"code", "message"}
    assert error["code"] == code
    assert len(error["message"]) > 20  # A sentence that says what to fix, not just a status.


# --- routes -----------------------------------------------------------------------------------


def test_health(client):
    response = client.get("/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "version": __version__, "languages": ["nl", "en"]}


@pytest.mark.parametrize(("text", "lang"), [(RISKY_NL, "nl"), (RISKY_EN, "en")])
def test_analyze_warns_on_a_risky_reply(client, text, lang):
    response = post_json(client, "/v1/analyze", {"text": text})
    assert response.status_code == 200
    answer = response.get_json()
    assert_analysis_shape(answer)
    assert answer["verdict"] == "warn"
    assert answer["lang"] == lang
    assert any(finding["end"] > finding["start"] for finding in answer["findings"])


def test_analyze_does_not_warn_on_a_calm_reply(client):
    body = {"text": CALM_NL, "lang": "nl", "context": {"comment": "Waar blijft mijn pakket?", "author": "Sanne de Boer"}}
    answer = post_json(client, "/v1/analyze", body).get_json()
    assert_analysis_shape(answer)
    assert answer["verdict"] != "warn"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_analyze_honours_an_explicit_language(client, lang):
    answer = post_json(client, "/v1/analyze", {"text": RISKY_NL, "lang": lang}).get_json()
    assert answer["lang"] == lang


def test_analyze_answer_is_the_analysis_to_json(client):
    body = {"text": RISKY_NL, "context": {"comment": "Het werkt niet!", "author": "Dhr. P. de Vries"}}
    answer = post_json(client, "/v1/analyze", body).get_json()
    expected = analyze(RISKY_NL, lang="auto", context=Context(**body["context"])).to_json(RISKY_NL)
    assert answer == json.loads(json.dumps(expected))


@pytest.mark.parametrize("prefix", ["🙂🙂 ", "👩‍💻 ", "📦 𝐇𝐞𝐥𝐥𝐨 "])
def test_offsets_after_emoji_count_utf16_units(client, prefix):
    text = prefix + RISKY_NL
    answer = post_json(client, "/v1/analyze", {"text": text}).get_json()
    plain = post_json(client, "/v1/analyze", {"text": RISKY_NL}).get_json()
    python_spans = [(f.start, f.end) for f in analyze(text).findings if f.end > f.start]
    json_spans = [(f["start"], f["end"]) for f in answer["findings"] if f["end"] > f["start"]]
    assert json_spans, "a risky reply should have findings on words"
    # The words JavaScript would cut out with these offsets are the words the engine flagged.
    assert [utf16_slice(text, *span) for span in json_spans] == [text[start:end] for start, end in python_spans]
    # And they are the same words as without the prefix, shifted by its UTF-16 length.
    shift = len(prefix.encode("utf-16-le")) // 2
    plain_spans = [(f["start"], f["end"]) for f in plain["findings"] if f["end"] > f["start"]]
    assert json_spans == [(start + shift, end + shift) for start, end in plain_spans]
    assert shift > len(prefix)  # The prefix does contain characters outside the BMP.


def test_rewrite(client):
    body = {"text": RISKY_NL, "context": {"comment": "Mijn bestelling 12345 is kapot!", "author": "Sanne de Boer"}}
    response = post_json(client, "/v1/rewrite", body)
    assert response.status_code == 200
    answer = response.get_json()
    assert set(answer) == {"text", "verdict", "changes"}
    assert isinstance(answer["text"], str) and answer["text"] != RISKY_NL
    assert answer["verdict"] in VERDICTS - {"warn"}
    assert answer["changes"] and all(isinstance(change, str) for change in answer["changes"])
    assert "Sanne" in answer["text"]
    # The verdict it reports is what the analysis says of the rewritten text in the same thread.
    again = post_json(client, "/v1/analyze", {**body, "text": answer["text"]}).get_json()
    assert again["verdict"] == answer["verdict"]


def test_rules(client):
    response = client.get("/v1/rules")
    assert response.status_code == 200
    rules = response.get_json()["rules"]
    assert {rule["language"] for rule in rules} >= set(LANGUAGES)
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids))
    for rule in rules:
        assert rule["category"] in CATEGORIES
        assert rule["severity"] in {"warn", "review"}
        assert rule["description"]
        assert rule["examples"]["must_fire"]


def test_unknown_keys_are_ignored(client):
    extra = {"text": RISKY_NL, "lang": "nl", "version": 2, "context": {"comment": "Kapot!", "mood": "boos"}}
    plain = {"text": RISKY_NL, "lang": "nl", "context": {"comment": "Kapot!"}}
    assert post_json(client, "/v1/analyze", extra).get_json() == post_json(client, "/v1/analyze", plain).get_json()


@pytest.mark.parametrize(
    "body",
    [
        {"text": RISKY_NL, "context": None},
        {"text": RISKY_NL, "context": {}},
        {"text": RISKY_NL, "context": {"comment": None, "author": None}},
        {"text": RISKY_NL, "lang": None},
        {"text": "", "lang": "nl"},
        {"text": "   \n\t ", "lang": "en"},
        {"text": "x" * MAX_TEXT_CHARS},
    ],
    ids=["context-null", "context-empty", "context-fields-null", "lang-null", "empty", "whitespace", "max-length"],
)
def test_optional_and_boundary_bodies_are_accepted(client, body):
    response = post_json(client, "/v1/analyze", body)
    assert response.status_code == 200
    assert_analysis_shape(response.get_json())


@pytest.mark.parametrize("path", ["/v1/analyze", "/v1/rewrite"])
def test_an_empty_reply_is_ok(client, path):
    # The extension checks as the agent types, so an emptied box is an ordinary request.
    assert post_json(client, path, {"text": ""}).get_json()["verdict"] == "ok"


# Odd but valid Unicode a contenteditable can produce: the helper handles it, offsets stay in range.
@pytest.mark.parametrize(
    "text",
    [
        "Dat is niet\u0000 onze schuld!!!",
        "\u200fשלום\u200e Dat is niet onze schuld!!!",
        "Cafe\u0301 n\u0303 dat is niet onze schuld!!!",
        "🤬🤬🤬 Dat is niet onze schuld!!! 🤬",
        "👨‍👩‍👧‍👦 Fijn dat je het meldt 🇳🇱",
        "\ufeffDat is niet onze schuld!!!",
        "Zero\u200bwidth \u2028line\u2029 separators",
    ],
    ids=["nul", "rtl-marks", "combining", "4-byte-emoji", "zwj-and-flags", "inner-bom", "zero-width-and-separators"],
)
def test_odd_unicode_is_handled(client, text):
    for path in ("/v1/analyze", "/v1/rewrite"):
        response = post_json(client, path, {"text": text, "context": {"comment": text, "author": text}})
        assert response.status_code == 200, (path, response.get_data(as_text=True))
    answer = post_json(client, "/v1/analyze", {"text": text}).get_json()
    assert_analysis_shape(answer)
    utf16_length = len(text.encode("utf-16-le")) // 2
    assert all(finding["end"] <= utf16_length for finding in answer["findings"])


# --- bad input --------------------------------------------------------------------------------

# (id, raw body bytes, Content-Type, expected status, expected error code); shared with test_server.
BAD_REQUESTS = [
    ("not-json", b'{"text": "Hallo"', "application/json", 400, "invalid_json"),
    ("empty-body", b"", "application/json", 400, "invalid_json"),
    ("trailing-garbage", b'{"text": "Hallo"} x', "application/json", 400, "invalid_json"),
    ("invalid-utf8", b'{"text": "Hallo \xff\xfe"}', "application/json", 400, "invalid_utf8"),
    ("overlong-utf8", b'{"text": "\xc0\xaf"}', "application/json", 400, "invalid_utf8"),
    ("utf16-body", '{"text": "Hallo"}'.encode("utf-16"), "application/json", 400, "invalid_utf8"),
    ("lone-high-surrogate", b'{"text": "Hallo \\ud800"}', "application/json", 400, "invalid_unicode"),
    ("lone-low-surrogate", b'{"text": "\\udc00 Hallo"}', "application/json", 400, "invalid_unicode"),
    ("surrogate-in-author", b'{"text": "Hallo", "context": {"author": "\\udfff"}}', "application/json", 400, "invalid_unicode"),
    ("surrogate-in-comment", b'{"text": "Hallo", "context": {"comment": "\\ud83d"}}', "application/json", 400, "invalid_unicode"),
    ("deep-nesting", b'{"text": ' + b"[" * 30_000 + b"]" * 30_000 + b"}", "application/json", 400, "invalid_json"),
    ("huge-integer", b'{"text": 1' + b"0" * 5_000 + b"}", "application/json", 400, "invalid_json"),
    ("body-array", b'["Hallo"]', "application/json", 400, "invalid_type"),
    ("body-string", b'"Hallo"', "application/json", 400, "invalid_type"),
    ("body-null", b"null", "application/json", 400, "invalid_type"),
    ("missing-text", b'{"lang": "nl"}', "application/json", 400, "missing_text"),
    ("null-text", b'{"text": null}', "application/json", 400, "missing_text"),
    ("text-number", b'{"text": 42}', "application/json", 400, "invalid_type"),
    ("text-array", b'{"text": ["Hallo"]}', "application/json", 400, "invalid_type"),
    ("text-object", b'{"text": {"body": "Hallo"}}', "application/json", 400, "invalid_type"),
    ("text-bool", b'{"text": true}', "application/json", 400, "invalid_type"),
    ("lang-unknown", b'{"text": "Hallo", "lang": "de"}', "application/json", 400, "unknown_lang"),
    ("lang-uppercase", b'{"text": "Hallo", "lang": "NL"}', "application/json", 400, "unknown_lang"),
    ("lang-number", b'{"text": "Hallo", "lang": 1}', "application/json", 400, "invalid_type"),
    ("context-string", b'{"text": "Hallo", "context": "Sanne"}', "application/json", 400, "invalid_type"),
    ("context-array", b'{"text": "Hallo", "context": []}', "application/json", 400, "invalid_type"),
    ("comment-number", b'{"text": "Hallo", "context": {"comment": 5}}', "application/json", 400, "invalid_type"),
    ("author-array", b'{"text": "Hallo", "context": {"author": ["Sanne"]}}', "application/json", 400, "invalid_type"),
    ("text-too-long", json.dumps({"text": "a" * (MAX_TEXT_CHARS + 1)}).encode(), "application/json", 413, "text_too_long"),
    ("emoji-text-too-long", json.dumps({"text": "🙂" * (MAX_TEXT_CHARS + 1)}, ensure_ascii=False).encode(), "application/json", 413, "text_too_long"),
    ("body-over-64k", json.dumps({"text": "a" * 70_000}).encode(), "application/json", 413, "body_too_large"),
    ("no-content-type", b'{"text": "Hallo"}', None, 415, "unsupported_media_type"),
    ("text-plain", b'{"text": "Hallo"}', "text/plain", 415, "unsupported_media_type"),
    ("form", b"text=Hallo", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
]  # fmt: skip


@pytest.mark.parametrize("path", ["/v1/analyze", "/v1/rewrite"])
@pytest.mark.parametrize(("body", "content_type", "status", "code"), [case[1:] for case in BAD_REQUESTS], ids=[case[0] for case in BAD_REQUESTS])
def test_bad_requests_get_a_json_error(client, path, body, content_type, status, code):
    headers = {"Content-Type": content_type} if content_type else {}
    assert_error(client.post(path, data=body, headers=headers), status, code)


def post_chunked(client, body: bytes):
    """A body without Content-Length, as a chunked upload reaches the app from waitress."""
    return client.post(
        "/v1/analyze",
        input_stream=io.BytesIO(body),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


@pytest.mark.parametrize("extra_bytes", [1, 10_000])
def test_a_chunked_body_over_64k_is_refused(client, extra_bytes):
    body = json.dumps({"text": "a" * (64 * 1024 - 12 + extra_bytes)}).encode()
    assert len(body) == 64 * 1024 + extra_bytes
    assert_error(post_chunked(client, body), 413, "body_too_large")


def test_a_chunked_body_of_exactly_64k_is_read_whole(client):
    start, end = '{"text": "' + CALM_NL + '", "pad": "', '"}'
    body = (start + "x" * (64 * 1024 - len(start.encode()) - len(end)) + end).encode()
    assert len(body) == 64 * 1024
    assert post_chunked(client, body).status_code == 200


def test_a_byte_order_mark_before_the_json_is_accepted(client):
    response = client.post("/v1/analyze", data=b"\xef\xbb\xbf" + json.dumps({"text": CALM_NL}).encode(), content_type="application/json")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/v1", "/v1/nope", "/v2/analyze", "/v1/analyze/extra", "/nope"])
def test_unknown_paths_get_json_404(client, path):
    assert_error(client.get(path), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/v1/analyze", "POST"),
        ("PUT", "/v1/rewrite", "POST"),
        ("POST", "/v1/health", "GET"),
        ("DELETE", "/v1/rules", "GET"),
    ],
)
def test_wrong_methods_get_json_405(client, method, path, allowed):
    response = client.open(path, method=method)
    assert_error(response, 405, "method_not_allowed")
    assert allowed in response.headers["Allow"]
    assert allowed in response.get_json()["error"]["message"]


def test_an_unexpected_failure_answers_json_without_leaking_the_text(app, client, caplog):
    secret = "Mijn geheime klantnaam Jansen"

    def fail():
        raise ValueError(f"could not handle {secret}")

    app.add_url_rule("/v1/fail", view_func=fail)
    with caplog.at_level(logging.DEBUG):
        response = client.get("/v1/fail")
    assert_error(response, 500, "internal_error")
    assert secret not in response.get_data(as_text=True)
    assert "ValueError" in caplog.text
    assert secret not in caplog.text


# --- Host header (DNS rebinding) --------------------------------------------------------------


@pytest.mark.parametrize("host", [f"127.0.0.1:{TEST_PORT}", f"localhost:{TEST_PORT}", f"[::1]:{TEST_PORT}", f"LocalHost:{TEST_PORT}"])
def test_loopback_hosts_are_answered(client, host):
    assert client.get("/v1/health", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "host",
    [
        f"evil.example:{TEST_PORT}",
        "evil.example",
        f"127.0.0.1.nip.io:{TEST_PORT}",
        f"localhost.evil.example:{TEST_PORT}",
        "127.0.0.1:9999",
        "127.0.0.1",
        "localhost",
        f"0.0.0.0:{TEST_PORT}",
        f"192.168.1.5:{TEST_PORT}",
        f"127.0.0.2:{TEST_PORT}",
    ],
)
@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/health"), ("POST", "/v1/analyze"), ("GET", "/v1/nope")])
def test_other_hosts_are_refused(client, host, method, path):
    response = client.open(path, method=method, headers={"Host": host}, json={"text": RISKY_NL})
    assert_error(response, 403, "forbidden_host")
    assert "Access-Control-Allow-Origin" not in response.headers


def test_allow_remote_accepts_ip_address_hosts_but_never_names():
    client = create_app({**TEST_CONFIG, "ALLOW_REMOTE": True}).test_client()
    for host in (f"192.168.1.5:{TEST_PORT}", f"[fe80::1]:{TEST_PORT}", f"127.0.0.1:{TEST_PORT}"):
        assert client.get("/v1/health", headers={"Host": host}).status_code == 200, host
    for host in (f"evil.example:{TEST_PORT}", f"192.168.1.5:{TEST_PORT + 1}", "192.168.1.5"):
        assert_error(client.get("/v1/health", headers={"Host": host}), 403, "forbidden_host")


def test_the_serving_port_comes_from_config():
    client = create_app({**TEST_CONFIG, "PORT": 9000}).test_client()
    assert client.get("/v1/health", headers={"Host": "127.0.0.1:9000"}).status_code == 200
    assert_error(client.get("/v1/health", headers={"Host": f"127.0.0.1:{TEST_PORT}"}), 403, "forbidden_host")


# --- Origin and CORS --------------------------------------------------------------------------


@pytest.mark.parametrize("origin", [EXTENSION_ORIGIN, FIREFOX_ORIGIN])
def test_extensions_get_cors_headers_for_their_own_origin(client, origin):
    response = post_json(client, "/v1/analyze", {"text": RISKY_NL}, headers={"Origin": origin})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert "Origin" in response.headers.get("Vary", "")


def test_extension_preflight_is_allowed(client):
    response = client.options(
        "/v1/analyze",
        headers={
            "Origin": EXTENSION_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == EXTENSION_ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()


def test_requests_without_origin_get_no_cors_headers(client):
    response = client.get("/v1/health")
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


WEB_PAGE_ORIGINS = [
    "https://www.facebook.com",
    "https://evil.example",
    "http://localhost:3000",
    f"http://127.0.0.1:{TEST_PORT + 1}",
    f"http://localhost:{TEST_PORT}",  # Another origin than the one the request is addressed to.
    "null",
    "chrome-extension://abc.evil.example",
    "chrome-extension://",
    "file://",
    "*",
]


@pytest.mark.parametrize("origin", WEB_PAGE_ORIGINS)
@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/health"), ("POST", "/v1/analyze"), ("OPTIONS", "/v1/analyze")])
def test_web_pages_are_refused_without_cors_headers(client, origin, method, path):
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST"}
    response = client.open(path, method=method, headers=headers, json={"text": RISKY_NL})
    assert_error(response, 403, "forbidden_origin")
    assert not any(name.lower().startswith("access-control-") for name in response.headers.keys())


def test_the_helpers_own_pages_may_call_it(client):
    # The dashboard served by the helper itself sends its own origin with every POST.
    response = post_json(client, "/v1/analyze", {"text": CALM_NL}, headers={"Origin": f"http://127.0.0.1:{TEST_PORT}"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_an_allowlist_of_extension_ids_is_enforced():
    allowed_id, other_id = "a" * 32, "b" * 32
    client = create_app({**TEST_CONFIG, "EXTENSION_IDS": [allowed_id]}).test_client()
    for origin in (f"chrome-extension://{allowed_id}", f"moz-extension://{allowed_id}"):
        response = client.get("/v1/health", headers={"Origin": origin})
        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == origin
    for origin in (f"chrome-extension://{other_id}", f"chrome-extension://{allowed_id}x"):
        assert_error(client.get("/v1/health", headers={"Origin": origin}), 403, "forbidden_origin")


# --- privacy: the access log ------------------------------------------------------------------


def test_access_log_has_method_path_status_and_duration_only(client, caplog):
    secret = "Geheim antwoord voor Sanne over order 98765"
    with caplog.at_level(logging.DEBUG):
        post_json(client, "/v1/analyze?token=querysecret", {"text": secret, "context": {"author": "Sanne de Boer"}})
        post_json(client, "/v1/rewrite", {"text": secret, "lang": "xx"})
        client.post("/v1/analyze", data=secret.encode(), content_type="text/plain")
    access = [record.getMessage() for record in caplog.records if record.name == "toontje.access"]
    assert len(access) == 3
    assert access[0].startswith("POST /v1/analyze 200 ") and access[0].endswith("ms")
    assert access[1].startswith("POST /v1/rewrite 400 ")
    assert access[2].startswith("POST /v1/analyze 415 ")
    for needle in ("Geheim", "98765", "Sanne", "querysecret"):
        assert needle not in caplog.text


def test_a_crafted_path_cannot_forge_log_lines(client, caplog):
    with caplog.at_level(logging.INFO, logger="toontje.access"):
        client.get("/v1/nope%0AGET%20/v1/health%20200")
    (line,) = [record.getMessage() for record in caplog.records if record.name == "toontje.access"]
    assert "\n" not in line and line.startswith("GET /v1/nope%0A")
