"""Terminal: tap to thank-you, and memory. The real kiosk app in an offscreen window.

``.venv/bin/python -m bench.kiosk_tap [--taps 1000] [--size 800x480]`` (from the repository root).

The app (kiosk.app.KioskApp) runs on a real ``kiosk.terminal.Terminal`` in demo mode (no hub:
nothing is sent, the sync worker is idle) in SDL's offscreen window, rendered by Mesa. Each tap
is a real touch on the best face (it has no follow-up, so it is captured at the tap):

* **tap to thank-you** -- from the touch's release to the end of the first frame drawn with
  the thank-you screen current (Window ``on_flip``). In between: the face's on_release, the
  durable commit (SQLite WAL, synchronous=FULL, fsync), the screen switch, one full draw.
  After each tap the app is sent back to the faces (outside the timing).
* **of which the commit** -- the time spent in ``terminal.capture``.
* **baseline** -- ``LocalStore.record`` alone on a fresh database in the same directory kind:
  the durable commit without any UI.
* **memory** -- VmRSS from /proc/self/status right after the app started (first frames drawn),
  and after all taps (each one a stored response); VmHWM is the peak.

Aims: tap to thank-you p95 <= 50 ms, memory <= 150 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def vm(field: str) -> float:
    """A /proc/self/status figure (VmRSS, VmHWM) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 50) * 1000, 2),
        "p95": round(percentile(values, 95) * 1000, 2),
        "max": round(max(values) * 1000, 2),
    }


def configure_kivy(home: Path, size: tuple[int, int]) -> None:
    os.environ.update(
        SDL_VIDEODRIVER="offscreen",
        KIVY_WINDOW="sdl2",
        KIVY_GL_BACKEND="gl",
        KIVY_NO_ARGS="1",
        KIVY_NO_CONSOLELOG="1",
        KIVY_NO_FILELOG="1",
        KIVY_HOME=str(home),
    )
    from kivy.config import Config

    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "maxfps", "0")


def baseline_commits(directory: Path, n: int) -> list[float]:
    """The durable commit alone: LocalStore.record on a fresh database, no UI."""
    from kiosk.local_store import LocalStore
    from kiosk.terminal import demo_config

    store = LocalStore(directory / "baseline.db")
    config = demo_config()
    answers = [{"question": "rating", "kind": "smiley", "value": 4}]
    times = []
    for _ in range(n):
        started = time.perf_counter()
        store.record(
            config=config,
            answers=answers,
            locale="de",
            now=datetime.now(UTC),
            random_bytes=os.urandom(10),
            press_interval=3,
        )
        times.append(time.perf_counter() - started)
    store.close()
    return times


def run(taps: int, size: tuple[int, int], directory: Path) -> dict[str, Any]:
    configure_kivy(directory / "kivy-home", size)
    from kivy.base import EventLoop, runTouchApp

    rss_before_window = vm("VmRSS")
    from kivy.core.window import Window

    if Window is None:
        raise SystemExit("no offscreen window: install libgl1-mesa-dri libegl1 libgles2 libsdl2-2.0-0")
    rss_window = vm("VmRSS")
    from kivy.graphics.opengl import glFinish
    from kivy.tests.common import UnitTestTouch

    from kiosk.app import KioskApp
    from kiosk.terminal import Terminal

    baseline = baseline_commits(directory, 200)

    terminal = Terminal(directory / "terminal", client=None)
    capture_times: list[float] = []
    capture = terminal.capture

    def timed_capture(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return capture(*args, **kwargs)
        finally:
            capture_times.append(time.perf_counter() - started)

    terminal.capture = timed_capture
    app = KioskApp(terminal)
    app._run_prepare()
    runTouchApp(embedded=True)
    for _ in range(5):
        EventLoop.idle()
    rss_started = vm("VmRSS")

    flips: list[float] = []

    def drawn_frame(*_args: Any) -> None:
        # "Drawn" means the renderer finished the frame, not that it was queued. (Without this,
        # Mesa's threaded llvmpipe behind SDL's offscreen driver, which never waits for a
        # vsync, piles up frames and grows by megabytes per frame: an artefact of the bench.)
        glFinish()
        flips.append(time.perf_counter())

    Window.bind(on_flip=drawn_frame)
    rating = app.root.get_screen("rating")
    latencies = []
    for _ in range(taps):
        face = rating.face_buttons()[-1]
        touch = UnitTestTouch(*face.to_window(*face.center))
        touch.touch_down()
        EventLoop.idle()
        drawn = len(flips)
        released = time.perf_counter()
        touch.touch_up()
        if app.root.current != "thanks":
            raise SystemExit(f"the tap did not reach the thank-you screen (on {app.root.current})")
        while len(flips) == drawn:
            EventLoop.idle()
        latencies.append(flips[drawn] - released)
        app.back_to_rating()
        EventLoop.idle()
    stored = terminal.store.counts()["pending"]
    rss_after = vm("VmRSS")
    from kivy.graphics.opengl import GL_RENDERER, glGetString

    renderer = glGetString(GL_RENDERER).decode(errors="replace")
    app.stop()
    terminal.close()
    return {
        "taps": taps,
        "stored": stored,
        "window": f"{size[0]}x{size[1]}",
        "gl_renderer": renderer,
        "tap_to_thank_you_ms": ms(latencies),
        "capture_ms": ms(capture_times),
        "baseline_record_ms": ms(baseline),
        "rss_before_window_mib": round(rss_before_window, 1),
        "rss_window_mib": round(rss_window, 1),
        "rss_after_start_mib": round(rss_started, 1),
        "rss_after_taps_mib": round(rss_after, 1),
        "peak_rss_mib": round(vm("VmHWM"), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=1000)
    parser.add_argument("--size", default="800x480")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="voxloop-kiosk-bench-") as directory:
        figures = run(args.taps, size, Path(directory))
    if args.json:
        print(json.dumps(figures))
        return
    tap, cap, base = figures["tap_to_thank_you_ms"], figures["capture_ms"], figures["baseline_record_ms"]
    python = sys.version.split()[0]
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python {python}, load average {load}")
    print(f"window {figures['window']}, GL renderer {figures['gl_renderer']}")
    print(f"taps: {figures['taps']} (stored: {figures['stored']})")
    print(f"tap -> thank-you drawn   p50 {tap['p50']:7.2f} ms  p95 {tap['p95']:7.2f} ms  max {tap['max']:7.2f} ms")
    print(f"  of which the capture   p50 {cap['p50']:7.2f} ms  p95 {cap['p95']:7.2f} ms  max {cap['max']:7.2f} ms")
    print(f"baseline record alone    p50 {base['p50']:7.2f} ms  p95 {base['p95']:7.2f} ms  max {base['max']:7.2f} ms")
    driver = figures["rss_window_mib"] - figures["rss_before_window_mib"]
    own = figures["rss_after_start_mib"] - driver
    print(
        f"memory (VmRSS)  Python+Kivy before the window {figures['rss_before_window_mib']} MiB, "
        f"+ window/GL driver {driver:.1f} MiB"
    )
    print(
        f"                after start {figures['rss_after_start_mib']} MiB (without the GL driver {own:.1f} MiB), "
        f"after {figures['taps']} taps {figures['rss_after_taps_mib']} MiB, peak {figures['peak_rss_mib']} MiB"
    )


if __name__ == "__main__":
    main()
