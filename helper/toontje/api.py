"""The local HTTP API the browser extension calls: ``create_app()`` and the ``/v1`` blueprint.

Contract (issue 2, "HTTP API" and "Security and privacy"):

- ``GET /v1/health``, ``POST /v1/analyze``, ``POST /v1/rewrite``, ``GET /v1/rules``.
- Every error is JSON ``{"error": {"code": str, "message": str}}`` whose message says what to fix.
- Only requests addressed to this machine's loopback name and the serving port get an answer
  (a DNS-rebinding page sends its own host name and gets 403).
- Browser extensions get CORS headers; web pages get neither CORS headers nor an answer (403).
- The reply text is never logged: the access log carries method, path, status and duration.

Request bodies: unknown keys (top level and inside ``context``) are ignored, so an extension
that is newer than the helper keeps working; ``null`` counts as absent for optional fields.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import time
import traceback
from urllib.parse import quote

from flask import Blueprint, Flask, current_app, g, jsonify, request
from flask_cors import CORS
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from . import LANGUAGES, __version__
from .analysis import Context
from .house_rules import analyze_with, current_house_rules, watch_house_rules
from .rewrite import rewrite
from .rules import all_rules, load_catalogue

DEFAULT_PORT = 8765
MAX_BODY_BYTES = 64 * 1024
MAX_TEXT_CHARS = 10_000
REQUEST_LANGUAGES = ("auto", *LANGUAGES)
LOOPBACK_HOST_NAMES = ("127.0.0.1", "localhost", "[::1]")
# Chrome (and Edge) extension ids are 32 letters a-p; Firefox uses a random UUID per install.
EXTENSION_SCHEMES = ("chrome-extension", "moz-extension")
ANY_EXTENSION_ID = r"[A-Za-z0-9-]+"

PACKAGE_DIRECTORY = os.path.dirname(__file__)

access_log = logging.getLogger("toontje.access")
error_log = logging.getLogger("toontje.api")

v1 = Blueprint("v1", __name__, url_prefix="/v1")


class ApiError(Exception):
    """A request the API refuses; becomes ``{"error": {"code", "message"}}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def create_app(config: dict | None = None) -> Flask:
    """Build the helper's Flask app.

    Config keys (besides Flask's own):
    ``PORT``          the port the app is served on; the Host header must carry it (default 8765).
    ``EXTENSION_IDS`` if non-empty, only these extension ids get CORS headers and answers.
    ``ALLOW_REMOTE``  also accept Host headers that are IP addresses (``serve --allow-remote``).
    ``HOUSE_RULES``   path of the team's house-rules TOML file (``serve --house-rules``); see house_rules.py.
    ``EVENTS_DB``     the SQLite file for the extension's event counts (default: the user's data dir).
    """
    # The dashboard blueprint serves the package's static files under /assets, with its loopback rule.
    app = Flask(__name__, static_folder=None)
    app.config.from_mapping(
        PORT=DEFAULT_PORT,
        EXTENSION_IDS=(),
        ALLOW_REMOTE=False,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
    )
    if config:
        app.config.from_mapping(config)

    app.before_request(_start_timer)
    app.before_request(_refuse_foreign_host)
    app.before_request(_refuse_web_page_origin)
    app.after_request(_log_access)
    app.register_error_handler(ApiError, _api_error_response)
    app.register_error_handler(HTTPException, _http_error_response)
    app.register_error_handler(Exception, _unexpected_error_response)

    CORS(
        app,
        origins=[extension_origin_pattern(app.config["EXTENSION_IDS"])],
        methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Content-Type"],
        max_age=600,
    )

    # Every blueprint registered here gets the Host/Origin checks, CORS and JSON errors above.
    app.register_blueprint(v1)
    from .dashboard import dashboard  # it uses this module's errors and body reader: import late

    app.register_blueprint(dashboard)
    watch_house_rules(app)
    # Compiling the catalogues takes seconds: do it now, not during the first requests.
    for lang in LANGUAGES:
        load_catalogue(lang).compile_regexes()
    return app


# --- the endpoints ----------------------------------------------------------------------------


@v1.get("/health")
def health():
    return {"status": "ok", "version": __version__, "languages": list(LANGUAGES)}


