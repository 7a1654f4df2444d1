"""``policyengine serve`` as a process: start, reload (atomically, on SIGHUP and on change),
token file, decision log and replay, and the message without the server extra."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from scenario_cases import ROOT
from served import Served, serve

from policyengine.server import create_app

HALTON = ROOT / "policies" / "halton_conduct.yaml"
START = re.compile(r"serving on http://([\d.]+):(\d+)/")


class Process:
    def __init__(self, args: list[str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "policyengine", "serve", "--port", "0", "--no-access-log",
             "--log-level", "warning", *args],
            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: list[str] = []
        line = self.proc.stderr.readline() if self.proc.stderr else ""
        self.lines.append(line)
        found = START.search(line)
        if not found:
            self.stop()
            raise AssertionError(f"serve did not start: {line}{self.rest()}")
        self.served = Served(found.group(1), int(found.group(2)))
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def rest(self) -> str:
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            return ""
        return err or ""

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        return self.proc.returncode


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    target.mkdir()
    shutil.copy(HALTON, target / HALTON.name)
    return target


def _wait_for(predicate: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def _sha(served: Served) -> str:
    body = served.get("/v1/health").json()
    return str(body["policies"][0]["sha256"])


def _versioned(text: str, version: str) -> str:
    return text.replace('version: "2.1"', f'version: "{version}"', 1)


def test_sighup_reloads_atomically_and_a_failed_reload_keeps_the_old_set(
        policy_dir: Path, tmp_path: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    proc = Process(["--policies", str(policy_dir), "--decision-log", str(log)], tmp_path)
    try:
        served = proc.served
        first = _sha(served)
        original = (policy_dir / HALTON.name).read_text(encoding="utf-8")
        assert 'version: "2.1"' in original
        (policy_dir / HALTON.name).write_text("policy: [broken\n", encoding="utf-8")
        proc.proc.send_signal(signal.SIGHUP)
        health = _wait_for(lambda: (h := served.get("/v1/health").json())["last_reload"] and h)
        assert health["last_reload"]["ok"] is False
        assert _sha(served) == first  # the old set is kept and still answers
        answer = served.post("/v1/policies/halton_conduct/decisions/policy_status",
                             {"as_of": "2026-01-01"})
        assert answer.status == 200
        assert "/" not in json.dumps(health["last_reload"])  # no server path in the body
        assert any("reload failed" in line for line in proc.lines)

        (policy_dir / HALTON.name).write_text(_versioned(original, "2.2"), encoding="utf-8")
        proc.proc.send_signal(signal.SIGHUP)
        _wait_for(lambda: _sha(served) != first)
        body = served.post("/v1/policies/halton_conduct/decisions/policy_status",
                           {"as_of": "2026-01-01"}).json()
        assert body["provenance"]["policy_version"] == "2.2"
    finally:
        assert proc.stop() in (0, -signal.SIGTERM)  # uvicorn ends by the signal it got
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    # the log replays: the first decision was taken with the policy as it was then
    replay = subprocess.run(
        [sys.executable, "-m", "policyengine", "replay", str(log), "--policies", str(policy_dir)],
        capture_output=True, text=True, timeout=120, check=False)
    assert replay.returncode == 1, replay.stdout + replay.stderr
    assert "1 same" in replay.stdout and "1 policy changed" in replay.stdout
    assert "the policy changed" in replay.stdout


def test_a_request_never_sees_half_a_reload(policy_dir: Path) -> None:
    """Reloads swap between two valid versions while clients decide: every answer's version
    and sha256 belong together, and no request fails."""
    original = (policy_dir / HALTON.name).read_text(encoding="utf-8")
    versions = {"2.1": original, "9.9": _versioned(original, "9.9")}
    app = create_app(policy_dir)
    registry = app.state.policyengine.registry
    shas: dict[str, str] = {}
    for version, text in versions.items():
        (policy_dir / HALTON.name).write_text(text, encoding="utf-8")
        assert registry.reload().ok
        shas[version] = registry.current.policies.policy("halton_conduct").sha256
    stop = threading.Event()

    def reloader() -> None:
        i = 0
        while not stop.is_set():
            (policy_dir / HALTON.name).write_text(versions[["2.1", "9.9"][i % 2]],
                                                  encoding="utf-8")
            registry.reload()
            i += 1

    def client(served: Served) -> list[tuple[str, str]]:
        seen = []
        for _ in range(40):
            response = served.post("/v1/policies/halton_conduct/decisions/appeal_deadline",
                                   {"facts": {"notification_received": "2026-12-24"},
                                    "as_of": "2026-12-24"})
            assert response.status == 200, response.text
            provenance = response.json()["provenance"]
            seen.append((provenance["policy_version"], provenance["policy_sha256"]))
        return seen

    with serve(app) as served:
        thread = threading.Thread(target=reloader, daemon=True)
        thread.start()
        try:
            with ThreadPoolExecutor(max_workers=4) as pool:
                results = [p for part in pool.map(client, [served] * 4, timeout=120)
                           for p in part]
        finally:
            stop.set()
            thread.join(30)
    assert all(shas[version] == sha for version, sha in results)
    assert registry.current.generation > 3


def test_reload_flag_follows_file_changes_and_the_token_file_guards(
        policy_dir: Path, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("  t0ken-for-the-test-123\n", encoding="utf-8")
    proc = Process(["--policies", str(policy_dir), "--reload", "--token-file", str(token),
                    "--decision-log", "none"], tmp_path)
    auth = {"Authorization": "Bearer t0ken-for-the-test-123"}
    try:
        served = proc.served
        assert served.get("/v1/health").status == 401
        first = served.get("/v1/health", headers=auth).json()["policies"][0]["sha256"]
        text = (policy_dir / HALTON.name).read_text(encoding="utf-8")
        (policy_dir / HALTON.name).write_text(_versioned(text, "3.0"), encoding="utf-8")
        _wait_for(lambda: served.get("/v1/health", headers=auth).json()["policies"][0]["sha256"]
                  != first)
    finally:
        assert proc.stop() in (0, -signal.SIGTERM)  # uvicorn ends by the signal it got
    assert not list(tmp_path.glob("*.sqlite"))  # 'none': no log written


def test_bad_options_exit_2_with_one_line(tmp_path: Path) -> None:
    for args, words in (
        (["--token-file", str(tmp_path / "missing")], "cannot read the token file"),
        (["--policies", str(tmp_path / "nowhere")], "no such file or directory"),
        (["--decision-log", "none", "--retention-days", "3"], "apply to a decision log"),
    ):
        result = subprocess.run([sys.executable, "-m", "policyengine", "serve", "--port", "0",
                                 *args], capture_output=True, text=True, timeout=60,
                                cwd=tmp_path, check=False)
        assert result.returncode == 2, result.stderr
        assert words in result.stderr and "Traceback" not in result.stderr


def test_without_the_server_extra_serve_says_how_to_install_it(tmp_path: Path) -> None:
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text(
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('starlette', 'uvicorn', 'jinja2'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT / 'src'}"}
    result = subprocess.run([sys.executable, "-m", "policyengine", "serve"], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "pip install 'housing-policyengine[server]'" in result.stderr
    assert "Traceback" not in result.stderr
    listed = subprocess.run([sys.executable, "-c", "import policyengine, sys; "
                             "print(sorted(m for m in sys.modules if m.split('.')[0] in "
                             "('starlette', 'uvicorn', 'jinja2')))"],
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert listed.stdout.strip() == "[]"


def test_importing_policyengine_imports_no_web_server() -> None:
    result = subprocess.run([sys.executable, "-c", "import policyengine, sys; print(sorted(m "
                             "for m in sys.modules if m.split('.')[0] in ('starlette', "
                             "'uvicorn', 'jinja2', 'anyio')))"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr

