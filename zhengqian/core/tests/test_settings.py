"""Production refuses to start with DEBUG, a default secret key or demo accounts."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from zhengqian.accounts.checks import check_demo_accounts, refuse_demo_accounts_in_production

ROOT = Path(__file__).resolve().parents[3]


def start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ZQ_", "DATABASE_URL"))}
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','config.settings');"
        " django.setup(); print('started')"
    )
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


GOOD = {
    "ZQ_ENV": "production",
    "ZQ_SECRET_KEY": secrets.token_urlsafe(64),
    "ZQ_ALLOWED_HOSTS": "zhengqian.example",
    "DATABASE_URL": "sqlite:////tmp/zq-settings-test.sqlite3",
}


def test_production_starts_with_its_own_secret_and_debug_off() -> None:
    result = start(GOOD)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_production_refuses_debug() -> None:
    result = start({**GOOD, "ZQ_DEBUG": "1"})
    assert result.returncode != 0 and "ZQ_DEBUG" in result.stderr


def test_production_refuses_the_default_secret_key() -> None:
    env = dict(GOOD)
    del env["ZQ_SECRET_KEY"]
    result = start(env)
    assert result.returncode != 0 and "ZQ_SECRET_KEY" in result.stderr


def test_a_secret_is_read_from_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(secrets.token_urlsafe(64))
    env = dict(GOOD)
    del env["ZQ_SECRET_KEY"]
    result = start({**env, "ZQ_SECRET_KEY_FILE": str(secret_file)})
    assert result.returncode == 0, result.stderr


def test_a_malformed_boolean_stops_the_start() -> None:
    result = start({"ZQ_DEBUG": "maybe"})
    assert result.returncode != 0 and "ZQ_DEBUG must be a boolean" in result.stderr


@pytest.mark.django_db
def test_production_refuses_to_run_while_demo_accounts_exist(settings, world):  # type: ignore[no-untyped-def]
    settings.PRODUCTION = True
    refuse_demo_accounts_in_production()  # no demo account yet
    assert check_demo_accounts() == []
    world.pm.is_demo = True
    world.pm.save()
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="demo accounts"):
        refuse_demo_accounts_in_production()
    assert [m.id for m in check_demo_accounts()] == ["zhengqian.E001"]
    settings.PRODUCTION = False
    assert check_demo_accounts() == []
