"""The /status chart renders Chinese with the packaged CJK font, never a host font."""

from __future__ import annotations

import warnings

from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from bot.charts import cjk_font, font_path, status_chart
from bot.lights import Light

LABELS = ["一、毫不松懈做好常态化疫情防控", "各板块任务灯号", "市发改委", "按时报送率", "滞后"]


def test_the_packaged_font_covers_the_labels() -> None:
    charmap = FT2Font(str(font_path())).get_charmap()
    missing = {ch for label in LABELS for ch in label if ord(ch) not in charmap}
    assert missing == set()


def test_matplotlib_resolves_the_family_to_the_packaged_file() -> None:
    family = cjk_font()
    found = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    assert found == str(font_path())


def test_chart_renders_without_missing_glyphs() -> None:
    with warnings.catch_warnings():
        # matplotlib warns "Glyph … missing from font" for every character it cannot draw.
        warnings.simplefilter("error")
        png = status_chart(
            title=LABELS[1],
            sections=[(LABELS[0], {Light.RED: 1, Light.GREEN: 2})],
            light_names={light: LABELS[4] for light in Light},
            ranking=[(LABELS[2], 0.5)],
            ranking_title=LABELS[3],
            count_label="任务数",
        )
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