@v1.post("/analyze")
def analyze_reply():
    text, lang, context = read_check_request()
    return analyze_with(current_house_rules(), text, lang=lang, context=context).to_json(text)


@v1.post("/rewrite")
def rewrite_reply():
    text, lang, context = read_check_request()
    return rewrite(text, lang=lang, context=context, house=current_house_rules()).to_json()


@v1.get("/rules")
def rules():
    house = current_house_rules()
    return {"rules": [rule.to_json() for rule in (house.all_rules() if house else all_rules())]}


# --- reading and validating a request body ----------------------------------------------------


def read_check_request() -> tuple[str, str, Context]:
    """Validate the body shared by /v1/analyze and /v1/rewrite; raise ApiError on anything wrong."""
    body = read_json_object()

    if "text" not in body or body["text"] is None:
        raise ApiError(400, "missing_text", 'The body needs "text": the reply to check, as a string.')
    text = require_string(body, "text")
    if len(text) > MAX_TEXT_CHARS:
        raise ApiError(
            413,
            "text_too_long",
            f'"text" has {len(text):,} characters; send at most {MAX_TEXT_CHARS:,}.',
        )

    lang = require_string(body, "lang", default="auto")
    if lang not in REQUEST_LANGUAGES:
        raise ApiError(
            400,
            "unknown_lang",
            f'"lang" must be one of {", ".join(REQUEST_LANGUAGES)}; got {json.dumps(lang)[:40]}.',
        )

    context = body.get("context")
    if context is None:
        return text, lang, Context()
    if not isinstance(context, dict):
        raise ApiError(
            400,
            "invalid_type",
            '"context" must be an object like {"comment": "...", "author": "..."}; '
            f"got {json_type_name(context)}.",
        )
    return text, lang, Context(
        comment=require_string(context, "comment", field="context.comment"),
        author=require_string(context, "author", field="context.author"),
    )


def read_json_object() -> dict:
    if not request.is_json:
        raise ApiError(
            415,
            "unsupported_media_type",
            "Send the body as JSON with the header Content-Type: application/json.",
        )
    raw = request.get_data(cache=False)  # Refuses a Content-Length over MAX_CONTENT_LENGTH.
    if request.content_length is None and len(raw) >= current_app.config["MAX_CONTENT_LENGTH"]:
        # A chunked body is cut off at the limit rather than refused: one byte more means too large.
        if request.environ["wsgi.input"].read(1):
            raise RequestEntityTooLarge()
    try:
        # utf-8-sig: a byte-order mark some tools prepend is harmless, so it is not an error.
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ApiError(
            400,
            "invalid_utf8",
            f"The body is not valid UTF-8 (bad byte at position {error.start}); encode it as UTF-8.",
        ) from None
    try:
        body = json.loads(decoded)
    except json.JSONDecodeError as error:
        raise ApiError(
            400,
            "invalid_json",
            f"The body is not valid JSON ({error.msg} at line {error.lineno} column {error.colno}).",
        ) from None
    except (ValueError, RecursionError):
        # Integers past Python's digit limit, or arrays nested thousands deep.
        raise ApiError(400, "invalid_json", "The body is JSON this API cannot read; send a flat object.") from None
    if not isinstance(body, dict):
        raise ApiError(
            400,
            "invalid_type",
            f'The body must be a JSON object like {{"text": "..."}}; got {json_type_name(body)}.',
        )
    return body


def require_string(container: dict, key: str, *, default=None, field: str | None = None):
    """``container[key]`` if it is a string of valid Unicode, ``default`` when absent or null."""
    field = field or key
    value = container.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ApiError(400, "invalid_type", f'"{field}" must be a string; got {json_type_name(value)}.')
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            # A JSON escape such as "\ud800" without its partner decodes to a lone surrogate,
            # which no analysis step and no UTF-16 offset can represent.
            raise ApiError(
                400,
                "invalid_unicode",
                f'"{field}" contains a lone UTF-16 surrogate at character {error.start}; '
                "send each surrogate pair complete.",
            ) from None
    return value


def json_type_name(value) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


# --- security: Host, Origin and CORS ----------------------------------------------------------


