"""Serve the helper with waitress, on loopback unless the user explicitly says otherwise."""

from __future__ import annotations

import ipaddress
import json
import logging
import signal
import sys
import threading

import waitress
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask

from . import __version__
from .api import HTTP_ERRORS, MAX_BODY_BYTES

DEFAULT_HOST = "127.0.0.1"
# One worker per concurrent client we plan for (several tabs, a team dashboard, the benchmark's
# 16 keep-alive clients), so a request never waits behind another one in waitress's queue.
THREADS = 16
# Waitress reads the whole body before the app sees it. Past this size it refuses on its own,
# through JsonErrorTask; up to it, the app answers bodies over 64 KiB with its JSON 413.
WAITRESS_BODY_LIMIT = 16 * MAX_BODY_BYTES
# How long an idle helper takes at most to notice Ctrl+C or SIGTERM.
STOP_CHECK_SECONDS = 0.2


class JsonErrorTask(ErrorTask):
    """Waitress's own refusals (a huge body, broken headers) in the API's JSON error shape.

    Waitress answers these before the app runs, in plain text; a client of the API should not
    need a second parser for them.
    """

    def execute(self):
        error = self.request.error
        code, message = HTTP_ERRORS.get(
            error.code, ("_".join(error.reason.lower().split()), f"{error.reason}: {error.body}")
        )
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class JsonErrorChannel(HTTPChannel):
    error_task_class = JsonErrorTask


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False  # A host name could resolve anywhere.


def url_for(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def configure_logging() -> None:
    """Access lines (method, path, status, duration) and warnings go to stderr, nothing else."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(name)s %(levelname)s: %(message)s")
    access = logging.getLogger("toontje.access")
    access.setLevel(logging.INFO)
    access.propagate = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access.addHandler(handler)


def serve(app, host: str = DEFAULT_HOST, port: int = 8765) -> None:
    """Run ``app`` until Ctrl+C or SIGTERM; return once waitress has shut down."""
    socket_map: dict = {}
    server = waitress.create_server(
        app,
        map=socket_map,
        host=host,
        port=port,
        threads=THREADS,
        ident="toontje",
        max_request_body_size=WAITRESS_BODY_LIMIT,
        # Above inbuf_overflow waitress spools a body to a temporary file; reply text stays in memory.
        inbuf_overflow=WAITRESS_BODY_LIMIT + 64 * 1024,
    )
    server.channel_class = JsonErrorChannel
    # The signal handler only sets a flag that this loop checks. waitress.serve() instead relies on
    # KeyboardInterrupt, which is raised wherever the main thread happens to be, including inside
    # waitress's bare "except:" blocks that would swallow it and keep the helper running.
    stop_requested = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop_requested.set())
    print(f"Toontje {__version__} is listening on {url_for(host, port)} (Ctrl+C stops it)", flush=True)
    while not stop_requested.is_set():
        wasyncore.loop(timeout=STOP_CHECK_SECONDS, map=socket_map, count=1)
    server.task_dispatcher.shutdown()  # Lets requests in progress finish (for up to 5 seconds).
    server.close()
    print("Toontje stopped.", flush=True)
