"""An enrolled exit terminal as a process of its own, run by the terminal's installed voxloop.

    TERMINAL/.venv/bin/python -I store_terminal.py DATA_DIR RATING [RATING ...]

It captures one visit per rating through the ``Visit`` and ``Terminal`` the touch screen drives
(a face that asks for reasons gets the survey's first one, as a shopper answers the follow-up),
runs the terminal's background sync worker until the queue is empty (at most 60 s), and prints
one JSON line: the captured ids, the terminal's status and where its ``kiosk`` was loaded from.
``-I`` keeps this file's directory (inside the checkout) off ``sys.path``.

The terminal's clock agrees with the hub's, as NTP makes it agree in a store: it is the
deployment's clock, read from ``VOXLOOP_CLOCK_START`` and ``VOXLOOP_CLOCK_ANCHOR`` (hub/clock.py).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import kiosk
from kiosk.terminal import Terminal
from kiosk.visit import Visit, read_survey


def deployment_clock() -> Callable[[], datetime]:
    start = datetime.fromisoformat(os.environ["VOXLOOP_CLOCK_START"])
    anchor = float(os.environ["VOXLOOP_CLOCK_ANCHOR"])
    return lambda: start + timedelta(seconds=time.time() - anchor)


def answers_of_a_visit(rating: int, config: Mapping[str, Any]) -> list[dict[str, Any]]:
    survey = read_survey(config)
    visit = Visit(rating, survey.steps_after(rating))
    offered = survey.reasons_for(rating)
    if offered:
        visit.reasons.append(offered[0]["id"])
    return visit.answers(survey)


def main(data_dir: Path, ratings: list[int]) -> None:
    terminal = Terminal.open(data_dir, clock=deployment_clock())
    terminal.start()
    try:
        captured = [terminal.capture(answers_of_a_visit(rating, terminal.config), "de") for rating in ratings]
        deadline = time.monotonic() + 60
        while terminal.status()["queue_depth"] and time.monotonic() < deadline:
            time.sleep(0.1)
        status = terminal.status()
    finally:
        terminal.close()
    print(json.dumps({"ids": [c.id for c in captured], "status": status, "kiosk": kiosk.__file__}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), [int(value) for value in sys.argv[2:]])
