"""Drive the real kiosk app in an offscreen SDL window: one scenario per process.

Kivy allows one window and one App per process, so each test scenario runs here in its own
process: ``python tests/kiosk/ui/drive.py SCENARIO --data-dir D --size 800x480``. The app is
started without its main loop; the scenario taps with real touch events on the window
(``UnitTestTouch``), steps the event loop frame by frame on a virtual clock (so an idle reset
of 20 s takes a fraction of a second), saves screenshots to ``test-artifacts/kiosk/`` and prints
one line ``DRIVE-RESULT {json}`` for the pytest side to assert on. The database the app wrote
to stays in the data directory for the test to read.

Exit status 3 with ``{"window": false}``: no window could be created (Mesa/SDL missing).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "kiosk"
GL_BACKEND = "gl"  # Mesa's llvmpipe through SDL's offscreen driver; 'sdl2' works as well here


def configure_kivy(kivy_home: Path, size: tuple[int, int]) -> None:
    """Everything Kivy reads at import time: must run before the first Kivy import."""
    kivy_home.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        SDL_VIDEODRIVER="offscreen",
        KIVY_WINDOW="sdl2",
        KIVY_GL_BACKEND=os.environ.get("VOXLOOP_KIVY_GL_BACKEND", GL_BACKEND),
        KIVY_NO_ARGS="1",
        KIVY_NO_CONSOLELOG="1",
        KIVY_NO_FILELOG="1",
        KIVY_HOME=str(kivy_home),
        KIVY_METRICS_DENSITY="1",
    )
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from kivy.config import Config

    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "maxfps", "0")  # frames are stepped by the driver, never waited for
    Config.set("input", "mouse", "mouse,multitouch_on_demand")


class VirtualClock:
    """Kivy's clock reads this time; the driver moves it forward frame by frame."""

    def __init__(self) -> None:
        from kivy.clock import Clock

        self.now = Clock.time()
        Clock.time = lambda: self.now  # an instance attribute shadows ClockBase.time


class Driver:
    def __init__(self, app: Any, database: Path, name: str, virtual_time: bool = True) -> None:
        from kivy.base import EventLoop
        from kivy.core.window import Window

        self.app, self.database, self.name = app, database, name
        self.window, self.loop = Window, EventLoop
        self.clock = VirtualClock() if virtual_time else None
        self.screens_seen: list[str] = []
        self.committed_when_shown: dict[str, int] = {}
        app.root.bind(current=self._screen_changed)

    # --- time and frames -------------------------------------------------------------------

    def frame(self, dt: float = 1 / 30) -> None:
        if self.clock is not None:
            self.clock.now += dt
        self.loop.idle()

    def advance(self, seconds: float, step: float = 0.1) -> None:
        for _ in range(max(1, round(seconds / step))):
            self.frame(step)

    # --- touches ---------------------------------------------------------------------------

    def tap_at(self, x: float, y: float, hold: float = 0.08) -> None:
        from kivy.tests.common import UnitTestTouch

        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.frame(hold)
        touch.touch_up()
        self.frame()

    def tap(self, widget: Any) -> None:
        self.tap_at(*widget.to_window(*widget.center))

    def tap_corner(self, times: int = 5, gap: float = 0.3) -> None:
        w, h = self.window.size
        for _ in range(times):
            self.tap_at(w - 8, h - 8)
            self.advance(gap)

    # --- looking ---------------------------------------------------------------------------

    def screen(self, name: str) -> Any:
        return self.app.root.get_screen(name)

    @property
    def current(self) -> str:
        return self.app.root.current

    def box(self, widget: Any) -> list[float]:
        """The widget's rectangle in window coordinates: x, y, width, height."""
        x, y = widget.to_window(widget.x, widget.y)
        return [round(x, 1), round(y, 1), round(widget.width, 1), round(widget.height, 1)]

    def screenshot(self, label: str) -> str:
        """The window as a PNG in test-artifacts/kiosk/ (what the GPU drew, read back)."""
        from kivy.graphics.opengl import GL_RGBA, GL_UNSIGNED_BYTE, glReadPixels
        from PIL import Image

        self.window.canvas.ask_update()
        self.window.dispatch("on_draw")
        width, height = self.window.size
        data = glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE)
        image = Image.frombytes("RGBA", (width, height), data).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{width}x{height}-{label}.png"
        image.convert("RGB").save(path)
        self.window.dispatch("on_flip")
        return str(path)

    def committed(self) -> int:
        """Responses a separate connection sees in the database: only what is committed."""
        with sqlite3.connect(self.database) as conn:
            return conn.execute("SELECT COUNT(*) FROM response").fetchone()[0]

    def _screen_changed(self, _manager: Any, name: str) -> None:
        self.screens_seen.append(name)
        if name in ("thanks", "out_of_order"):
            self.committed_when_shown[f"{name}#{self.screens_seen.count(name)}"] = self.committed()


