"""Capture taps in a loop, as fast as the terminal stores them, and print each response's id and
sequence number only after ``Terminal.capture`` returned (the tap is committed by then).

    python tests/kiosk/capture_loop.py DATA_DIR

test_kill_loop.py starts this, kills it with SIGKILL at random moments and checks that every
printed tap survived. Prints ``ready`` once the terminal is open.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.terminal import Terminal


def main(data_dir: Path) -> None:
    terminal = Terminal.open(data_dir)  # not enrolled: demo mode, nothing is sent
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    n = 0
    while True:
        n += 1
        captured = terminal.capture([{"question": "rating", "kind": "smiley", "value": 1 + n % 4}], "de")
        out.write(f"{captured.id} {captured.seq}\n")  # one short write: never half a line
        out.flush()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
