"""Debian's Chromium for browser tests and benchmarks, driven by Playwright.

Playwright's own browser download is never used: ``executable_path`` points at the system
Chromium, started with the flags that keep it off the network (this machine reaches only
the package registries, and a headless browser must not try to reach anything else).
"""

from __future__ import annotations

from pathlib import Path

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