# --- configs ---------------------------------------------------------------------------------


def merged(config: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` laid over ``config``, one level deep per key (``{"kiosk": {"ask_nps": true}}``)."""
    config = json.loads(json.dumps(config))
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


def deliver_config(terminal: Any, config: dict[str, Any]) -> threading.Thread:
    """What the sync worker does when the hub sends a new config: from its own thread."""
    thread = threading.Thread(target=terminal._config_arrived, args=(config,), name="test-sync-worker")
    thread.start()
    return thread


def deployment_clock() -> Callable[[], Any]:
    """The deployment's clock (hub/clock.py's VOXLOOP_CLOCK_START and _ANCHOR), as NTP makes a
    terminal agree with its hub; the system clock when none is set."""
    from datetime import UTC, datetime, timedelta

    if "VOXLOOP_CLOCK_START" not in os.environ:
        return lambda: datetime.now(UTC)
    start = datetime.fromisoformat(os.environ["VOXLOOP_CLOCK_START"])
    anchor = float(os.environ["VOXLOOP_CLOCK_ANCHOR"])
    return lambda: start + timedelta(seconds=time.time() - anchor)


def make_terminal(data_dir: Path, changes: dict[str, Any]) -> Any:
    """The real terminal: enrolled with a real hub when the data directory says so (its sync
    worker runs), else offline (demo mode: the built-in config, taps in demo.db)."""
    from kiosk import identity
    from kiosk.terminal import Terminal

    if identity.is_enrolled(data_dir):
        return Terminal.open(data_dir, clock=deployment_clock())
    terminal = Terminal(data_dir, client=None)
    if changes:
        deliver_config(terminal, merged(terminal.config, changes)).join()
    return terminal


def start_app(terminal: Any) -> Any:
    from kivy.base import EventLoop, runTouchApp

    from kiosk.app import KioskApp

    app = KioskApp(terminal)
    app._run_prepare()  # build, add the root to the window, on_start: App.run() without its loop
    runTouchApp(embedded=True)
    for _ in range(3):
        EventLoop.idle()
    return app


# --- scenarios -------------------------------------------------------------------------------
# Each takes (driver, terminal) and returns a dict of facts; pytest asserts on them and on the
# database.


def scenario_reason(d: Driver, terminal: Any) -> dict[str, Any]:
    """Tap the worst face, pick two reasons, Done: thanks, and the response is stored."""
    rating = d.screen("rating")
    d.tap(rating.face_buttons()[0])
    follow_up = d.screen("follow_up")
    chips = {c.option_id: c for c in follow_up.chips()}
    shown = {"after_face": d.current, "chips": list(chips)}
    d.screenshot("follow-up")
    d.tap(chips["queue"])
    d.tap(chips["cleanliness"])
    shown["chips_down"] = follow_up.chosen()
    d.screenshot("follow-up-picked")
    d.tap(follow_up.ids.done)
    shown["after_done"] = d.current
    d.screenshot("thanks")
    return shown


def scenario_no_follow_up(d: Driver, terminal: Any) -> dict[str, Any]:
    """The best face has no follow-up: stored at the tap, before the thank-you shows."""
    before = d.committed()
    d.tap(d.screen("rating").face_buttons()[-1])
    return {"before": before, "after_face": d.current}


def scenario_timeouts(d: Driver, terminal: Any) -> dict[str, Any]:
    """Walk away from the follow-up, from the thank-you, and from an English rating screen."""
    facts: dict[str, Any] = {}
    rating = d.screen("rating")
    d.tap(rating.face_buttons()[1])
    facts["after_face"] = d.current
    d.advance(terminal.config["kiosk"]["follow_up_timeout_seconds"] - 1)
    facts["before_follow_up_timeout"] = d.current
    facts["committed_before_timeout"] = d.committed()
    d.advance(1.5)
    facts["after_follow_up_timeout"] = d.current
    facts["committed_after_timeout"] = d.committed()

    d.tap(rating.face_buttons()[-1])
    facts["after_best_face"] = d.current
    d.advance(terminal.config["kiosk"]["thank_you_seconds"] + 0.3)
    facts["after_thank_you_time"] = d.current

    english = next(b for b in rating.ids.languages.children if b.language == "en")
    d.tap(english)
    facts["language_after_switch"] = d.app.language
    d.advance(terminal.config["kiosk"]["idle_reset_seconds"] + 0.5)
    facts["language_after_idle"] = d.app.language
    facts["screen_after_idle"] = d.current

    d.tap_corner()
    facts["pin_open"] = d.current
    d.advance(95)
    facts["after_pin_idle"] = d.current
    return facts


def scenario_rapid(d: Driver, terminal: Any) -> dict[str, Any]:
    """Five presses of the best face as fast as the screens allow, each one stored."""
    started = time.monotonic()
    rating = d.screen("rating")
    screens = []
    for _ in range(5):
        d.tap(rating.face_buttons()[-1])
        screens.append(d.current)
        d.advance(0.7)  # past the bounce guard of the thank-you screen
        d.tap_at(d.window.width / 2, d.window.height / 2)  # a tap on the thanks: next shopper
    return {"screens": screens, "real_seconds": time.monotonic() - started, "now": d.current}


def scenario_language(d: Driver, terminal: Any) -> dict[str, Any]:
    rating = d.screen("rating")
    facts = {"language": d.app.language, "question": rating.ids.question.text}
    facts["buttons"] = sorted(b.text for b in rating.ids.languages.children)
    d.screenshot("rating-de")
    english = next(b for b in rating.ids.languages.children if b.language == "en")
    d.tap(english)
    facts["language_after"] = d.app.language
    facts["question_after"] = rating.ids.question.text
    d.screenshot("rating-en")
    facts["switch_after"] = sorted((b.text, b.language, b.selected) for b in rating.ids.languages.children)
    german = next(b for b in rating.ids.languages.children if b.text == "Deutsch")
    d.tap(german)
    facts["language_back"] = d.app.language
    d.tap(english)
    d.tap(rating.face_buttons()[0])
    facts["follow_up_question"] = d.screen("follow_up").ids.question.text
    facts["chip_texts"] = [c.text for c in d.screen("follow_up").chips()]
    return facts


def scenario_layout(d: Driver, terminal: Any) -> dict[str, Any]:
    """Geometry of every screen a shopper sees at this window size, with screenshots."""
    rating = d.screen("rating")
    facts: dict[str, Any] = {"asked_size": list(d.window.size)}
    facts["faces"] = [
        {"value": int(f.value), "box": d.box(f), "radius": f.radius, "center": list(f.to_window(*f.center))}
        for f in rating.face_buttons()
    ]
    facts["question"] = d.box(rating.ids.question)
    facts["question_text_height"] = rating.ids.question.texture_size[1]
    facts["languages"] = [d.box(b) for b in rating.ids.languages.children]
    facts["shots"] = [d.screenshot("rating")]
    d.tap(rating.face_buttons()[0])
    follow_up = d.screen("follow_up")
    facts["follow_up_screen"] = d.current
    facts["chips"] = [d.box(c) for c in follow_up.chips()]
    facts["chip_text_fits"] = [
        c.texture_size[0] <= c.width and c.texture_size[1] <= c.height for c in follow_up.chips()
    ]
    facts["skip"] = d.box(follow_up.ids.skip)
    facts["done"] = d.box(follow_up.ids.done)
    facts["shots"].append(d.screenshot("follow-up"))
    d.tap(follow_up.chips()[0])
    d.tap(follow_up.ids.done)
    facts["nps_screen"] = d.current
    if d.current == "nps":
        nps = d.screen("nps")
        facts["nps_buttons"] = [d.box(b) for b in nps.buttons()]
        facts["shots"].append(d.screenshot("nps"))
        d.tap(nps.buttons()[9])
    thanks = d.screen("thanks")
    facts["thanks_screen"] = d.current
    facts["qr_card"] = d.box(thanks.ids.qr_card)
    facts["thanks_title"] = d.box(thanks.ids.title)
    facts["shots"].append(d.screenshot("thanks"))
    return facts


def scenario_nps(d: Driver, terminal: Any) -> dict[str, Any]:
    """With kiosk.ask_nps: the best face, then 9 on the 0-10 scale; then a face and "Skip"."""
    rating = d.screen("rating")
    d.tap(rating.face_buttons()[-1])
    facts: dict[str, Any] = {"after_face": d.current, "committed_on_nps": d.committed()}
    nps = d.screen("nps")
    d.tap(nps.buttons()[9])
    facts["after_nine"] = d.current
    d.advance(0.7)
    d.tap_at(d.window.width / 2, d.window.height / 2)
    d.tap(rating.face_buttons()[-1])
    d.tap(nps.ids.skip)
    facts["after_skip"] = d.current
    return facts


def scenario_qr(d: Driver, terminal: Any) -> dict[str, Any]:
    """The thank-you's QR code as drawn on screen: the region's pixels go to the test to decode."""
    d.tap(d.screen("rating").face_buttons()[-1])
    card = d.screen("thanks").ids.qr_card
    shot = d.screenshot("thanks-qr")
    return {"screen": d.current, "shot": shot, "card": d.box(card)}


def scenario_continue_offline(d: Driver, terminal: Any) -> dict[str, Any]:
    """A tap on "Bad" with a reason on an enrolled terminal: the thank-you's QR code as drawn,
    for the test to decode and open on a phone (the hub need not be reachable)."""
    d.tap(d.screen("rating").face_buttons()[1])
    follow_up = d.screen("follow_up")
    d.tap({c.option_id: c for c in follow_up.chips()}["queue"])
    d.tap(follow_up.ids.done)
    facts = {
        "screen": d.current,
        "shot": d.screenshot("thanks-continue"),
        "card": d.box(d.screen("thanks").ids.qr_card),
    }
    [row] = terminal.store.export()
    facts["response_id"] = row["response"]["id"]
    facts["queue_depth"] = terminal.status()["queue_depth"]
    return facts


def scenario_continue(d: Driver, terminal: Any) -> dict[str, Any]:
    """As ``continue_offline``, then the tap synced to the hub before the test goes on."""
    facts = scenario_continue_offline(d, terminal)
    deadline = time.monotonic() + 30  # the sync worker's thread, in real time: no frames meanwhile
    while terminal.status()["queue_depth"] and time.monotonic() < deadline:
        time.sleep(0.1)
    facts["queue_depth"] = terminal.status()["queue_depth"]
    return facts


def scenario_admin(d: Driver, terminal: Any) -> dict[str, Any]:
    """Two taps stored, then the corner gesture, a wrong PIN, the right PIN: the admin screen."""
    rating = d.screen("rating")
    for _ in range(2):
        d.tap(rating.face_buttons()[-1])
        d.advance(0.7)
        d.tap_at(d.window.width / 2, d.window.height / 2)
    facts: dict[str, Any] = {"before_gesture": d.current}
    d.tap_corner(times=4)
    facts["after_four_taps"] = d.current
    d.advance(3.5)  # too slow: the count starts again
    d.tap_corner(times=5)
    facts["after_five_taps"] = d.current
    pin = d.screen("pin")
    keys = {b.text: b for b in pin.ids.keypad.children}
    for digit in "1111":
        d.tap(keys[digit])
    d.tap(pin.ids.ok)
    facts["after_wrong_pin"] = d.current
    facts["wrong_pin_message"] = pin.ids.dots.text
    d.screenshot("pin")
    for digit in "2468":
        d.tap(keys[digit])
    d.tap(pin.ids.ok)
    facts["after_right_pin"] = d.current
    admin = d.screen("admin")
    facts["queue_depth"] = admin.value_of("queue_depth")
    facts["device"] = admin.value_of("device_id")
    facts["store"] = admin.value_of("store")
    d.screenshot("admin")
    d.tap(admin.ids.sync)
    for _ in range(20):  # the sync runs on its own thread; its end comes back via @mainthread
        d.advance(0.1)
        time.sleep(0.01)
    facts["last_sync"] = admin.value_of("last_sync_at")
    d.tap(admin.ids.back)
    facts["after_back"] = d.current
    return facts


def scenario_store_full(d: Driver, terminal: Any) -> dict[str, Any]:
    """The database cannot grow (SQLite's max_page_count, a real SQLITE_FULL): the UI says so and lives on."""
    db = terminal.store.db
    pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
    db.execute_sql(f"PRAGMA max_page_count = {int(pages)}")
    rating = d.screen("rating")
    taps = 0
    while taps < 60:  # the last pages still have room for a few responses
        taps += 1
        d.tap(rating.face_buttons()[-1])
        if d.current == "out_of_order":
            break
        d.advance(0.7)
        d.tap_at(d.window.width / 2, d.window.height / 2)
    facts: dict[str, Any] = {"taps": taps, "screen": d.current, "message": d.screen("out_of_order").ids.message.text}
    d.screenshot("out-of-order")
    d.advance(6)
    facts["after_wait"] = d.current
    d.tap_corner()
    keys = {b.text: b for b in d.screen("pin").ids.keypad.children}
    for digit in "2468":
        d.tap(keys[digit])
    d.tap(d.screen("pin").ids.ok)
    facts["admin_capture_error"] = d.screen("admin").value_of("capture_error")
    d.screenshot("admin-store-full")
    return facts


def scenario_config_change(d: Driver, terminal: Any) -> dict[str, Any]:
    """A new config from the sync worker's thread: five faces and a new question, no restart."""
    config = json.loads(json.dumps(terminal.config))
    rating_q = config["survey"]["questions"][0]
    rating_q["faces"] = 5
    rating_q["text"] = {"de": "Wie zufrieden waren Sie?", "en": "How satisfied were you?"}
    config["survey"]["version"] += 1
    before = len(d.screen("rating").face_buttons())
    deliver_config(terminal, config).join()
    during = len(d.screen("rating").face_buttons())  # not yet: the change waits for the UI thread
    d.frame()
    rating = d.screen("rating")
    facts = {
        "before": before,
        "right_after_thread": during,
        "after_frame": len(rating.face_buttons()),
        "question": rating.ids.question.text,
    }
    d.screenshot("rating-5-faces")
    d.tap(rating.face_buttons()[2])
    facts["middle_face_screen"] = d.current
    return facts


# A status as an enrolled terminal in trouble reports it: long values, errors and refused taps.
BUSY_STATUS = {
    "mode": "enrolled",
    "device_id": "0192f4c8-3b7a-7e21-9c4d-8f0a6b2e1d35",
    "hub": "https://feedback-hub.filialen.example-handelskette.de",
    "store": "B-MITTE-017",
    "store_name": "Berlin Mitte, Friedrichstraße 117 (Untergeschoss)",
    "app_version": "0.1.0",
    "clock_offset_seconds": -3.25,
    "last_sync_at": "2026-11-30T09:14:05+00:00",
    "last_error": "unreachable: ConnectionError: HTTPSConnectionPool("
    "host='feedback-hub.filialen.example-handelskette.de', port=443): Max retries exceeded with url: "
    "/api/v1/device/sync",
    "queue_depth": 1284,
    "delivered": 250311,
    "quarantined": 2,
    "quarantine": [
        {"seq": 77, "captured_at": "2026-11-29T17:02:11+00:00", "code": "unknown_question", "id": "0192f4c8-0001"},
        {"seq": 78, "captured_at": "2026-11-29T17:05:43+00:00", "code": "bad_value", "id": "0192f4c8-0002"},
    ],
    "revoked": False,
    "capture_error": "storage_full: database or disk is full",
}


def label_facts(d: Driver, widget: Any) -> dict[str, Any]:
    """What a label shows and where: the text it was given, the lines its texture holds (as
    Kivy laid them out), the texture's size and the box it has to fit."""
    from kivy.uix.scrollview import ScrollView

    core = widget._label
    lines = ["".join(word.text for word in line.words) for line in core._cached_lines]
    scrolls, parent = False, widget.parent
    while parent is not None and parent is not parent.parent:
        scrolls = scrolls or isinstance(parent, ScrollView)
        parent = parent.parent
    return {
        "id": next((key for key, value in widget.parent.ids.items() if value is widget), "")
        if hasattr(widget.parent, "ids")
        else "",
        "type": type(widget).__name__,
        "text": widget.text,
        "shown": core.text,
        "lines": lines,
        "shortened": bool(widget.is_shortened),
        "texture": [round(v, 1) for v in widget.texture_size],
        "box": d.box(widget),
        "in_scroll_view": scrolls,
    }


def visible_labels(d: Driver, screen: Any) -> list[dict[str, Any]]:
    from kivy.uix.label import Label

    def shown(widget: Any) -> bool:
        while widget is not None and widget is not screen:
            if widget.opacity == 0 or widget.width < 2 or widget.height < 2:
                return False
            widget = widget.parent
        return True

    return [
        label_facts(d, w) for w in screen.walk(restrict=True) if isinstance(w, Label) and w.text.strip() and shown(w)
    ]


def scenario_fit(d: Driver, terminal: Any) -> dict[str, Any]:
    """Every screen with each of the store's languages first: the labels it shows, laid out at
    this window size, with a screenshot each. The PIN pad is opened after a shopper chose
    another language: staff read the store's first one."""
    config = json.loads(json.dumps(terminal.config))
    languages = list(config["store"].get("languages") or config["survey"]["languages"])
    app, facts = d.app, {"screens": []}

    def look(name: str, language: str) -> None:
        d.frame()
        d.frame()
        facts["screens"].append(
            {
                "screen": name,
                "current": d.current,
                "language": language,
                "app_language": app.language,
                "labels": visible_labels(d, d.screen(d.current)),
                "shot": d.screenshot(f"{language}-{name}"),
            }
        )

    for language in languages:
        config["store"]["languages"] = [language, *(code for code in languages if code != language)]
        deliver_config(terminal, config).join()
        d.frame()
        app.back_to_rating()
        look("rating", language)
        app.rate(1)
        look("follow_up", language)
        follow_up = d.screen("follow_up")
        follow_up.chips()[0].state = "down"
        look("follow_up_picked", language)
        app.choose_reasons(follow_up.chosen())
        look("nps", language)
        app.choose_nps(9)
        look("thanks", language)
        app._capture_failed("storage_full: database or disk is full")
        look("out_of_order", language)
        app.set_language(next(code for code in app.languages if code != language))  # a shopper's choice
        app.open_pin()  # ... which the staff screens do not keep
        look("pin", language)
        d.screen("pin").press("1")
        d.screen("pin").submit()
        look("pin_wrong", language)
        app.check_pin(app.admin_pin)
        app.status = BUSY_STATUS
        look("admin", language)
        app.back_to_rating()
    return facts


SCENARIOS: dict[str, Callable[[Driver, Any], dict[str, Any]]] = {
    name.removeprefix("scenario_"): fn for name, fn in globals().items() if name.startswith("scenario_")
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--size", default="800x480")
    parser.add_argument("--name", default=None, help="screenshot file prefix (default: the scenario)")
    parser.add_argument("--config", default="{}", help="JSON laid over the demo config, delivered as from the hub")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    configure_kivy(args.data_dir / "kivy-home", size)

    from kivy.core.window import Window

    if Window is None:
        report({"window": False})
        return 3
    terminal = make_terminal(args.data_dir, json.loads(args.config))
    app = None
    try:
        app = start_app(terminal)
        driver = Driver(app, terminal.store.path, args.name or args.scenario)
        facts = SCENARIOS[args.scenario](driver, terminal)
        facts.update(
            window=True,
            screens_seen=driver.screens_seen,
            committed_when_shown=driver.committed_when_shown,
            window_size=list(Window.size),
        )
    except Exception:
        report({"window": True, "error": traceback.format_exc()})
        return 1
    finally:
        if app is not None:
            app.stop()
        terminal.close()
    report(facts)
    return 0


def report(facts: dict[str, Any]) -> None:
    # Kivy swaps sys.stdout/sys.stderr for its logger; the result goes to the real stdout.
    print("DRIVE-RESULT " + json.dumps(facts), file=sys.__stdout__, flush=True)


if __name__ == "__main__":
    sys.exit(main())
