"""``voxloop kiosk run`` as systemd runs it: starts the app, and leaves cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, missing_system_package


def test_kiosk_run_starts_the_app_and_stops_cleanly_on_sigterm(tmp_path: Path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KIVY_")},  # file log on, as in production
        "SDL_VIDEODRIVER": "offscreen",
        "KIVY_WINDOW": "sdl2",
        "KIVY_GL_BACKEND": "gl",
        "KIVY_NO_CONSOLELOG": "1",
        "KIVY_HOME": str(tmp_path / "kivy"),
    }
    command = [sys.executable, "-m", "voxloop_cli", "kiosk", "run", "--windowed", "--data-dir", str(tmp_path / "data")]
    output = (tmp_path / "output.txt").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        log = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            log = "".join(p.read_text(errors="replace") for p in (tmp_path / "kivy" / "logs").glob("*.txt"))
            if "Start application main loop" in log:
                break
            time.sleep(0.2)
        if "Unable to find any valuable Window provider" in log:
            missing_system_package("no offscreen OpenGL window could be created (Mesa/SDL)")
        assert "Start application main loop" in log, (log[-3000:], process.poll())
        time.sleep(0.5)  # a few frames
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        output.close()
    log = "".join(p.read_text(errors="replace") for p in (tmp_path / "kivy" / "logs").glob("*.txt"))
    assert "Leaving application in progress" in log
    assert (tmp_path / "data" / "demo.db").exists()
