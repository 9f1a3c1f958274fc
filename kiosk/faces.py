"""The smiley faces, drawn with canvas instructions: the default Kivy font has no emoji.

A face is a filled circle in its colour (red for the worst, green for the best), two eyes and
a mouth whose curve goes from a frown to a broad smile. ``face_look(value, faces)`` is the pure
part (colour and curve for a value on a 4- or 5-face scale); ``FaceButton`` is the touch target
that draws it and grows a little while pressed.
"""

from __future__ import annotations

from dataclasses import dataclass

from kivy.graphics import Color, Ellipse, Line
from kivy.properties import BooleanProperty, NumericProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.widget import Widget

# Worst to best. Four faces use the outer and inner two, five add the amber middle.
_PALETTE_5 = [
    (0.898, 0.282, 0.302),  # red
    (0.961, 0.573, 0.235),  # orange
    (0.976, 0.765, 0.220),  # amber
    (0.541, 0.776, 0.290),  # light green
    (0.180, 0.659, 0.373),  # green
]
_PALETTE_4 = [_PALETTE_5[0], _PALETTE_5[1], _PALETTE_5[3], _PALETTE_5[4]]
INK = (0.153, 0.125, 0.110)  # eyes and mouth: warm near-black, softer than pure black


@dataclass(frozen=True)
class FaceLook:
    colour: tuple[float, float, float]
    curve: float  # -1 deep frown, 0 straight, +1 broad smile


def face_look(value: int, faces: int) -> FaceLook:
    """How face ``value`` (1 = worst) looks on a scale of ``faces`` (4 or 5)."""
    if faces not in (4, 5) or not 1 <= value <= faces:
        raise ValueError(f"face {value} of {faces}: a smiley scale has 4 or 5 faces, numbered from 1")
    palette = _PALETTE_5 if faces == 5 else _PALETTE_4
    curve = -1.0 + 2.0 * (value - 1) / (faces - 1)
    return FaceLook(colour=palette[value - 1], curve=curve)


def mouth_points(cx: float, cy: float, radius: float, curve: float, steps: int = 16) -> list[float]:
    """A parabola under the eyes: corners up for a smile, down for a frown."""
    half_width = radius * (0.42 + 0.06 * abs(curve))
    depth = radius * 0.30 * curve
    base_y = cy - radius * 0.30
    points: list[float] = []
    for i in range(steps + 1):
        t = -1.0 + 2.0 * i / steps
        points += [cx + t * half_width, base_y + depth * (t * t - 0.5)]
    return points


def draw_face(canvas, cx: float, cy: float, radius: float, value: int, faces: int, pressed: bool = False) -> None:
    """Add one face's instructions to ``canvas`` (cleared by the caller)."""
    look = face_look(value, faces)
    r, g, b = look.colour
    # Fewer segments than Kivy's 180: still round to the pixel, and far cheaper for a software
    # renderer, which bins every thin fan triangle into each screen tile it touches.
    segments = int(min(96, max(32, radius * 0.35)))
    with canvas:
        # a soft shadow under the face
        Color(0, 0, 0, 0.10)
        Ellipse(pos=(cx - radius, cy - radius * 1.06), size=(2 * radius, 2 * radius), segments=segments)
        if pressed:
            Color(r, g, b, 0.35)
            halo = radius * 1.12
            Ellipse(pos=(cx - halo, cy - halo), size=(2 * halo, 2 * halo), segments=segments)
        Color(r * 0.82, g * 0.82, b * 0.82, 1)
        Ellipse(pos=(cx - radius, cy - radius), size=(2 * radius, 2 * radius), segments=segments)
        inner = radius * 0.94
        Color(r, g, b, 1)
        Ellipse(pos=(cx - inner, cy - inner), size=(2 * inner, 2 * inner), segments=segments)
        Color(*INK, 1)
        eye_w, eye_h = radius * 0.15, radius * 0.22
        for side in (-1, 1):
            ex = cx + side * radius * 0.34
            Ellipse(pos=(ex - eye_w / 2, cy + radius * 0.12), size=(eye_w, eye_h), segments=24)
        Line(
            points=mouth_points(cx, cy, radius, look.curve),
            width=max(1.5, radius * 0.075),
            cap="round",
            joint="round",
        )


class FaceButton(ButtonBehavior, Widget):
    """One face as a touch target: the whole widget is touchable, the face fills most of it."""

    value = NumericProperty(1)
    faces = NumericProperty(4)
    fill = NumericProperty(0.86)  # share of the shorter side the face's diameter takes
    pressed = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self.redraw, size=self.redraw, value=self.redraw, faces=self.redraw, pressed=self.redraw)
        self.bind(state=lambda *_: setattr(self, "pressed", self.state == "down"))
        self.redraw()

    @property
    def radius(self) -> float:
        return min(self.width, self.height) * self.fill / 2

    def collide_point(self, x: float, y: float) -> bool:
        """Only the face and a small margin around it: a tall empty slot above it is no target."""
        reach = min(self.width, self.height) / 2
        return (x - self.center_x) ** 2 + (y - self.center_y) ** 2 <= reach * reach

    def redraw(self, *_args) -> None:
        self.canvas.clear()
        if self.width <= 1 or self.height <= 1 or not 1 <= self.value <= self.faces:
            return  # not laid out yet, or between two property updates
        draw_face(
            self.canvas, self.center_x, self.center_y, self.radius, int(self.value), int(self.faces), self.pressed
        )
