"""The /status chart: lights by section and units' on-time reporting, as a PNG.

Chinese labels need a CJK font: it comes from a registry package (Noto Sans SC in
pylopdf-fonts-zh-cn), never from whatever fonts the host happens to have.
"""

from __future__ import annotations

import importlib.resources
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: render to PNG in memory

from matplotlib import font_manager
from matplotlib import pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import TightLayoutEngine
from matplotlib.ticker import MaxNLocator

from bot.lights import LIGHT_ORDER, Light

FONT_PACKAGE = "pylopdf_fonts_zh_cn"
FONT_FILE = "NotoSansSC-Regular.otf"
LIGHT_COLOURS = {
    Light.DONE: "#2e7d32",
    Light.GREEN: "#66bb6a",
    Light.PENDING: "#bdbdbd",
    Light.YELLOW: "#fbc02d",
    Light.RED: "#e53935",
}


@cache
def cjk_font() -> str:
    """Register the packaged CJK font with matplotlib; returns its family name."""
    path = Path(str(importlib.resources.files(FONT_PACKAGE) / FONT_FILE))
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def font_path() -> Path:
    """Where the packaged CJK font lives."""
    return Path(str(importlib.resources.files(FONT_PACKAGE) / FONT_FILE))


# Drawn and laid out at the resolution it is saved at: the labels are measured once.
DPI = 120
# The least share of the longest bar a segment needs to show its count inside it.
SEGMENT_SHARE = 0.04

# Characters a line of a section's name holds before it wraps, and the lines it may take.
NAME_CHARS = 11
NAME_LINES = 2


def wrapped(name: str, width: int = NAME_CHARS, lines: int = NAME_LINES) -> str:
    """A long name wrapped over at most `lines` lines of `width` characters, balanced (no
    single character left alone on a line); what does not fit is cut with an ellipsis
    (Chinese has no spaces to wrap at, so it is cut by characters)."""
    if len(name) > width * lines:
        name = name[: width * lines - 1] + "…"
    needed = -(-len(name) // width) or 1
    size = -(-len(name) // needed)
    return "\n".join(name[i : i + size] for i in range(0, len(name), size)) or name


@dataclass(frozen=True)
class StatusChart:
    """The /status chart: two panels, one above the other to read on a phone. A stacked bar
    of lights per section (whole-number ticks, each bar's total at its end, the legend above
    the bars), and the units' on-time rate, best first, as (unit, on time, owed): only units
    with something to show, each labelled with its rate and counts; `ranking_note` says what
    is left out (or that nobody reported on time yet)."""

    title: str
    sections: list[tuple[str, dict[Light, int]]]
    light_names: dict[Light, str]
    ranking: list[tuple[str, int, int]]
    ranking_title: str
    count_label: str
    ranking_note: str = ""

    def png(self) -> bytes:
        """The chart as a PNG, drawn with the packaged CJK font."""
        with plt.rc_context(
            {"font.family": cjk_font(), "axes.unicode_minus": False, "font.size": 11}
        ):
            figure = self.figure()
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=DPI)
            plt.close(figure)
        return buffer.getvalue()

    def figure(self) -> Figure:
        """The chart as a matplotlib figure (in the caller's style context)."""
        rows = max(len(self.ranking), 1)
        upper_height = 0.62 * max(len(self.sections), 1) + 0.8
        lower_height = 0.42 * rows + 0.8
        figure, (upper, lower) = plt.subplots(
            2,
            1,
            figsize=(7.5, upper_height + lower_height + 1.6),
            dpi=DPI,
            gridspec_kw={"height_ratios": [upper_height, lower_height]},
        )
        _sections(upper, self.sections, self.light_names, title=self.title, label=self.count_label)
        _ranking(lower, self.ranking, title=self.ranking_title, note=self.ranking_note)
        # Laid out once, as figure.tight_layout would, but without leaving a layout engine on
        # the figure: savefig would draw it once more (every label measured again) before
        # drawing it for real.
        TightLayoutEngine(h_pad=2.0).execute(figure)
        return figure


def _sections(
    axes: Axes,
    sections: list[tuple[str, dict[Light, int]]],
    light_names: dict[Light, str],
    *,
    title: str,
    label: str,
) -> None:
    names = [wrapped(name) for name, _counts in sections]
    positions = list(range(len(names)))
    bottoms = [0] * len(names)
    mixed = [sum(1 for n in counts.values() if n) > 1 for _name, counts in sections]
    # A count fits inside a segment of at least 2 tasks and a share of the longest bar (a
    # city's section holds hundreds: its 9 red tasks are a sliver with no room for "9").
    widest = max((sum(counts.values()) for _name, counts in sections), default=0)
    least = max(2, SEGMENT_SHARE * widest)
    for light in LIGHT_ORDER:
        values = [counts.get(light, 0) for _name, counts in sections]
        bars = axes.barh(
            positions,
            values,
            left=bottoms,
            color=LIGHT_COLOURS[light],
            label=light_names[light],
            height=0.7,
        )
        # A segment's count inside it, where the bar has several and it is wide enough.
        shown = [
            str(v) if v >= least and several else ""
            for v, several in zip(values, mixed, strict=True)
        ]
        axes.bar_label(bars, labels=shown, label_type="center", fontsize=9)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    for position, total in zip(positions, bottoms, strict=True):
        # Just past the bar's end, however many tasks the axis spans.
        axes.annotate(
            str(total),
            (total, position),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=10,
        )
    axes.set_yticks(positions, labels=names, fontsize=10)
    axes.invert_yaxis()
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlim(0, max(bottoms, default=0) * 1.1 + 1)
    axes.set_xlabel(label)
    axes.set_title(title, pad=30)
    # Above the bars, never over them.
    axes.legend(
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=len(LIGHT_ORDER),
        fontsize=9,
        frameon=False,
        handlelength=1.2,
        columnspacing=1.0,
    )


def _ranking(axes: Axes, ranking: list[tuple[str, int, int]], *, title: str, note: str) -> None:
    axes.set_title(title)
    if not ranking:
        axes.set_axis_off()
        axes.text(0.5, 0.5, note, ha="center", va="center", transform=axes.transAxes)
        return
    units = [name for name, _on_time, _owed in ranking]
    rates = [on_time / owed * 100 if owed else 0.0 for _name, on_time, owed in ranking]
    positions = range(len(units))
    axes.barh(positions, rates, color="#1e88e5", height=0.6)
    for position, rate, (_name, on_time, owed) in zip(positions, rates, ranking, strict=True):
        axes.text(rate + 1, position, f"{rate:.0f}%  {on_time}/{owed}", va="center", fontsize=9)
    axes.set_yticks(list(positions), labels=units, fontsize=10)
    axes.invert_yaxis()
    axes.set_xlim(0, 125)  # room for the labels after a full bar
    axes.set_xticks([0, 25, 50, 75, 100], labels=["0", "25", "50", "75", "100%"])
    if note:
        axes.set_xlabel(note, fontsize=9)
