"""The terminal's screens. Each has its layout in a .kv file next to this one; the classes here
declare what a screen shows and hand every decision to the app (``app.rate``, ``app.skip_step``,
``app.check_pin``, ...). The UI's own words are English in the code and the .kv files and come
translated from the gettext catalogs (``kiosk.translations``); the survey's words come from the
config.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.numbers import format_decimal
from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior, ToggleButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen

from kiosk.faces import FaceButton
from kiosk.fitting_label import FittingLabel
from kiosk.translations import N_, gettext
from shared.scoring import nps_group

KV_DIR = Path(__file__).parent
KV_FILES = ("common.kv", "rating.kv", "follow_up.kv", "nps.kv", "thanks.kv", "out_of_order.kv", "pin.kv", "admin.kv")

COLOURS = {
    "background": (0.972, 0.965, 0.949, 1),  # warm off-white
    "surface": (1, 1, 1, 1),
    "surface_down": (0.91, 0.92, 0.94, 1),
    "line": (0.82, 0.83, 0.86, 1),
    "ink": (0.114, 0.125, 0.149, 1),
    "muted": (0.365, 0.380, 0.420, 1),
    "primary": (0.122, 0.361, 0.847, 1),
    "primary_down": (0.086, 0.271, 0.659, 1),
    "on_primary": (1, 1, 1, 1),
    "danger": (0.741, 0.180, 0.200, 1),
    "admin_bg": (0.933, 0.941, 0.957, 1),
}

# NPS buttons: detractors 0-6, passives 7-8, promoters 9-10 (tints of the faces' red/amber/green).
NPS_TINTS = {
    "detractor": (0.988, 0.890, 0.890, 1),
    "passive": (0.996, 0.945, 0.839, 1),
    "promoter": (0.867, 0.953, 0.886, 1),
}

LANGUAGE_NAMES = {
    "de": "Deutsch",
    "en": "English",
    "fr": "Français",
    "it": "Italiano",
    "es": "Español",
    "nl": "Nederlands",
    "pl": "Polski",
    "tr": "Türkçe",
}

# (label, how to read it from terminal.status()) for the admin screen, in reading order. The
# labels are English here and shown in the terminal's language (the gettext catalogs).
ADMIN_FIELDS = (
    (N_("Mode"), "mode"),
    (N_("Device"), "device_id"),
    (N_("Store"), "store"),
    (N_("Hub"), "hub_url"),
    (N_("App version"), "app_version"),
    (N_("Clock offset"), "clock_offset_seconds"),
    (N_("Last sync"), "last_sync_at"),
    (N_("Waiting to be sent"), "queue_depth"),
    (N_("Delivered"), "delivered"),
    (N_("Refused"), "quarantined"),
    (N_("Revoked"), "revoked"),
    (N_("Last error"), "last_error"),
    (N_("Capture error"), "capture_error"),
)
MODES = {"demo": N_("Demo (not enrolled)"), "enrolled": N_("Enrolled")}
# An error is kept as "code: detail" (kiosk/sync_worker.py, kiosk/hub_client.py, the hub's
# problem codes). Staff read what a known code means in their language; the detail, the words of
# a library or of the hub, follows for support where it adds something.
ERRORS = {
    "storage_full": (N_("The terminal's disk is full."), False),
    "revoked_device": (N_("The hub revoked this terminal: taps are kept here; enroll it again."), False),
    "not_enrolled": (N_("This terminal is not enrolled yet."), False),
    "unreachable": (N_("The hub cannot be reached."), True),
    "bad_answer": (N_("The hub gave an answer the terminal does not understand."), True),
    "terminal_error": (N_("An error on the terminal."), True),
}


def load_kv() -> None:
    for name in KV_FILES:
        path = str(KV_DIR / name)
        if path not in Builder.files:
            Builder.load_file(path)


def all_screens() -> list[Screen]:
    return [
        RatingScreen(name="rating"),
        FollowUpScreen(name="follow_up"),
        NpsScreen(name="nps"),
        ThanksScreen(name="thanks"),
        OutOfOrderScreen(name="out_of_order"),
        PinScreen(name="pin"),
        AdminScreen(name="admin"),
    ]


# --- building blocks (styled in common.kv) -------------------------------------------------------


class PillButton(ButtonBehavior, FittingLabel):
    """A rounded button: white with a line, or filled blue when ``primary`` or ``selected``."""

    primary = BooleanProperty(False)
    selected = BooleanProperty(False)
    tint = ObjectProperty(None, allownone=True)


class Card(BoxLayout):
    """A white panel with rounded corners of radius ``corner`` (drawn in common.kv)."""

    corner = NumericProperty(12)


class Chip(ToggleButtonBehavior, FittingLabel):
    """One reason: tap to pick, tap again to drop."""

    option_id = StringProperty("")


class KioskScreen(Screen):
    entered_at = NumericProperty(0)

    def on_enter(self, *_args: Any) -> None:
        self.entered_at = Clock.get_time()

    def shown_for(self) -> float:
        return Clock.get_time() - self.entered_at


# --- the shopper's screens --------------------------------------------------------------------


class RatingScreen(KioskScreen):
    """The faces, the question and (with several store languages) the language switch."""

    def show_config(self) -> None:
        app = App.get_running_app()
        faces = app.survey.faces
        box = self.ids.faces
        box.clear_widgets()
        for value in range(1, faces + 1):
            face = FaceButton(value=value, faces=faces)
            face.bind(on_release=lambda button: app.rate(int(button.value)))
            box.add_widget(face)
        switch = self.ids.languages
        switch.clear_widgets()
        if len(app.languages) > 1:
            for code in app.languages:
                button = PillButton(text=LANGUAGE_NAMES.get(code, code.upper()))
                button.language = code
                button.bind(on_release=lambda b: app.set_language(b.language))
                switch.add_widget(button)
        self._mark_language(app, app.language)
        app.unbind(language=self._mark_language)
        app.bind(language=self._mark_language)

    def _mark_language(self, _app: Any, language: str) -> None:
        for button in self.ids.languages.children:
            button.selected = button.language == language

    def face_buttons(self) -> list[FaceButton]:
        return list(reversed(self.ids.faces.children))


class FollowUpScreen(KioskScreen):
    """The reasons for the face just tapped, as chips; "Skip", and "Done" when several may be picked."""

    question = ObjectProperty(None, allownone=True)
    multiple = BooleanProperty(True)
    picked = NumericProperty(0)

    def on_pre_enter(self, *_args: Any) -> None:
        app = App.get_running_app()
        self.question = app.survey.reasons
        self.multiple = bool((self.question or {}).get("multiple", False))
        self.picked = 0
        chips = self.ids.chips
        chips.clear_widgets()
        for option in app.survey.reasons_for(app.visit_rating):
            chip = Chip(text=app.question_text(option, app.language), option_id=str(option["id"]))
            chip.bind(state=self._chip_changed)
            chips.add_widget(chip)

    def _chip_changed(self, chip: Chip, state: str) -> None:
        if not self.multiple and state == "down":
            App.get_running_app().choose_reasons([chip.option_id])
            return
        self.picked = len(self.chosen())

    def chosen(self) -> list[str]:
        return [c.option_id for c in reversed(self.ids.chips.children) if c.state == "down"]

    def chips(self) -> list[Chip]:
        return list(reversed(self.ids.chips.children))


class NpsScreen(KioskScreen):
    """0-10 "how likely are you to recommend us", always skippable."""

    def on_kv_post(self, _base_widget: Any) -> None:
        for value in range(11):
            button = PillButton(text=str(value), tint=NPS_TINTS[nps_group(value)])
            button.value = value
            button.bind(on_release=lambda b: App.get_running_app().choose_nps(b.value))
            self.ids.scale.add_widget(button)

    def buttons(self) -> list[PillButton]:
        return list(reversed(self.ids.scale.children))


class TapToContinue:
    """A screen that ends with a tap anywhere (after a short guard against the bounce of the tap before)."""

    def on_touch_down(self, touch: Any) -> bool:
        App.get_running_app().thanks_tapped()
        return True


class ThanksScreen(TapToContinue, KioskScreen):
    """Thank you, and a QR code to say more on the phone. A tap starts the next shopper's visit."""


