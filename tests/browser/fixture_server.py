"""HTTPS server for the fixture pages, reached by Chromium as https://www.facebook.com/... and
https://www.linkedin.com/... through --host-resolver-rules (see ../../../shared/BROWSER-TESTS.md).

Routes: /build/* (bundled editors), /fixtures/* (page scripts), anything else -> the site's page,
chosen by the Host header. Also usable by hand: python tests/browser/fixture_server.py
"""
from __future__ import annotations

import mimetypes
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
BUILD = HERE / "build"
HOSTNAMES = ("www.facebook.com", "web.facebook.com", "www.linkedin.com")
PAGES = {
    "www.facebook.com": "facebook.html",
    "web.facebook.com": "facebook.html",
    "www.linkedin.com": "linkedin.html",
}


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """Self-signed certificate with SANs for the site hostnames, made by openssl."""
    cert, key = directory / "fixture-cert.pem", directory / "fixture-key.pem"
    san = ",".join(f"DNS:{name}" for name in HOSTNAMES) + ",IP:127.0.0.1"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
         "-subj", "/CN=www.facebook.com", "-addext", f"subjectAltName={san}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


class Handler(BaseHTTPRequestHandler):
    server_version = "fixture/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _file(self, base: Path, rel: str) -> None:
        target = (base / rel).resolve()
        if base.resolve() not in target.parents or not target.is_file():
            self._send(404, b"not found", "text/plain")
            return
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/javascript", "text/javascript"):
            ctype += "; charset=utf-8"
        self._send(200, target.read_bytes(), ctype)

    def do_GET(self):  # noqa: N802
        path = self.path.split("?", 1)[0]
        if path.startswith("/build/"):
            return self._file(BUILD, path[len("/build/"):])
        if path.startswith("/fixtures/"):
            return self._file(FIXTURES, path[len("/fixtures/"):])
        if path == "/favicon.ico":
            return self._send(204, b"", "text/plain")
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        page = PAGES.get(host)
        if page is None:
            return self._send(404, f"unknown host {host}".encode(), "text/plain")
        return self._file(FIXTURES, page)

    do_HEAD = do_GET


class FixtureServer:
    def __init__(self, cert: Path, key: Path, host: str = "127.0.0.1", port: int = 0):
        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        # Handshake in the handler thread, not in the accept loop.
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True, do_handshake_on_connect=False)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="fixture-https", daemon=True)

    def start(self) -> "FixtureServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        c, k = make_certificate(Path(tmp))
        server = FixtureServer(c, k, port=8443)
        print(f"fixtures on https://127.0.0.1:{server.port}/ (map the site hostnames to it)")
        server.httpd.serve_forever()
