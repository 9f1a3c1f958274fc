"""The phone page's first load: its size, its requests, and the time to the first question on a
slow mobile network, next to a baseline measured in the same run.

``.venv/bin/python -m bench.phone_page [--runs 5] [--no-formbricks]`` (from the repository root).

A real hub (``voxloop hub init``, ``add-store``, ``serve``) runs on 127.0.0.1 on a throwaway
SQLite database; Debian's Chromium (never a downloaded one) opens the page for a poster's QR
code at a phone's viewport, each run in a fresh browser context (empty cache, no service worker).
Printed:

* **transfer** -- the page with its inline CSS and JS, gzip-compressed as the hub sends it, and
  the bytes Chromium received until the first question was interactive
  (Network.loadingFinished, headers included); and what the service worker fetches afterwards;
* **other origins** -- requests to anything but the hub during the first load and the 1.5 s
  after (must be 0);
* **first question interactive** -- from the start of the navigation until the first question's
  face buttons are on screen with the script's handlers attached (the page's
  ``voxloop:interactive`` mark, read back; and the same seen from outside, from ``goto`` until
  the buttons are visible), under network emulation through the DevTools protocol
  (Network.emulateNetworkConditions):
  - *slow 3G* as WebPageTest and Lighthouse define it: 400 ms round trip, 400 kbit/s down and up;
  - *DevTools "Slow 3G"*: Chrome's preset, 400 kbit/s with 2,000 ms added to every request
    (400 ms x 5: the preset models connection set-up per request), so no page can show
    anything in less than 2 s there.
  Baselines in the same run, same network: the same page with JavaScript disabled (the plain
  form is usable as soon as HTML and CSS are in), and a bare HTML page of the same compressed
  size served in one request (the floor for this many bytes).
* optionally the published npm bundles of Formbricks (``npm pack`` into a temporary folder):
  ``@formbricks/js`` (the loader a website embeds) and ``@formbricks/surveys`` (the survey
  renderer), gzip-compressed.

How to read the figures, and a reference run: docs/performance.md, "Phone page: size and first
question on slow 3G".
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.e2e.processes import free_port, running, wait_for
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
VOXLOOP = str(Path(sys.executable).with_name("voxloop"))
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
KBIT_400 = 400 * 1000 / 8  # bytes per second
NETWORKS = {
    "slow 3G (400 ms RTT, 400 kbit/s)": {"latency": 400, "downloadThroughput": KBIT_400, "uploadThroughput": KBIT_400},
    'DevTools "Slow 3G" (2000 ms/request)': {
        "latency": 2000,
        "downloadThroughput": KBIT_400,
        "uploadThroughput": KBIT_400,
    },
}
SECRET = "bench-phone-secret"


@contextmanager
def hub() -> Any:
    with tempfile.TemporaryDirectory(prefix="voxloop-bench-phone-") as folder:
        cwd = Path(folder)
        port = free_port()
        env = {
            **os.environ,
            "VOXLOOP_INSTANCE_PATH": str(cwd / "instance"),
            "VOXLOOP_SECRET_KEY": SECRET,
            "VOXLOOP_PUBLIC_URL": f"http://127.0.0.1:{port}",
        }
        env.pop("VOXLOOP_DATABASE_URL", None)
        for command in (["hub", "init"], ["hub", "add-store", "B001", "Berlin Mitte", "--time-zone", "Europe/Berlin"]):
            subprocess.run([VOXLOOP, *command], env=env, cwd=cwd, check=True, capture_output=True, timeout=120)
        url = subprocess.run(
            [VOXLOOP, "qr", "url", "--store", "B001", "--touchpoint", "exit"],
            env=env,
            cwd=cwd,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout.strip()
        log = cwd / "hub.log"
        with running([VOXLOOP, "hub", "serve", "--port", str(port)], cwd=cwd, env=env, log=log):
            wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok, 60, "the hub", log)
            yield url


# --- size -----------------------------------------------------------------------------------


@dataclass
class Part:
    name: str
    raw: int
    gzipped: int


def page_parts(url: str) -> tuple[list[Part], list[Part]]:
    """The first load (the page, its style and script inline) as the hub sends it to a browser
    that takes gzip, with the share of each part; and what the service worker fetches later."""
    import re

    session = requests.Session()
    page = session.get(url, headers={"Accept-Encoding": "gzip"}, stream=True)
    wire = page.raw.read()
    html = (gzip.decompress(wire) if page.headers.get("Content-Encoding") == "gzip" else wire).decode()
    first = [Part("page as sent", len(html.encode()), len(wire))]
    for label, pattern in (("  of which CSS", r"<style>(.*?)</style>"), ("  of which JS", r"<script>(.*?)</script>")):
        inner = "".join(re.findall(pattern, html, re.S)).encode()
        first.append(Part(label, len(inner), len(gzip.compress(inner, 6))))
    base = url.split("/m/")[0]
    version = re.search(r'"v": ?"(\w+)"', html).group(1)
    later = []
    for path in (f"/m/static/phone.js?v={version}", "/m/sw.js"):
        answer = session.get(base + path, headers={"Accept-Encoding": "gzip"}, stream=True)
        body = answer.raw.read()
        raw = gzip.decompress(body) if answer.headers.get("Content-Encoding") == "gzip" else body
        later.append(Part(path.split("?")[0].rsplit("/", 1)[-1], len(raw), len(body)))
    return first, later


# --- time to the first question ---------------------------------------------------------------


@dataclass
class Load:
    outside_ms: float  # goto() until the first question's controls are visible
    inside_ms: float | None  # navigation start until the page's voxloop:interactive mark
    wire_bytes: int  # what Chromium received before that (headers included)
    requests: list[str]


def load(browser: Any, url: str, network: dict[str, float], *, javascript: bool, ready: str) -> Load:
    context = browser.new_context(**PHONE, java_script_enabled=javascript, locale="en-US", service_workers="block")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", {"offline": False, **network})
    received: dict[str, int] = {}
    cdp.on("Network.loadingFinished", lambda e: received.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    started = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=60000)
    page.locator(ready).first.wait_for(state="visible", timeout=60000)
    outside = (time.perf_counter() - started) * 1000
    wire = sum(received.values())
    inside = None
    if javascript:
        inside = page.evaluate(
            "() => { const m = performance.getEntriesByName('voxloop:interactive')[0]; return m ? m.startTime : null; }"
        )
    page.wait_for_timeout(1500)  # what else the page asks for after it is usable
    requests_made = list(seen)
    context.close()
    return Load(outside, inside, wire, requests_made)


@contextmanager
def bare_page(size: int) -> Any:
    """A plain HTML page whose gzip-compressed body has ``size`` bytes, served in one request."""
    words = ""
    body = b""
    while len(gzip.compress(body, 6)) < size:
        words += secrets.token_urlsafe(96) + " "
        body = f"<!doctype html><title>bare</title><p>{words}</p><p id=end>end</p>".encode()
    compressed = gzip.compress(body, 6)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(compressed)))
            self.end_headers()
            self.wfile.write(compressed)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", len(compressed)
    finally:
        server.shutdown()


# --- Formbricks, as published on npm ----------------------------------------------------------


def formbricks_bundles() -> list[tuple[str, int, int]]:
    """(file, raw bytes, gzip bytes) of Formbricks' published browser bundles, or [] offline."""
    npm = shutil.which("npm")
    if npm is None:
        return []
    found = []
    with tempfile.TemporaryDirectory(prefix="voxloop-formbricks-") as folder:
        for package, member in (
            ("@formbricks/js", "package/dist/index.js"),
            ("@formbricks/surveys", "package/dist/index.umd.js"),
        ):
            result = subprocess.run(
                [npm, "pack", "--silent", package], cwd=folder, capture_output=True, text=True, timeout=120
            )
            if result.returncode != 0 or not result.stdout.strip():
                continue
            tarball = Path(folder) / result.stdout.strip().splitlines()[-1]
            with tarfile.open(tarball) as archive:
                data = archive.extractfile(member).read()
            label = f"{tarball.stem.replace('formbricks-', '@formbricks/')} {member.removeprefix('package/')}"
            found.append((label, len(data), len(gzip.compress(data, 9))))
    return found


