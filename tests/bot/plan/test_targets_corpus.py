"""Target extraction over the seed's 100 tasks, against the reviewed list beside this file, and
over the usual forms plans write targets in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.plan.parser import parse_plan
from bot.plan.targets import Target, extract_targets
from tests.factories.plans import SEED_TEXT

CORPUS: dict[str, Any] = yaml.safe_load(
    (Path(__file__).with_name("targets_corpus.yaml")).read_text(encoding="utf-8")
)


def _line(target: Target) -> str:
    value = target.value + (f"-{target.value_max}" if target.value_max else "")
    return f"{target.metric} | {value}{target.unit} | {target.comparator} | {target.kind}"


@pytest.fixture(scope="module")
def tasks() -> dict[int, str]:
    plan = parse_plan(SEED_TEXT)
    return {task.number: task.text for section in plan.sections for task in section.tasks}


def test_every_task_gives_the_reviewed_targets(tasks: dict[int, str]) -> None:
    assert len(tasks) == 100
    found = {n: [_line(t) for t in extract_targets(text)] for n, text in tasks.items()}
    expected = {int(n): lines for n, lines in CORPUS["found"].items()}
    assert {n: lines for n, lines in found.items() if lines} == expected
    # The figures the README quotes: 114 targets in 52 tasks.
    assert sum(map(len, expected.values())) == 114 and len(expected) == 52


def test_what_is_missed_has_no_figure_to_track(tasks: dict[int, str]) -> None:
    missed = {int(n): words for n, (words, _why) in CORPUS["missed"].items()}
    assert len(missed) == 5
    for number, words in missed.items():
        assert words in tasks[number]
        assert not any(words in t.phrase for t in extract_targets(tasks[number]))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("地区生产总值增长7%左右", ["地区生产总值增长 | 7% | approx | rate"]),
        ("工业投资增长10%以上", ["工业投资增长 | 10% | ge | rate"]),
        ("城镇登记失业率控制在3%以内", ["城镇登记失业率 | 3% | le | rate"]),
        ("居民消费价格涨幅不超过3%", ["居民消费价格涨幅 | 3% | le | rate"]),
        ("一般公共预算收入增长6%-7%", ["一般公共预算收入增长 | 6-7% | range | rate"]),
        ("新增城镇就业25万人", ["新增城镇就业 | 25万人 | ge | cumulative"]),
        ("新增城镇就业二十五万人", ["新增城镇就业 | 25万人 | ge | cumulative"]),
        ("完成投资一千二百亿元以上", ["完成投资 | 1200亿元 | ge | cumulative"]),
        ("建成5G基站1万个", ["建成5G基站 | 1万个 | ge | cumulative"]),
        ("新增市场主体22.5万户", ["新增市场主体 | 22.5万户 | ge | cumulative"]),
        ("引进企业不少于三十家", ["引进企业 | 30家 | ge | cumulative"]),
        (
            "新建道路12公里,改造口袋公园30处",
            [
                "新建道路 | 12公里 | ge | cumulative",
                "改造口袋公园 | 30处 | ge | cumulative",
            ],
        ),
        ("PM2.5年均浓度控制在35微克/立方米以内", ["PM2.5年均浓度 | 35微克/立方米 | le | rate"]),
        ("科技型中小企业总数达1.2万家", ["科技型中小企业总数 | 1.2万家 | ge | rate"]),
        # Names, baselines and ordinals are not targets.
        ("办好第30届中国戏剧梅花奖颁奖活动", []),
        ("深入实施“4+1”环境污染治理工程", []),
        ("确保八条重点产业链稳定运行", []),
        ("覆盖率在2020年70%的基础上有明显提高", []),
        ("建设G312产业创新走廊", []),
    ],
)
def test_the_usual_forms(text: str, expected: list[str]) -> None:
    assert [_line(t) for t in extract_targets(text)] == expected
