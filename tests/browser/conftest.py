"""Browser tests: the system Chromium, driven by Playwright, against Django's live server.

No browser is ever downloaded: the tests use /usr/bin/chromium (``apt-get install chromium
fonts-noto-cjk``). Without it they are skipped and the end of the run says so loudly — unless
ZQ_REQUIRE_BROWSER=1 or CI=true, where a missing Chromium fails them instead, so that CI cannot
go green with the browser tests silently skipped.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SKIP_REASON = "Chromium is not installed (/usr/bin/chromium): browser tests skipped"
SUMMARY_LINE = (
    "BROWSER TESTS SKIPPED: Chromium is not installed (/usr/bin/chromium); "
    "install it with: apt-get install chromium fonts-noto-cjk"
)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# Office screens: a common laptop resolution, so that screenshots show what a clerk sees.
VIEWPORT = {"width": 1366, "height": 768}
TIMEOUT_MS = 15_000

_skipped_key = pytest.StashKey[int]()
_reload_key = pytest.StashKey[tuple[Any, dict[str, str]]]()


class BrowserSkipWarning(pytest.PytestWarning):
    """Carries the skip notice from an xdist worker to the controller's warnings summary."""


def chromium_installed() -> bool:
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


def browser_required() -> bool:
    return os.environ.get("ZQ_REQUIRE_BROWSER") == "1" or os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if chromium_installed() or browser_required():
        return
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=SKIP_REASON))
    config.stash[_skipped_key] = len(browser_items)
    worker = getattr(config, "workerinput", None)
    # Under xdist this conftest is loaded by the workers only, so the terminal summary below never
    # runs on the controller; a warning is forwarded to it and shown at the end (by one worker:
    # each of them collects every test).
    if browser_items and worker is not None and worker.get("workerid") == "gw0":
        warnings.warn(BrowserSkipWarning(SUMMARY_LINE), stacklevel=1)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    skipped = config.stash.get(_skipped_key, 0)
    if skipped:
        terminalreporter.write_sep("=", f"{SUMMARY_LINE} ({skipped} tests)", yellow=True, bold=True)


# --- Playwright ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Any]:
    if not chromium_installed():
        pytest.fail(
            "Chromium is required here (ZQ_REQUIRE_BROWSER=1 or CI=true) but /usr/bin/chromium "
            "is not installed: apt-get install chromium fonts-noto-cjk",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread, and Django refuses ORM
    # calls from a thread with a running loop. The test code and the live server are plain
    # synchronous code, so the check is switched off while Playwright runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(_playwright: Any) -> Iterator[Any]:
    instance = _playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[[], Any]]:
    """Each call opens a page in a fresh context: its own cookies, so its own login."""
    contexts: list[Any] = []

    def _open() -> Any:
        context = browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport=VIEWPORT
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: Callable[[], Any]) -> Any:
    return open_page()


@pytest.fixture
def base_url(live_server: Any) -> str:
    return str(live_server.url)


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
