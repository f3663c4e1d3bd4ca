"""The /status chart: rendered with the packaged CJK font, and readable at a glance on a phone."""

from __future__ import annotations

import warnings

from matplotlib import font_manager
from matplotlib import pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font

from bot.charts import StatusChart, cjk_font, font_path, wrapped
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
        png = StatusChart(
            title=LABELS[1],
            sections=[(LABELS[0], {Light.RED: 1, Light.GREEN: 2})],
            light_names={light: LABELS[4] for light in Light},
            ranking=[(LABELS[2], 1, 2)],
            ranking_title=LABELS[3],
            count_label="任务数",
        ).png()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


SECTIONS = [
    ("一、毫不松懈做好常态化疫情防控", {Light.PENDING: 1}),
    ("二、加快打造高质量发展区域增长极", {Light.GREEN: 1, Light.PENDING: 9, Light.YELLOW: 2}),
    ("十一、加快优化公共服务供给", {Light.PENDING: 22}),
]


def _figure(ranking: list[tuple[str, int, int]], note: str = "") -> Figure:
    with plt.rc_context({"font.family": cjk_font()}):
        figure = StatusChart(
            title="各板块任务灯号",
            sections=SECTIONS,
            light_names={light: light.value for light in Light},
            ranking=ranking,
            ranking_title="单位按时报送率",
            count_label="任务数",
            ranking_note=note,
        ).figure()
        figure.canvas.draw()
    return figure


def test_counts_have_whole_ticks_and_every_bar_its_values() -> None:
    figure = _figure([("市财政局", 1, 4), ("市发改委", 2, 23)], note="其余 50 个单位 0%")
    upper, lower = figure.axes
    assert all(float(tick).is_integer() for tick in upper.get_xticks())  # never 2.5 tasks
    shown = [text.get_text() for text in upper.texts if text.get_text()]
    # A mixed bar's segments (9 pending, 2 yellow) inside it, then each bar's total at its end.
    assert shown == ["9", "2", "1", "12", "22"]
    assert [t.get_text() for t in lower.texts] == ["25%  1/4", "9%  2/23"]
    assert lower.get_xlabel() == "其余 50 个单位 0%"
    plt.close(figure)


def test_a_city_section_shows_no_count_in_a_sliver() -> None:
    """500 tasks in a section: 2 done and 9 red are slivers with no room for their counts (they
    ran into the total), 33 and 456 are shown, and the total sits past the bar's end."""
    with plt.rc_context({"font.family": cjk_font()}):
        figure = StatusChart(
            title="各板块任务灯号",
            sections=[
                (
                    "一、城市更新行动",
                    {Light.DONE: 2, Light.GREEN: 33, Light.YELLOW: 456, Light.RED: 9},
                )
            ],
            light_names={light: light.value for light in Light},
            ranking=[],
            ranking_title="单位按时报送率",
            count_label="任务数",
        ).figure()
        figure.canvas.draw()
    upper = figure.axes[0]
    shown = [text for text in upper.texts if text.get_text()]
    assert [text.get_text() for text in shown] == ["33", "456", "500"]
    bar_end = max(patch.get_window_extent().x1 for patch in upper.patches)
    assert shown[-1].get_window_extent().x0 > bar_end
    plt.close(figure)


def test_the_legend_sits_above_the_bars() -> None:
    figure = _figure([("市财政局", 1, 4)])
    upper = figure.axes[0]
    legend = upper.get_legend().get_window_extent()
    assert legend.y0 >= upper.get_window_extent().y1  # outside the plotting area, above it
    plt.close(figure)


def test_long_section_names_wrap_and_cut_with_an_ellipsis() -> None:
    assert wrapped("四、加快提升产业发展能级") == "四、加快提升\n产业发展能级"  # no orphan
    long = "一、关于毫不松懈做好常态化疫情防控和应急处置工作"  # 24 characters: two lines of 11
    assert wrapped(long) == "一、关于毫不松懈做好常\n态化疫情防控和应急处…"
    figure = _figure([])
    labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert labels[0] == "一、毫不松懈做好\n常态化疫情防控"
    plt.close(figure)


def test_a_ranking_with_nobody_on_time_says_so_instead_of_empty_rows() -> None:
    figure = _figure([], note="本期尚无单位按时报送(共 52 个单位,均为 0%)")
    lower = figure.axes[1]
    assert lower.get_yticklabels() == [] or not lower.axison
    assert [t.get_text() for t in lower.texts] == ["本期尚无单位按时报送(共 52 个单位,均为 0%)"]
    plt.close(figure)
