"""A label that shows all of its text inside its box, on any screen the terminal runs on.

The text wraps at spaces within ``text_size`` (set it to the box, or to the box's width with a
height that follows the text). When a word is wider than the box, the lines are taller than the
box or more than ``fit_lines``, the font shrinks in steps down to ``min_scale`` of
``font_size``; a word still too wide then is hyphenated in the label's ``text_language``
(``kiosk.hyphenation``; with ``hyphenate`` off, for codes and addresses, it breaks only at
separators such as "-" and "/"). ``text`` and ``font_size`` stay what the layout asked for;
what is drawn is ``fitted_text`` in ``fitted_font_size``.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.label import Label

from kiosk.hyphenation import break_long_words

SHRINK_STEP = 0.92  # each try is this much smaller than the one before


class FittingLabel(Label):
    min_scale = NumericProperty(0.6)
    text_language = StringProperty("")  # the language of the text, for hyphenation
    hyphenate = BooleanProperty(True)  # False for codes and addresses: broken at separators only
    fit_lines = NumericProperty(0)  # more lines than this: shrink first (0: as many as fit)
    fitted_text = StringProperty("")
    fitted_font_size = NumericProperty(0)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fbind("text_language", self._trigger_texture)
        self.fbind("min_scale", self._trigger_texture)
        self.fbind("hyphenate", self._trigger_texture)
        self.fbind("fit_lines", self._trigger_texture)

    def texture_update(self, *largs: Any) -> None:
        text, font_size = self.fit()
        self._label.text = text
        self._label.options["font_size"] = font_size
        self.fitted_text, self.fitted_font_size = text, font_size
        super().texture_update(*largs)

    def fit(self) -> tuple[str, float]:
        """The text and font size that fit ``text_size``: the wanted size if it fits, else the
        largest step down that does, else the smallest with the too-wide words hyphenated."""
        text, wanted = self.text, float(self.font_size)
        width, height = self.text_size
        if not text.strip() or width is None or width <= 1:
            return text, wanted
        core = self._label
        text_size = core.text_size
        core.text_size = (width, None)  # how tall the lines are, not cut at the box
        line_width = width - self.padding[0] - self.padding[2]
        try:
            scale = 1.0
            while True:
                core.options["font_size"] = wanted * scale
                if self._fits(text, line_width, height):
                    return text, wanted * scale
                if scale * SHRINK_STEP < self.min_scale:
                    break
                scale *= SHRINK_STEP
            language = self.text_language if self.hyphenate else ""
            text = break_long_words(text, lambda word: core.get_extents(word)[0] <= line_width, language)
            return text, wanted * scale
        finally:
            core.text_size = text_size

    def _fits(self, text: str, line_width: float, height: float | None) -> bool:
        core = self._label
        if any(core.get_extents(word)[0] > line_width for word in text.split()):
            return False
        if height is None and not self.fit_lines:
            return True
        core.text = text
        lines_height = core.render()[1]
        if self.fit_lines and len(core._cached_lines) > self.fit_lines:
            return False
        return height is None or lines_height <= height
