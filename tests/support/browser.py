"""Debian's Chromium for browser tests and benchmarks, driven by Playwright.

Playwright's own browser download is never used: ``executable_path`` points at the system
Chromium, started with the flags that keep it off the network (this machine reaches only
the package registries, and a headless browser must not try to reach anything else).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, launched headless through Playwright; a missing one skips loudly
    (fails when the run must be complete)."""
    from tests.conftest import missing_system_package

    if not CHROMIUM.exists():
        missing_system_package("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
