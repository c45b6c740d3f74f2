"""Shared fixtures: the Flask app and its test client (Flask tutorial style)."""

import os
import tempfile

import pytest

from toontje.api import create_app

TEST_PORT = 8765
# SERVER_NAME makes the test client address the app as a browser on this machine would,
# http://127.0.0.1:<PORT>; the app refuses any other Host header.
TEST_CONFIG = {"TESTING": True, "PORT": TEST_PORT, "SERVER_NAME": f"127.0.0.1:{TEST_PORT}"}


def pytest_configure(config):
    # Apps and helper processes started by tests count events; keep them out of the user's data dir.
    os.environ.setdefault("TOONTJE_DATA_DIR", tempfile.mkdtemp(prefix="toontje-test-data-"))


@pytest.fixture
def app():
    return create_app(TEST_CONFIG)


@pytest.fixture
def client(app):
    return app.test_client()
