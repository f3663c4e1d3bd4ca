"""The text reader against how other cities write their plans: numbering, notices, rules."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.plan.parser import PlanParseError, parse_plan, parse_units


def _problems(text: str) -> list[str]:
    with pytest.raises(PlanParseError) as info:
        parse_plan(text)
    return [str(p) for p in info.value.problems]


def _plan(*lines: str) -> str:
    return "\n".join(
        ["某市人民政府文件", "某政发〔2025〕3号", "2025年重点工作任务分解方案", *lines]
    )


def test_chinese_numbering_running_on_across_sections_is_accepted() -> None:
    # Seen: (四) opening the second section was refused as "out of order".
    plan = parse_plan(
        _plan(
            "一、稳增长",
            "(一)地区生产总值增长5%。(市发改委)",
            "(二)一般公共预算收入增长3%。(市财政局)",
            "(三)社会消费品零售总额增长6%。(市商务局)",
            "二、惠民生",
            "(四)城镇新增就业10万人。(市人社局)",
            "(五)新建养老机构5所。(市民政局)",
        )
    )
    assert [(t.number, t.label) for t in plan.tasks] == [
        (1, "(一)"),
        (2, "(二)"),
        (3, "(三)"),
        (4, "(四)"),
        (5, "(五)"),
    ]
    assert [len(s.tasks) for s in plan.sections] == [3, 2]


def test_arabic_numbering_restarting_in_each_section_is_accepted() -> None:
    plan = parse_plan(
        _plan(
            "一、稳增长",
            "1.地区生产总值增长5%。(市发改委主办)",
            "2.一般公共预算收入增长3%。(市财政局主办)",
            "二、惠民生",
            "1.城镇新增就业10万人。(市人社局主办)",
        )
    )
    # People type the plan-wide number (/task 3); the document's own stays as the label.
    assert [(t.number, t.label) for t in plan.tasks] == [(1, "1."), (2, "2."), (3, "1.")]


def test_a_notices_numbered_paragraphs_before_the_title_are_not_sections() -> None:
    # Seen: 一、各级各部门要… and 二、责任分解中,… before the plan's title broke the sections.
    text = "\n".join(
        [
            "某市人民政府关于印发2025年重点工作任务分解方案的通知",
            "某政发〔2025〕3号",
            "各区人民政府,市各委办局:",
            "现将《2025年重点工作任务分解方案》印发给你们,并提出以下要求:",
            "一、各级各部门要高度重视,切实加强组织领导,确保各项任务落到实处。",
            "二、责任分解中,列第一位的责任单位为牵头单位,其他为配合单位。",
            "三、请各牵头单位于每季度第1个月的20日前报送上季度推进情况。",
            "某市人民政府",
            "2025年2月1日",
            "2025年重点工作任务分解方案",
            "一、稳增长",
            "1.地区生产总值增长5%。(市发改委、市统计局)",
            "二、惠民生",
            "2.城镇新增就业10万人,6月底前完成半年目标。(市人社局、市财政局、各区政府)",
        ]
    )
    plan = parse_plan(text)
    assert plan.title == "2025年重点工作任务分解方案"
    assert [s.title for s in plan.sections] == ["稳增长", "惠民生"]
    # The notice's second paragraph: the first-listed unit leads.
    assert plan.first_unit_leads
    first, second = plan.tasks
    assert (first.lead_units, first.co_units) == (["市发改委"], ["市统计局"])
    assert (second.lead_units, second.co_units) == (["市人社局"], ["市财政局", "各区政府"])
    assert second.deadline == date(2025, 6, 30) and second.deadline_text == "6月底前"
    # Its third: quarterly, by the 20th of the quarter's first month (the month after).
    assert plan.rule is not None
    assert (plan.rule.period_kind, plan.rule.due_day, plan.rule.due_month_offset) == (
        "quarter",
        20,
        1,
    )


def test_first_unit_leads_by_the_operators_word_and_unit_names_with_parentheses() -> None:
    text = _plan("一、稳增长", "1.推进县域经济发展。(市发改委、各区县(市)政府、市财政局)")
    assert parse_plan(text).tasks[0].lead_units == ["市发改委", "各区县(市)政府", "市财政局"]
    task = parse_plan(text, first_unit_leads=True).tasks[0]
    assert (task.lead_units, task.co_units) == (["市发改委"], ["各区县(市)政府", "市财政局"])
    # Roles written out are kept as written; only units without one follow the rule.
    written = _plan("一、稳增长", "1.推进。(市发改委、市财政局牵头,各区县(市)政府配合)")
    task = parse_plan(written, first_unit_leads=True).tasks[0]
    assert (task.lead_units, task.co_units) == (["市发改委", "市财政局"], ["各区县(市)政府"])


@pytest.mark.parametrize(
    "rule",
    ["列第一位的责任单位为牵头单位", "排名第一的为牵头单位", "排在首位的单位为牵头单位"],
)
def test_the_ways_notices_say_the_first_unit_leads(rule: str) -> None:
    text = "\n".join(["某政发〔2025〕3号", f"说明:{rule}。", "2025年方案", "一、稳增长"])
    plan = parse_plan(text + "\n1.推进。(市发改委、市财政局)")
    assert plan.first_unit_leads and plan.tasks[0].co_units == ["市财政局"]


@pytest.mark.parametrize(
    ("phrase", "rule"),
    [
        ("请于每月20日前报送", ("month", 20, 0)),
        ("每季度第1个月的20日前报送上季度情况", ("quarter", 20, 1)),
        ("每季度末月25日前报送", ("quarter", 25, 0)),
        ("每月5日前报送上月情况", ("month", 5, 0)),
        ("每月底前将进展报送,次月10日前报送汇总", ("month", 10, 1)),
    ],
)
def test_reporting_rules_stated_in_the_notice(phrase: str, rule: tuple[str, int, int]) -> None:
    plan = parse_plan(_plan(phrase, "一、稳增长", "1.推进。(市发改委主办)"))
    assert plan.rule is not None
    assert (plan.rule.period_kind, plan.rule.due_day, plan.rule.due_month_offset) == rule


def test_deadline_and_leader_labels_beside_the_units() -> None:
    plan = parse_plan(
        _plan(
            "一、稳增长",
            "1.建成数据中心。(牵头单位:市大数据管理局;责任领导:张副市长;完成时限:2025年9月底前)",
            "2.推进改革。(市发改委主办;完成时限:长期坚持)",
        )
    )
    first, second = plan.tasks
    assert (first.lead_units, first.leader) == (["市大数据管理局"], "张副市长")
    assert (first.deadline, first.deadline_text) == (date(2025, 9, 30), "2025年9月底前")
    assert (second.deadline, second.deadline_text, second.deadline_understood) == (
        None,
        "长期坚持",
        False,
    )
    assert plan.warnings == [
        "line 6: task 2's deadline '长期坚持' is kept as written (the year's end counts)"
    ]


def test_deadlines_in_the_text_move_with_a_rehearsed_year() -> None:
    text = _plan("一、稳增长", "1.2025年9月底前建成,11月30日前验收。(市建委主办)")
    assert parse_plan(text).tasks[0].deadline == date(2025, 11, 30)
    assert parse_plan(text, year=2027).tasks[0].deadline == date(2027, 11, 30)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            ["1.一项。(市发改委主办)", "2.二项。(市发改委主办)", "2.重复。(市发改委主办)"],
            "line 7: task 2 appears twice (first on line 6)",
        ),
        (
            ["1.一项。(市发改委主办)", "2.二项。(市发改委主办)", "1.倒退。(市发改委主办)"],
            "line 7: task 1 appears twice (first on line 5)",
        ),
        (
            ["(一)一项。(市发改委)", "(三)跳号。(市发改委)"],
            "line 6: expected task 2, found task (三)",
        ),
        (
            [
                "(一)一项。(市发改委)",
                "(二)二项。(市发改委)",
                "(三)三项。(市发改委)",
                "(二)倒退。(市发改委)",
            ],
            "line 8: task (二) appears twice (first on line 6)",
        ),
    ],
)
def test_real_disorder_is_still_refused_with_its_line(lines: list[str], message: str) -> None:
    assert message in _problems(_plan("一、稳增长", *lines))


def test_a_number_going_backwards_inside_a_section() -> None:
    text = _plan(
        "一、稳增长", "1.一项。(市发改委主办)", "3.三项。(市发改委主办)", "2.二项。(市发改委主办)"
    )
    assert _problems(text) == [
        "line 6: expected task 2, found task 3",
        "line 7: task 2 goes backwards in section 1 (after task 3)",
    ]


def test_a_section_starting_neither_afresh_nor_running_on_is_refused() -> None:
    text = _plan(
        "一、稳增长",
        "1.一项。(市发改委主办)",
        "2.二项。(市发改委主办)",
        "二、惠民生",
        "5.五项。(市人社局主办)",
    )
    assert _problems(text) == ["line 8: expected task 3 (or 1 afresh), found task 5"]


@pytest.mark.parametrize(
    ("group", "lead", "co"),
    [
        ("市发改委(牵头)、市财政局、市商务局", ["市发改委"], ["市财政局", "市商务局"]),
        ("各区县(市)政府", ["各区县(市)政府"], []),
        ("市发改委\n市财政局", ["市发改委", "市财政局"], []),
    ],
)
def test_more_unit_group_variants(group: str, lead: list[str], co: list[str]) -> None:
    assert parse_units(group) == (lead, co)


def test_the_seed_text_numbered_paragraph_free_notice_still_reads() -> None:
    # Nothing in the seed's notice is numbered: its title still comes before 一、.
    from tests.factories.plans import SEED_TEXT

    plan = parse_plan(SEED_TEXT)
    assert plan.rule is None and not plan.first_unit_leads
    assert all(t.deadline is None for t in plan.tasks)
    assert re.fullmatch(r"2021年.*方案", plan.title)
