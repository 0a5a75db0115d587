"""The web process as the Procfile starts it (real gunicorn): what its access and app logs hold."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "at-secret-0f9e7d6c"
NUMBER = "211912345678"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _procfile_web() -> str:
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    return line.removeprefix("web:").strip()


def _call(url: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(
        url, method=method, headers=headers or {}, data=b"" if method == "POST" else None
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_gunicorn_logs_no_token_no_number_and_no_number_as_a_request_id(tmp_path: Path) -> None:
    port = _free_port()
    env = os.environ | {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "2",
        "DALILI_DATABASE_URL": f"sqlite:///{tmp_path / 'dalili.sqlite3'}",
        "DALILI_REDIS_URL": "",
        "DALILI_AT_WEBHOOK_TOKEN": TOKEN,
        "DALILI_LOG_LEVEL": "INFO",
    }
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        server = subprocess.Popen(
            ["bash", "-c", "exec " + _procfile_web()], cwd=ROOT, env=env, stdout=stdout, stderr=stderr
        )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if _call(f"{base}/healthz") == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"gunicorn did not start: {err.read_text()[-2000:]}")
        # The webhook's own token, right, on a callback without a message: refused (400) and logged.
        sms = f"{base}/webhooks/africastalking/sms?token={TOKEN}"
        assert _call(sms, method="POST", headers={"X-Request-Id": f"+{NUMBER}"}) == 400
        assert _call(sms, method="POST", headers={"X-Request-Id": "trace-7f3a.b"}) == 400
        _call(f"{base}/simulator/replies?phone=%2B{NUMBER}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    access, app_log = out.read_text(), err.read_text()
    assert "POST /webhooks/africastalking/sms?token=[redacted] HTTP/1.1" in access
    assert "GET /simulator/replies?phone=[redacted] HTTP/1.1" in access
    rejected = [line for line in app_log.splitlines() if "rejected /webhooks/africastalking/sms" in line]
    assert len(rejected) == 2
    assert re.search(r"\[req=[0-9a-f]{16} job=\]", rejected[0]), rejected[0]  # her number refused as an id
    assert "[req=trace-7f3a.b job=]" in rejected[1]
    for log in (access, app_log):
        assert TOKEN not in log
        assert NUMBER not in log
