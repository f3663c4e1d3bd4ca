"""The parser against the Nanjing seed and the variants other cities write."""

from __future__ import annotations

import re

import pytest

from bot.plan.parser import (
    PlanParseError,
    parse_plan,
    parse_units,
)
from tests.factories.plans import SEED_TEXT, small_plan


@pytest.fixture(scope="module")
def seed():  # type: ignore[no-untyped-def]
    return parse_plan(SEED_TEXT)


def test_seed_has_eleven_sections_and_a_hundred_tasks(seed) -> None:  # type: ignore[no-untyped-def]
    assert seed.document == "宁政发〔2021〕16号"
    assert seed.year == 2021
    assert seed.title == "2021年市政府主要工作目标任务分解落实方案"
    assert len(seed.sections) == 11
    assert [t.number for t in seed.tasks] == list(range(1, 101))
    assert seed.sections[0].title == "关于毫不松懈做好常态化疫情防控"
    assert seed.sections[10].title == "关于加快优化公共服务供给"
    assert [len(s.tasks) for s in seed.sections] == [1, 12, 10, 9, 11, 9, 8, 8, 3, 7, 22]


def _published_lines() -> dict[int, str]:
    lines = {}
    for line in SEED_TEXT.splitlines():
        match = re.match(r"^(\d+)\.", line.strip())
        if match:
            lines[int(match.group(1))] = line.strip()
    return lines


def test_every_task_reads_back_as_published(seed) -> None:  # type: ignore[no-untyped-def]
    # Rebuild each line from what was parsed; all but the two untidy tasks must match to the
    # character, which pins down text, unit names, their order and their roles.
    published = _published_lines()
    untidy = {40, 73}
    for task in seed.tasks:
        if task.number in untidy:
            continue
        group = "、".join(task.lead_units) + "主办"
        if task.co_units:
            group += ",".join(["", "、".join(task.co_units) + "协办"])
        assert f"{task.number}.{task.text}({group})" == published[task.number]


def test_task_40_stray_comma_keeps_districts_among_co_units(seed) -> None:  # type: ignore[no-untyped-def]
    task = seed.tasks[39]
    assert task.lead_units == ["市政府国资委", "市财政局", "市委宣传部"]
    assert task.co_units == ["各区政府", "各园区管委会", "各市属国有企业"]


def test_task_73_related_departments_become_a_collective(seed) -> None:  # type: ignore[no-untyped-def]
    task = seed.tasks[72]
    assert task.lead_units == ["市应急管理局", "市水务局"]
    assert task.co_units == [
        "市商务局",
        "市交通运输局",
        "市建委",
        "市消防救援支队",
        "相关部门",
        "各区政府",
        "各园区管委会",
    ]


def test_task_text_keeps_inner_parentheses(seed) -> None:  # type: ignore[no-untyped-def]
    assert "城市信息化模型(CIM平台)" in seed.tasks[51].text
    assert seed.tasks[51].lead_units == ["市大数据管理局"]


def test_targets_are_structured(seed) -> None:  # type: ignore[no-untyped-def]
    gdp = seed.tasks[1].targets
    assert [(t.metric, t.value, t.unit, t.comparator, t.kind) for t in gdp] == [
        ("地区生产总值增长", "7", "%", "ge", "rate"),
        ("固定资产投资增长", "8", "%", "ge", "rate"),
    ]
    invest = {t.metric: (t.comparator, t.kind) for t in seed.tasks[5].targets}
    assert invest["完成投资"] == ("ge", "cumulative")
    assert invest["工业投资增长"] == ("approx", "rate")


@pytest.mark.parametrize(
    ("group", "lead", "co"),
    [
        ("市发改委主办", ["市发改委"], []),
        ("市商务局、市发改委主办,市工信局协办", ["市商务局", "市发改委"], ["市工信局"]),
        ("市商务局、市发改委主办，市工信局协办", ["市商务局", "市发改委"], ["市工信局"]),
        ("牵头单位:市发改委;责任单位:市财政局、市商务局", ["市发改委"], ["市财政局", "市商务局"]),
        ("牵头单位：市发改委；责任单位：市财政局", ["市发改委"], ["市财政局"]),
        ("牵头:市教育局;配合:市财政局、市人社局", ["市教育局"], ["市财政局", "市人社局"]),
        ("牵头单位:市水务局;配合单位:各区人民政府〈含开发区〉", ["市水务局"], ["各区人民政府"]),
        ("责任单位:市公安局、市司法局", ["市公安局", "市司法局"], []),
        ("市发改委主办,各区人民政府<含江北新区>协办", ["市发改委"], ["各区人民政府"]),
        ("市公安局", ["市公安局"], []),
        ("市建委主办,市城建集团等相关部门协办", ["市建委"], ["市城建集团", "相关部门"]),
        ("市建委主办,市建委协办", ["市建委"], []),
    ],
)
def test_unit_group_variants(group: str, lead: list[str], co: list[str]) -> None:
    assert parse_units(group) == (lead, co)


