"""The /status chart: lights by section and units' on-time reporting, as a PNG.

Chinese labels need a CJK font: it comes from a registry package (Noto Sans SC in
pylopdf-fonts-zh-cn), never from whatever fonts the host happens to have.
"""

from __future__ import annotations

import importlib.resources
import io
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: render to PNG in memory

from matplotlib import font_manager
from matplotlib import pyplot as plt

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


def status_chart(
    *,
    title: str,
    sections: list[tuple[str, dict[Light, int]]],
    light_names: dict[Light, str],
    ranking: list[tuple[str, float]],
    ranking_title: str,
    count_label: str,
) -> bytes:
    """Two panels: a stacked bar of lights per section, and units' on-time rate (best first)."""
    family = cjk_font()
    with plt.rc_context({"font.family": family, "axes.unicode_minus": False}):
        figure, (left, right) = plt.subplots(
            1, 2, figsize=(13, 6.5), gridspec_kw={"width_ratios": [3, 2]}
        )
        names = [name for name, _counts in sections]
        positions = list(range(len(names)))
        bottoms = [0] * len(names)
        for light in LIGHT_ORDER:
            values = [counts.get(light, 0) for _name, counts in sections]
            left.barh(
                positions,
                values,
                left=bottoms,
                color=LIGHT_COLOURS[light],
                label=light_names[light],
            )
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        left.set_yticks(positions, labels=names)
        left.invert_yaxis()
        left.set_xlabel(count_label)
        left.legend(loc="lower right", fontsize=9)
        left.set_title(title)

        units = [name for name, _rate in ranking]
        rates = [rate * 100 for _name, rate in ranking]
        right.barh(range(len(units)), rates, color="#1e88e5")
        right.set_yticks(range(len(units)), labels=units)
        right.invert_yaxis()
        right.set_xlim(0, 100)
        right.set_xlabel("%")
        right.set_title(ranking_title)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110)
        plt.close(figure)
    return buffer.getvalue()