def extension_origin_pattern(extension_ids) -> re.Pattern:
    """Origins of browser extensions, limited to ``extension_ids`` when that is non-empty."""
    ids = "|".join(re.escape(extension_id) for extension_id in extension_ids) or ANY_EXTENSION_ID
    return re.compile(rf"(?:{'|'.join(EXTENSION_SCHEMES)})://(?:{ids})\Z")


def allowed_hosts(port: int) -> set[str]:
    hosts = {f"{name}:{port}" for name in LOOPBACK_HOST_NAMES}
    if port == 80:  # A browser leaves the default port out of the Host header.
        hosts.update(LOOPBACK_HOST_NAMES)
    return hosts


def is_ip_address_host(host: str, port: int) -> bool:
    """``192.168.1.5:8765`` or ``[fe80::1]:8765``: an address, never a name an attacker controls."""
    address, separator, host_port = host.rpartition(":")
    if not separator or host_port != str(port):
        return False
    try:
        ipaddress.ip_address(address.removeprefix("[").removesuffix("]"))
    except ValueError:
        return False
    return True


def _refuse_foreign_host():
    # DNS rebinding: a web page on evil.example can point its name at 127.0.0.1, but its
    # requests still carry "Host: evil.example:8765". Only loopback names get an answer.
    host = request.host.lower()
    port = current_app.config["PORT"]
    if host in allowed_hosts(port):
        return
    if current_app.config["ALLOW_REMOTE"] and is_ip_address_host(host, port):
        return
    raise ApiError(
        403,
        "forbidden_host",
        f"This helper only answers requests addressed to 127.0.0.1:{port} or localhost:{port}.",
    )


def _refuse_web_page_origin():
    origin = request.headers.get("Origin")
    if origin is None:  # The CLI, curl and an extension's GET send no Origin.
        return
    if extension_origin_pattern(current_app.config["EXTENSION_IDS"]).match(origin):
        return
    if origin == f"{request.scheme}://{request.host}":  # The helper's own pages (same origin).
        return
    raise ApiError(
        403,
        "forbidden_origin",
        "Only the Toontje browser extension may call this helper; web pages (and Origin: null) may not.",
    )


# --- errors -----------------------------------------------------------------------------------


def error_response(status: int, code: str, message: str):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def _api_error_response(error: ApiError):
    return error_response(error.status, error.code, error.message)


# Werkzeug's own errors, reworded to say what to do; any other keeps Werkzeug's description.
HTTP_ERRORS = {
    404: ("not_found", "Nothing here. The API is GET /v1/health, POST /v1/analyze, POST /v1/rewrite and GET /v1/rules."),
    413: (
        "body_too_large",
        f"The body is over {MAX_BODY_BYTES // 1024} KiB; send at most {MAX_TEXT_CHARS:,} characters of text.",
    ),
}


def _http_error_response(error: HTTPException):
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        allowed = ", ".join(sorted(error.valid_methods))
        response = error_response(405, "method_not_allowed", f"{request.method} is not allowed here; use {allowed}.")
        response.headers["Allow"] = allowed
        return response
    derived_code = re.sub(r"\W+", "_", error.name.lower()).strip("_")
    code, message = HTTP_ERRORS.get(error.code, (derived_code, error.description))
    return error_response(error.code, code, message)


def _unexpected_error_response(error: Exception):
    # The exception's message may quote the reply text, so only its type and place are logged:
    # the innermost frame in Toontje's own code, which is where a fix would go.
    frames = traceback.extract_tb(error.__traceback__)
    place = next((frame for frame in reversed(frames) if PACKAGE_DIRECTORY in frame.filename), frames[-1])
    error_log.error(
        "%s in %s:%d (%s)", type(error).__name__, place.filename, place.lineno, place.name
    )
    return error_response(500, "internal_error", "The helper failed on this request; it has been logged without its text.")


# --- access log -------------------------------------------------------------------------------


def _start_timer():
    g.request_started = time.perf_counter()


def _log_access(response):
    elapsed_ms = (time.perf_counter() - g.request_started) * 1000
    # quote() keeps control characters in a crafted path from forging extra log lines.
    access_log.info(
        "%s %s %d %.1fms", request.method, quote(request.path, safe="/"), response.status_code, elapsed_ms
    )
    return response