class OutOfOrderScreen(TapToContinue, KioskScreen):
    """The tap could not be stored (disk full, database error): say so and ask for staff."""


# --- staff -------------------------------------------------------------------------------------


class PinScreen(KioskScreen):
    entered = StringProperty("")
    wrong = BooleanProperty(False)

    def on_pre_enter(self, *_args: Any) -> None:
        self.entered, self.wrong = "", False

    def press(self, digit: str) -> None:
        if len(self.entered) < 12:
            self.entered += digit
            self.wrong = False

    def submit(self) -> None:
        if not App.get_running_app().check_pin(self.entered):
            self.entered, self.wrong = "", True


class AdminScreen(KioskScreen):
    """What staff and support need to see: identity, sync state, the queue, refused taps. In the
    terminal's language; every value whole, wrapped where it is long (the fields scroll)."""

    def on_kv_post(self, _base_widget: Any) -> None:
        self._names: dict[str, Label] = {}
        self._values: dict[str, Label] = {}
        grid = self.ids.fields
        for name, key in ADMIN_FIELDS:
            self._names[key] = Factory.FieldName(text=name)
            self._values[key] = Factory.FieldValue(text="-")
            grid.add_widget(self._names[key])
            grid.add_widget(self._values[key])
        app = App.get_running_app()
        app.bind(status=self.show_status, language=self.show_status)

    def show_status(self, *_args: Any) -> None:
        app = App.get_running_app()
        status, language = app.status, app.language
        for name, key in ADMIN_FIELDS:
            self._names[key].text = gettext(name, language)
            value = self._values[key]
            value.text = admin_value(key, status, language)
            value.color = COLOURS["danger"] if key.endswith("error") and status.get(key) else COLOURS["ink"]
        items = status.get("quarantine") or status.get("quarantined_items") or []
        if isinstance(status.get("quarantined"), list):
            items = status["quarantined"]
        self.ids.quarantine.text = "\n".join(
            f"#{item.get('seq', '?')}  {moment(item.get('captured_at'), language)}  {item.get('code', '')}  "
            f"{item.get('id', '')}"
            for item in items
        ) or gettext("none", language)

    def value_of(self, key: str) -> str:
        return self._values[key].text