@pytest.mark.parametrize(
    ("group", "message"),
    [
        ("市发改委主办,市财政局", "units without a role (主办/协办): 市财政局"),
        ("市财政局协办", "no lead unit"),
        ("", "empty"),
        ("主办", "without a unit"),
        ("市发改委;牵头单位:市财政局", "units before the first role label"),
    ],
)
def test_unit_groups_that_cannot_be_placed(group: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_units(group)


def test_full_width_and_chinese_numbered_tasks() -> None:
    text = "\n".join(
        [
            "苏政发〔2024〕3号",
            "2024年重点工作任务分工方案",
            "一、稳增长",
            "（一）地区生产总值增长5.5%左右。（牵头单位：省发展改革委；责任单位：省统计局）",
            "（二）新增市场主体22.5万户以上。（省市场监管局主办，各设区市人民政府协办）",
            "二、惠民生",
            "（一）城镇新增就业130万人．（责任单位：省人力资源社会保障厅、省财政厅）",
        ]
    )
    plan = parse_plan(text)
    assert plan.document == "苏政发〔2024〕3号" and plan.year == 2024
    assert [(t.number, t.label) for t in plan.tasks] == [(1, "(一)"), (2, "(二)"), (3, "(一)")]
    first, second, third = plan.tasks
    assert first.text == "地区生产总值增长5.5%左右。"
    assert (first.lead_units, first.co_units) == (["省发展改革委"], ["省统计局"])
    assert (second.lead_units, second.co_units) == (["省市场监管局"], ["各设区市人民政府"])
    assert (third.lead_units, third.co_units) == (["省人力资源社会保障厅", "省财政厅"], [])
    assert second.targets[0].value == "22.5" and second.targets[0].comparator == "ge"


def test_task_wrapped_over_lines_is_joined_and_trailer_ignored() -> None:
    text = small_plan(
        "1.第一句,",
        "续写的第二句。(市发改委主办)",
        "2.另一项。(市财政局主办)",
        "",
        "责任编辑:某某",
    )
    plan = parse_plan(text)
    assert plan.tasks[0].text == "第一句,续写的第二句。"
    assert len(plan.tasks) == 2


def test_year_override_and_year_from_title() -> None:
    assert parse_plan(small_plan("1.一项。(市发改委主办)"), year=2026).year == 2026
    no_doc_year = small_plan("1.一项。(市发改委主办)", document="测政发〔2024〕1号")
    assert parse_plan(no_doc_year).year == 2024


def _problems(text: str) -> list[str]:
    with pytest.raises(PlanParseError) as info:
        parse_plan(text)
    return [str(p) for p in info.value.problems]


def test_broken_task_line_is_reported_with_its_line_number() -> None:
    text = small_plan("1.一项。(市发改委主办)", "2.没有单位的一项。", "3.第三项。(市财政局主办)")
    assert _problems(text) == [
        "line 7: task 2. does not end with its units in parentheses "
        "(like '(市发改委主办,市财政局协办)')"
    ]


def test_missing_number_and_duplicates_are_reported() -> None:
    text = small_plan(
        "1.一项。(市发改委主办)", "3.第三项。(市财政局主办)", "3.重复。(市财政局主办)"
    )
    assert _problems(text) == [
        "line 7: expected task 2, found task 3",
        "line 8: task 3 appears twice (first on line 7)",
    ]


def test_unplaceable_units_and_stray_text_are_reported() -> None:
    text = small_plan(
        "1.一项。(市发改委主办,市财政局)", "这一行不属于任何任务", "2.另一项。(市财政局主办)"
    )
    assert _problems(text) == [
        "line 6: task 1.: units without a role (主办/协办): 市财政局",
        "line 7: text outside any task: '这一行不属于任何任务' "
        "(expected a numbered task like '12.' or a section like '三、')",
    ]


def test_document_without_sections_or_number() -> None:
    assert _problems("随便一些文字\n1.一项。(市发改委主办)") == [
        "no section found (expected a line like '一、关于…')"
    ]
    problems = _problems("某方案\n一、关于测试\n1.一项。(市发改委主办)")
    assert problems[0] == "no document number found (like 宁政发〔2021〕16号)"
