"""The channel split: the exit terminals ("kiosk") next to the phone page ("qr"), each with
its volume, share, smiley index and NPS (score_daily per channel via hub/queries/scores.py),
for the dashboard and its CSV."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from hub.i18n import lazy_gettext
from hub.queries.scores import score_counts
from hub.services.analytics import Period, Scales
from shared.scoring import EMPTY, Score, nps, smiley_index

CHANNEL_NAMES = {"kiosk": lazy_gettext("Terminal"), "qr": lazy_gettext("Phone (QR)")}


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    responses: int
    share: float | None  # % of all responses in the period
    smiley: Score
    nps: Score

    @property
    def name(self) -> str:
        return CHANNEL_NAMES.get(self.channel, self.channel)


def channel_split(
    store_ids: Collection[int] | None, period: Period, scales: Scales, *, with_suspect: bool = False
) -> list[ChannelRow]:
    """Every known channel (and any other that has answers), terminals first; suspect
    responses left out unless ``with_suspect``."""

    def counts(question: str | None) -> dict[str, dict[int, int]]:
        if question is None:
            return {}
        return score_counts(question, period.start, period.end, store_ids, "channel", with_suspect=with_suspect)

    smileys, promoters = counts(scales.smiley), counts(scales.nps)
    channels = [*CHANNEL_NAMES, *sorted(set(smileys) - set(CHANNEL_NAMES))]
    volume = {c: sum(smileys.get(c, {}).values()) for c in channels}
    total = sum(volume.values())
    return [
        ChannelRow(
            c,
            volume[c],
            100.0 * volume[c] / total if total else None,
            smiley_index(smileys[c], scales.faces) if c in smileys else EMPTY,
            nps(promoters[c]) if c in promoters else EMPTY,
        )
        for c in channels
    ]
