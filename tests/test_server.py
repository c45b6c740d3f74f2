"""The same HTTP contract against a real waitress process: ``python -m toontje serve`` on loopback."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from test_api import BAD_REQUESTS, EXTENSION_ORIGIN, RISKY_NL, assert_analysis_shape, utf16_slice

START_TIMEOUT = 30
STOP_TIMEOUT = 15


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Helper:
    """One ``toontje serve`` process; its stdout and stderr go to files so a full pipe never blocks it."""

    def __init__(self, *arguments: str):
        self.port = free_port()
        self.output_dir = Path(tempfile.mkdtemp(prefix="toontje-serve-"))
        self.stdout_path = self.output_dir / "stdout"
        self.stderr_path = self.output_dir / "stderr"
        with open(self.stdout_path, "wb") as stdout, open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "toontje", "serve", "--port", str(self.port), *arguments],
                stdout=stdout,
                stderr=stderr,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"toontje serve exited early: {self.output()}")
            try:
                if self.request("GET", "/v1/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"toontje serve did not answer within {START_TIMEOUT} s: {self.output()}")

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def post_json(self, path, body, headers=None):
        return self.request("POST", path, json.dumps(body), {"Content-Type": "application/json", **(headers or {})})

    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(errors="replace")

    def stop(self, signum=signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture(scope="module")
def helper():
    helper = Helper()
    try:
        helper.wait_until_healthy()
        yield helper
    finally:
        helper.stop()


def error_code(body: bytes) -> str:
    return json.loads(body)["error"]["code"]


def test_serve_prints_its_url(helper):
    assert f"http://127.0.0.1:{helper.port}" in helper.stdout_path.read_text()


def test_health(helper):
    status, headers, body = helper.request("GET", "/v1/health")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["languages"] == ["nl", "en"]


def test_analyze_offsets_after_an_emoji(helper):
    text = "🙂 " + RISKY_NL
    status, _, body = helper.post_json("/v1/analyze", {"text": text})
    assert status == 200
    answer = json.loads(body)
    assert_analysis_shape(answer)
    assert answer["verdict"] == "warn"
    spans = [(f["start"], f["end"]) for f in answer["findings"] if f["end"] > f["start"]]
    assert spans
    # Each span cuts whole words out of the text the way JavaScript's string.slice() would.
    for start, end in spans:
        words = utf16_slice(text, start, end)
        assert words == words.strip() and words in text


def test_rewrite(helper):
    status, _, body = helper.post_json("/v1/rewrite", {"text": RISKY_NL, "context": {"author": "Sanne de Boer"}})
    assert status == 200
    answer = json.loads(body)
    assert answer["verdict"] != "warn" and "Sanne" in answer["text"]


def test_rules(helper):
    status, _, body = helper.request("GET", "/v1/rules")
    assert status == 200
    assert len(json.loads(body)["rules"]) > 10


@pytest.mark.parametrize(("body", "content_type", "status", "code"), [case[1:] for case in BAD_REQUESTS], ids=[case[0] for case in BAD_REQUESTS])
def test_bad_requests_get_a_json_error(helper, body, content_type, status, code):
    headers = {"Content-Type": content_type} if content_type else {}
    answer_status, answer_headers, answer = helper.request("POST", "/v1/analyze", body, headers)
    assert (answer_status, error_code(answer)) == (status, code)
    assert answer_headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(("method", "path", "status", "code"), [("GET", "/v1/nope", 404, "not_found"), ("GET", "/v1/analyze", 405, "method_not_allowed")])
def test_404_and_405_are_json(helper, method, path, status, code):
    answer_status, _, answer = helper.request(method, path)
    assert (answer_status, error_code(answer)) == (status, code)


def test_a_dns_rebinding_host_is_refused(helper):
    status, headers, body = helper.post_json("/v1/analyze", {"text": RISKY_NL}, {"Host": f"evil.example:{helper.port}"})
    assert (status, error_code(body)) == (403, "forbidden_host")


def test_web_page_origin_is_refused_and_extension_origin_gets_cors(helper):
    status, headers, body = helper.post_json("/v1/analyze", {"text": RISKY_NL}, {"Origin": "https://www.facebook.com"})
    assert (status, error_code(body)) == (403, "forbidden_origin")
    assert "Access-Control-Allow-Origin" not in headers
    status, headers, _ = helper.post_json("/v1/analyze", {"text": RISKY_NL}, {"Origin": EXTENSION_ORIGIN})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == EXTENSION_ORIGIN


def test_a_body_over_64k_is_refused(helper):
    status, _, body = helper.post_json("/v1/analyze", {"text": "a" * 70_000})
    assert (status, error_code(body)) == (413, "body_too_large")


def raw_exchange(port: int, request: bytes) -> tuple[bytes, bytes]:
    """Send bytes as they are and read the answer until the server closes: (head, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head, body


def test_a_body_past_the_servers_own_limit_gets_the_same_json_413(helper):
    # Waitress refuses this one itself, on its Content-Length, before the app runs
    # (WAITRESS_BODY_LIMIT). Only the start of the body is sent: the refusal must not wait for the rest.
    head, body = raw_exchange(helper.port, b"POST /v1/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              b"Content-Type: application/json\r\nContent-Length: 2097152\r\n\r\n" + b'{"text": "aaaa')
    assert head.startswith(b"HTTP/1.1 413")
    assert b"Content-Type: application/json" in head
    assert json.loads(body)["error"]["code"] == "body_too_large"


def test_a_malformed_request_line_gets_a_json_400(helper):
    head, body = raw_exchange(helper.port, b"POST /v1/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: twelve\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"Content-Type: application/json" in head
    assert json.loads(body)["error"]["code"] == "bad_request"


def send_chunked(port: int, body: bytes, chunk_size: int = 4096) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        chunks = (body[i : i + chunk_size] for i in range(0, len(body), chunk_size))
        connection.request("POST", "/v1/analyze", body=chunks, headers={"Content-Type": "application/json"}, encode_chunked=True)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_a_chunked_body_is_read(helper):
    status, body = send_chunked(helper.port, json.dumps({"text": RISKY_NL}).encode())
    assert status == 200 and json.loads(body)["verdict"] == "warn"


def test_a_chunked_body_over_64k_is_refused(helper):
    status, body = send_chunked(helper.port, json.dumps({"text": "a" * 70_000}).encode())
    assert (status, error_code(body)) == (413, "body_too_large")


def test_sixteen_concurrent_clients_all_get_answers(helper):
    statuses = []

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", helper.port, timeout=30)
        for _ in range(10):
            connection.request("POST", "/v1/analyze", json.dumps({"text": RISKY_NL}), {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [200] * 160


def test_the_access_log_never_contains_reply_text(helper):
    marker = "Zeldzaamwoord Krokodillenleer ordernummer 4711"
    helper.post_json("/v1/analyze?ref=querygeheim", {"text": marker, "context": {"author": "Wilhelmina Zeldzaam"}})
    helper.post_json("/v1/rewrite", {"text": marker, "lang": "xx"})
    helper.request("POST", "/v1/analyze", marker.encode(), {"Content-Type": "text/plain"})
    deadline = time.monotonic() + 5
    while "POST /v1/analyze 415" not in helper.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = helper.output()
    assert "POST /v1/analyze 200" in log and "POST /v1/rewrite 400" in log and "POST /v1/analyze 415" in log
    for needle in ("Zeldzaam", "Krokodil", "4711", "querygeheim"):
        assert needle not in log


def keep_requesting(helper: Helper, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            helper.post_json("/v1/analyze", {"text": RISKY_NL})
        except (OSError, http.client.HTTPException):
            return  # The helper has stopped listening.


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_stops_the_helper_cleanly_even_while_busy(signum):
    helper = Helper()
    stop_client = threading.Event()
    client = threading.Thread(target=keep_requesting, args=(helper, stop_client))
    try:
        helper.wait_until_healthy()
        client.start()
        time.sleep(0.5)  # The signal lands between and during requests, not only on an idle loop.
        assert helper.stop(signum) == 0
        assert "stopped" in helper.stdout_path.read_text()
        assert "Traceback" not in helper.output()
        with pytest.raises(OSError):
            helper.request("GET", "/v1/health")
    finally:
        stop_client.set()
        helper.stop(signal.SIGKILL)
        if client.is_alive():
            client.join(30)


def test_a_non_loopback_address_needs_allow_remote():
    helper = Helper("--host", "0.0.0.0")
    try:
        assert helper.process.wait(STOP_TIMEOUT) == 2
        assert "--allow-remote" in helper.stderr_path.read_text()
        with pytest.raises(OSError):
            helper.request("GET", "/v1/health")
    finally:
        helper.stop(signal.SIGKILL)


def test_a_port_in_use_is_a_clear_error(helper):
    with open(os.devnull, "wb") as devnull:
        result = subprocess.run(
            [sys.executable, "-m", "toontje", "serve", "--port", str(helper.port)],
            stdout=devnull,
            stderr=subprocess.PIPE,
            timeout=STOP_TIMEOUT,
        )
    assert result.returncode == 2
    assert f"cannot listen on http://127.0.0.1:{helper.port}" in result.stderr.decode()
