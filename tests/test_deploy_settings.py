"""Production settings pass Django's deployment checks, and refuse to start without a key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_courtyard(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    unwanted = {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the second is test-only
    environment = {k: v for k, v in os.environ.items() if k not in unwanted}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "courtyard.cli", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    result = run_courtyard(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="x7#Kq9!vT2@pL5$wR8^zN3&mB6*cF1(hJ4)dG0_sY-eU+aQ=iO[oP]lM{nV}bX",
        ALLOWED_HOSTS="courtyard.example.org",
        COURTYARD_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_secret_key_refuses_to_start(tmp_path: Path) -> None:
    result = run_courtyard(
        "check", DEBUG="false", SECRET_KEY="", ALLOWED_HOSTS="x", COURTYARD_VAR_DIR=str(tmp_path)
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