# --- report ---------------------------------------------------------------------------------


def kb(n: float) -> str:
    return f"{n / 1024:.1f} KB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="page loads per figure (median reported)")
    parser.add_argument("--no-formbricks", action="store_true", help="skip npm pack of the Formbricks bundles")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    load_average = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"voxloop phone page benchmark  ({platform.node()}, {os.cpu_count()} CPUs, load average {load_average}, "
        f"Python {platform.python_version()})"
    )
    with hub() as url, sync_playwright() as playwright:
        base = url.split("/m/")[0]
        first, later = page_parts(url)
        total = first[0].gzipped
        print("\nfirst-load transfer: one request, style and script inline (gzip as the hub sends it; aim <= 30 KB):")
        for p in first:
            print(f"  {p.name:<16} {kb(p.raw):>9} raw  {kb(p.gzipped):>8} gzip")
        print("later, in the background, when the service worker installs (for offline use):")
        for p in later:
            print(f"  {p.name:<16} {kb(p.raw):>9} raw  {kb(p.gzipped):>8} gzip")

        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print(f"\nChromium {browser.version}, {args.runs} cold loads per figure, median (min-max) in ms")
        with bare_page(total) as (bare_url, bare_bytes):
            for network_name, network in NETWORKS.items():
                chat = [load(browser, url, network, javascript=True, ready=".facebtn") for _ in range(args.runs)]
                plain = [load(browser, url, network, javascript=False, ready=".face-pick") for _ in range(args.runs)]
                bare = [load(browser, bare_url, network, javascript=True, ready="#end") for _ in range(args.runs)]
                print(f"\n{network_name}:")
                row("chat page, first question interactive", [x.outside_ms for x in chat])
                row("  the same, the page's own mark", [x.inside_ms for x in chat if x.inside_ms is not None])
                row("baseline: same page, JavaScript off", [x.outside_ms for x in plain])
                row(f"baseline: bare HTML, {kb(bare_bytes)} gzip, 1 request", [x.outside_ms for x in bare])
                wire = statistics.median(x.wire_bytes for x in chat)
                print(f"  bytes Chromium received until interactive: {kb(wire)} (headers included)")
                foreign = sorted({u for x in chat for u in x.requests if not u.startswith((base, "data:"))})
                requests_made = statistics.median(len(x.requests) for x in chat)
                print(f"  requests until 1.5 s after: {requests_made:.0f}, to other origins: {len(foreign)}")
                for u in foreign:
                    print(f"    {u}")
        browser.close()

    if not args.no_formbricks:
        bundles = formbricks_bundles()
        print("\nFormbricks, as published on npm (gzip -9 of the file):")
        if not bundles:
            print("  not measured (npm missing or the registry not reachable)")
        for name, raw, zipped in bundles:
            print(f"  {name:<48} {kb(raw):>9} raw  {kb(zipped):>8} gzip")


def row(label: str, values: list[float]) -> None:
    if not values:
        print(f"  {label:<52} -")
        return
    print(f"  {label:<52} {statistics.median(values):7.0f}  ({min(values):.0f}-{max(values):.0f})")


if __name__ == "__main__":
    main()