def moment(value: Any, language: str) -> str:
    """A time the terminal recorded (ISO 8601, UTC) as staff read it in ``language``."""
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return format_datetime(when, "medium", tzinfo=UTC, locale=number_locale(language)) + " UTC"


def number_locale(language: str) -> str:
    """The locale whose numbers and dates ``language`` reads (CLDR's, through Babel)."""
    try:
        return str(Locale.parse(language))
    except (UnknownLocaleError, ValueError, TypeError):
        return "en"


def status_field(key: str, status: dict[str, Any]) -> Any:
    """One field of ``terminal.status()`` (older names too), the store with its name."""
    if key == "hub_url":
        return status.get("hub_url", status.get("hub"))
    if key == "app_version":
        return status.get("app_version", status.get("version"))
    value = status.get(key)
    if key == "store":
        if isinstance(value, dict):
            return " · ".join(str(value[k]) for k in ("code", "name") if value.get(k))
        if status.get("store_name"):
            return f"{value} · {status['store_name']}"
    return value


def admin_value(key: str, status: dict[str, Any], language: str = "en") -> str:
    """One status field as staff read it, in ``language``."""
    value = status_field(key, status)
    if key == "mode" and value in MODES:
        return gettext(MODES[value], language)
    if key == "clock_offset_seconds" and isinstance(value, int | float):
        return format_decimal(value, format="+#,##0.0;-#,##0.0", locale=number_locale(language)) + " s"
    if key == "quarantined" and isinstance(value, list):
        value = len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return format_decimal(value, locale=number_locale(language))
    if key == "revoked":
        return gettext("Yes: enroll the terminal again", language) if value else gettext("No", language)
    if value in (None, ""):
        return gettext("never", language) if key == "last_sync_at" else "-"
    if key == "last_sync_at":
        return moment(value, language)
    if key.endswith("error"):
        return error_text(str(value), language)
    return str(value)


def error_text(error: str, language: str) -> str:
    """An error kept as "code: detail", said in ``language`` where the code is known."""
    code, _, detail = error.partition(": ")
    if code not in ERRORS:
        return error
    meaning, with_detail = ERRORS[code]
    said = f"{gettext(meaning, language)} ({code})"
    return f"{said}\n{detail}" if with_detail and detail else said
