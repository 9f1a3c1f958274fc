"""The exit terminal's touch UI: ``KioskApp`` owns the screens, the navigation and the timers.

The terminal (``kiosk.terminal.Terminal``: capture, status, sync) is handed in; screens only
show properties of the app and call ``app.*``. Worker threads reach the UI only through
``@mainthread`` (a config change from the sync worker, the end of "sync now").

A shopper's visit::

    rating --(face without follow-up)--------------------------> capture -> thanks -> rating
    rating --(face with follow-up)--> follow_up [--> nps] -------> capture -> thanks -> rating
                                      (reason / skip / timeout)

When a tap is stored. A face with no follow-up for its value is captured at once, before the
thank-you shows. A face with a follow-up is captured when the follow-up ends: a reason is
chosen, "Skip" or "Done" is tapped, or nobody touched the screen for
``follow_up_timeout_seconds`` (then the rating is stored with the reasons picked so far, if
any, and the screen goes straight back to the faces: nobody is there to thank). So a tap is
never lost when the shopper walks away; it is on disk at most a few seconds after the tap. An
idle reset or a config change in the middle of a visit stores it the same way first.

Which faces get the reasons. The survey's choice question may say ``"for_ratings": [1, 2]``
(and each option may narrow that with its own ``for_ratings``); without it, every face but the
best two gets the reasons (1-2 of 4, 1-3 of 5). The NPS step follows only when the config says
``kiosk.ask_nps: true`` and the survey has an nps question; it always has a "Skip". Text
questions are left to the phone page: the QR code on the thank-you screen continues the
same response there (``Terminal.continuation_url``; the touchpoint's generic code on an older hub).

The staff screen: tap the top-right corner five times within three seconds, then enter the
PIN. The PIN is ``kiosk.admin_pin`` from the hub's config when set, else the first line of
``<data dir>/admin_pin`` when that file exists, else ``2468``.
"""

from __future__ import annotations

import os

# `voxloop kiosk run --fullscreen` is ours to parse, not Kivy's: set before Kivy is imported.
os.environ.setdefault("KIVY_NO_ARGS", "1")

import logging
import signal
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.properties import (
    BooleanProperty,
    DictProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk import translations
from kiosk.local_store import Captured, StoreFull
from kiosk.qr_texture import qr_texture
from kiosk.screens import screens
from kiosk.visit import Visit, localized, read_survey
from shared.terminal_settings import setting

log = logging.getLogger(__name__)

DEFAULT_ADMIN_PIN = "2468"
ADMIN_TAPS = 5  # taps on the top-right corner ...
ADMIN_TAP_WINDOW = 3.0  # ... within this many seconds open the PIN pad
ADMIN_IDLE_SECONDS = 90  # staff read the admin screen longer than shoppers look at the faces
THANKS_TAP_GUARD = 0.6  # a bounce of the face tap must not dismiss the thank-you at once
SHOPPER_SCREENS = ("rating", "follow_up", "nps", "thanks", "out_of_order")


class TerminalLike(Protocol):
    """What the UI needs from ``kiosk.terminal.Terminal``."""

    config: dict[str, Any]

    def on_config_change(self, callback: Callable[[dict[str, Any]], None]) -> None: ...
    def capture(self, answers: list[dict[str, Any]], locale: str) -> Captured: ...
    def continuation_url(self, captured: Captured) -> str | None: ...
    def status(self) -> dict[str, Any]: ...
    def sync_now(self) -> Any: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...


def kiosk_setting(config: Mapping[str, Any], name: str) -> float:
    return setting(config.get("kiosk"), name)


def read_admin_pin(data_dir: Path) -> str:
    """The PIN a terminal uses when the hub's config sets none: ``<data dir>/admin_pin`` or 2468."""
    try:
        pin = (data_dir / "admin_pin").read_text().strip().splitlines()[0].strip()
    except (OSError, IndexError):
        return DEFAULT_ADMIN_PIN
    return pin or DEFAULT_ADMIN_PIN


# --- the app ---------------------------------------------------------------------------------


class KioskApp(App):
    """The terminal's UI. Owns navigation, the visit in progress and the timers."""

    title = "voxloop"

    survey = ObjectProperty(None, rebind=False)
    language = StringProperty("de")
    languages = ListProperty()
    store_name = StringProperty("")
    phone_url = StringProperty("")
    qr_texture = ObjectProperty(None, allownone=True)
    qr_url = StringProperty("")  # what the QR code on the thank-you screen says
    visit_rating = NumericProperty(0)
    capture_error = StringProperty("")
    status = DictProperty()
    unit = NumericProperty(24)  # the base font size, from the window's shorter side
    portrait = BooleanProperty(False)

    def __init__(self, terminal: TerminalLike, *, admin_pin: str = DEFAULT_ADMIN_PIN, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.terminal = terminal
        self.local_admin_pin = admin_pin
        self.visit: Visit | None = None
        self.settings_snapshot: dict[str, Any] = {}
        self._corner_taps: list[float] = []
        self._idle_event = None
        self._step_event = None
        self._screen_event = None
        self._status_event = None
        self._apply_config(terminal.config)

    # --- building ----------------------------------------------------------------------------

    def build(self) -> ScreenManager:
        from kivy.core.window import Window  # creates the window: not before run()

        screens.load_kv()
        manager = ScreenManager(transition=NoTransition())
        for screen in screens.all_screens():
            manager.add_widget(screen)
        Window.clearcolor = screens.COLOURS["background"]
        Window.bind(size=self._on_window_size, on_touch_down=self._on_window_touch)
        self._on_window_size(Window, Window.size)
        manager.current = "rating"
        self.root = manager
        self._apply_config(self.settings_snapshot)  # now with a GL context: draws the QR code
        return manager

    def on_start(self) -> None:
        self.terminal.on_config_change(self._config_changed)
        self.terminal.start()
        self.rating_screen.show_config()
        self._arm_idle()

    def on_stop(self) -> None:
        visit, self.visit = self.visit, None
        if visit is not None:  # the app closes mid-visit (shutdown, restart): keep the tap
            try:
                self.terminal.capture(visit.answers(self.survey), self.language)
            except Exception:
                log.exception("capture at stop failed")
        self.terminal.stop()

    @property
    def rating_screen(self):
        return self.root.get_screen("rating")

    @property
    def current(self) -> str:
        return self.root.current if self.root else ""

    def _on_window_size(self, _window: Any, size: tuple[int, int]) -> None:
        width, height = size
        self.unit = max(12.0, min(width, height) / 20)
        self.portrait = height > width

    # --- config ------------------------------------------------------------------------------

    @mainthread
    def _config_changed(self, config: dict[str, Any]) -> None:
        """Called by the terminal's worker thread; runs on the UI thread."""
        if self.root and self.visit is not None:
            self.finish_visit(thank=False)  # store the half-done visit before its questions change
        self._apply_config(config)
        if self.root:
            self.rating_screen.show_config()

    def _apply_config(self, config: dict[str, Any]) -> None:
        self.settings_snapshot = dict(config)
        self.survey = read_survey(config)
        self.languages = list(self.survey.languages)
        if self.language not in self.languages:
            self.language = self.languages[0]
        self.store_name = (config.get("store") or {}).get("name", "")
        url = config.get("phone_url") or ""
        if url != self.phone_url:
            self.phone_url = url
            self.qr_texture = None
        if self.qr_texture is None and url and self.root is not None:  # a texture needs the window's GL context
            self.qr_url = url
            self.qr_texture = qr_texture(url)

    def setting(self, name: str) -> float:
        return kiosk_setting(self.settings_snapshot, name)

    @property
    def admin_pin(self) -> str:
        pin = (self.settings_snapshot.get("kiosk") or {}).get("admin_pin")
        return str(pin) if pin else self.local_admin_pin

    # --- text --------------------------------------------------------------------------------

    def ui(self, message: str, language: str) -> str:
        """One of the terminal's own texts (English in the code) in ``language``, from the
        gettext catalogs (``kiosk.translations``)."""
        return translations.gettext(message, language)

    def question_text(self, question: Mapping[str, Any] | None, language: str) -> str:
        return localized((question or {}).get("text"), language)

    def set_language(self, language: str) -> None:
        if language in self.languages:
            self.language = language

    # --- the shopper's visit -----------------------------------------------------------------

    def rate(self, value: int) -> None:
        """A face was tapped."""
        if self.current != "rating":
            return
        self.visit = Visit(rating=int(value), steps=self.survey.steps_after(int(value)))
        self.visit_rating = int(value)
        self._next_step()

    def choose_reasons(self, option_ids: list[str]) -> None:
        if self.visit is not None:
            self.visit.reasons = list(option_ids)
            self._next_step()

    def choose_nps(self, value: int) -> None:
        if self.visit is not None:
            self.visit.nps = int(value)
            self._next_step()

    def skip_step(self) -> None:
        if self.visit is not None:
            self._next_step()

    def _next_step(self) -> None:
        if self.visit.steps:
            self._show(self.visit.steps.pop(0))
            self._arm_step_timeout()
        else:
            self.finish_visit(thank=True)

    def _step_timed_out(self, *_args: Any) -> None:
        if self.visit is not None and self.current in ("follow_up", "nps"):
            if self.current == "follow_up":
                self.visit.reasons = self.root.get_screen("follow_up").chosen()
            self.finish_visit(thank=False)

    def finish_visit(self, *, thank: bool) -> Captured | None:
        """Capture the visit (durably: the terminal commits before it returns), then thank."""
        visit, self.visit = self.visit, None
        self._cancel(self._step_event)
        if visit is None:
            return None
        try:
            captured = self.terminal.capture(visit.answers(self.survey), self.language)
        except StoreFull as exc:
            self._capture_failed(f"storage_full: {exc}")
            return None
        except Exception as exc:  # a kiosk stays up; staff see the error on the admin screen
            log.exception("capture failed")
            self._capture_failed(f"{type(exc).__name__}: {exc}")
            return None
        self.capture_error = ""
        if thank:
            self._show_continuation(captured)
            self._show("thanks")
            self._schedule_screen_end(self.setting("thank_you_seconds"))
        else:
            self.back_to_rating()
        return captured

    def _show_continuation(self, captured: Captured) -> None:
        """The thank-you's QR code continues this tap on the phone (the same response), where
        the hub offers that; else it is the touchpoint's code (phone_url)."""
        try:
            url = self.terminal.continuation_url(captured)
        except Exception:  # the thank-you shows whatever happens; the generic code then
            log.exception("continuation code failed")
            url = None
        url = url or self.phone_url
        if url and url != self.qr_url:
            self.qr_url = url
            self.qr_texture = qr_texture(url)

    def _capture_failed(self, message: str) -> None:
        self.capture_error = message
        self._show("out_of_order")
        self._schedule_screen_end(max(self.setting("thank_you_seconds"), 5))

    def back_to_rating(self, *_args: Any) -> None:
        """A new shopper: the faces again, in the store's first language."""
        if self.visit is not None:
            self.finish_visit(thank=False)
            return
        for event in (self._step_event, self._screen_event, self._status_event):
            self._cancel(event)
        self.visit_rating = 0
        if self.languages:
            self.language = self.languages[0]
        self._show("rating")

    def thanks_tapped(self) -> None:
        if self.root.get_screen(self.current).shown_for() >= THANKS_TAP_GUARD:
            self.back_to_rating()

    # --- timers ------------------------------------------------------------------------------

    def _show(self, name: str) -> None:
        self.root.current = name
        self._arm_idle()

    @staticmethod
    def _cancel(event: Any) -> None:
        if event is not None:
            event.cancel()

    def _schedule_screen_end(self, seconds: float) -> None:
        self._cancel(self._screen_event)
        self._screen_event = Clock.schedule_once(self.back_to_rating, seconds)

    def _arm_step_timeout(self) -> None:
        self._cancel(self._step_event)
        self._step_event = Clock.schedule_once(self._step_timed_out, self.setting("follow_up_timeout_seconds"))

    def _arm_idle(self) -> None:
        self._cancel(self._idle_event)
        seconds = self.setting("idle_reset_seconds")
        if self.current in ("pin", "admin"):
            seconds = max(seconds, ADMIN_IDLE_SECONDS)
        self._idle_event = Clock.schedule_once(self._idle_reset, seconds)

    def _idle_reset(self, *_args: Any) -> None:
        if self.current != "rating" or self.visit is not None:
            self.back_to_rating()
        elif self.languages and self.language != self.languages[0]:
            self.language = self.languages[0]

    def _on_window_touch(self, window: Any, touch: Any) -> bool:
        """Every touch anywhere: re-arm the timers; count taps on the staff corner."""
        self._arm_idle()
        if self.current in ("follow_up", "nps") and self.visit is not None:
            self._arm_step_timeout()
        corner = min(window.width, window.height) * 0.12
        if touch.x < window.width - corner or touch.y < window.height - corner:
            return False
        if self.current in ("pin", "admin"):
            return False
        now = Clock.get_time()
        self._corner_taps = [t for t in self._corner_taps if now - t <= ADMIN_TAP_WINDOW] + [now]
        if len(self._corner_taps) >= ADMIN_TAPS:
            self._corner_taps = []
            self.open_pin()
        return True  # the corner is staff space: it never presses a face

    # --- staff -------------------------------------------------------------------------------

    def open_pin(self) -> None:
        if self.visit is not None:
            self.finish_visit(thank=False)
        self._cancel(self._screen_event)
        if self.languages:  # staff read the terminal's language, whatever the last shopper chose
            self.language = self.languages[0]
        self._show("pin")

    def check_pin(self, entered: str) -> bool:
        if entered == self.admin_pin:
            self.open_admin()
            return True
        return False

    def open_admin(self) -> None:
        self.refresh_status()
        self._show("admin")
        self._cancel(self._status_event)
        self._status_event = Clock.schedule_interval(self.refresh_status, 2.0)

    def refresh_status(self, *_args: Any) -> None:
        try:
            status = dict(self.terminal.status())
        except Exception as exc:
            log.exception("status failed")
            status = {"last_error": f"status unavailable: {exc}"}
        status["capture_error"] = self.capture_error
        self.status = status

    def sync_now(self) -> None:
        """Sync off the UI thread (it may wait on the network); show the result when it is done."""

        def work() -> None:
            try:
                self.terminal.sync_now()
            except Exception:
                log.exception("sync now failed")
            self._sync_finished()

        threading.Thread(target=work, name="kiosk-sync-now", daemon=True).start()

    @mainthread
    def _sync_finished(self) -> None:
        if self.current == "admin":
            self.refresh_status()


def run_app(data_dir: Path, fullscreen: bool = False) -> None:
    """``voxloop kiosk run``: the terminal's UI on its data directory, until the window closes."""
    from kivy.config import Config

    Config.set("input", "mouse", "mouse,multitouch_on_demand")  # no red multitouch dots on right click
    if fullscreen:
        Config.set("graphics", "fullscreen", "auto")
        Config.set("graphics", "show_cursor", "0")
        Config.set("kivy", "exit_on_escape", "0")
    from kiosk.terminal import Terminal

    logging.getLogger("peewee").setLevel(logging.INFO)  # not every SQL statement into Kivy's log files
    data_dir = Path(data_dir)
    terminal = Terminal.open(data_dir)  # demo mode until the terminal is enrolled
    app = KioskApp(terminal, admin_pin=read_admin_pin(data_dir))
    # systemd stops the terminal with SIGTERM: leave through on_stop, which stores a visit in progress.
    signal.signal(signal.SIGTERM, lambda *_: Clock.schedule_once(lambda _dt: app.stop()))
    try:
        app.run()
    finally:
        terminal.close()
