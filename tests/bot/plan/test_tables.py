"""Plans as tables (任务分解表) in Word and Excel files."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.plan.documents import parse_source
from bot.plan.model import ParsedPlan, PlanParseError
from bot.plan.sources import read_plan_bytes
from tests.factories.files import HEADER, NOTICE, docx_bytes, xlsx_bytes


def _xlsx(*rows: list[object] | tuple[object, ...], year: int | None = None) -> ParsedPlan:
    return parse_source(read_plan_bytes(xlsx_bytes(("任务分解表", rows)), "plan.xlsx"), year=year)


def _problems(data: bytes, name: str) -> list[str]:
    with pytest.raises(PlanParseError) as info:
        parse_source(read_plan_bytes(data, name))
    return [str(p) for p in info.value.problems]


def test_an_excel_task_table_with_titles_sections_dates_and_leaders() -> None:
    plan = _xlsx(
        ["2025年市政府工作报告重点任务分解表"],
        ["填报单位:市政府督查室", None, None, None, None, "2025年2月"],
        HEADER,
        ["一、稳增长"],
        [
            1,
            "地区生产总值增长5.5%。",
            "张三",
            "市发改委",
            "市统计局、市财政局",
            datetime(2025, 6, 30),
        ],
        [2, "新增市场主体10万户。", "李四\n王五", "市市场监管局", "各区政府;市商务局", "三季度末"],
        [None, None, None, None, "市税务局", None],  # 序号 merged from above: more units
        ["二、惠民生"],
        [3, "城镇新增就业30万人。", None, "市人社局", "市财政局，市教育局", "长期坚持"],
        [4, "新建养老床位1000张。", "赵六", "市民政局", None, "2025-11-30"],
        ["注:请各单位于每月20日前报送进展。"],
    )
    assert plan.document == plan.title == "2025年市政府工作报告重点任务分解表"
    assert plan.year == 2025
    assert [(s.number, s.title) for s in plan.sections] == [(1, "稳增长"), (2, "惠民生")]
    rows = [(t.number, t.lead_units, t.co_units, t.leader, t.deadline, t.line) for t in plan.tasks]
    assert rows == [
        (1, ["市发改委"], ["市统计局", "市财政局"], "张三", date(2025, 6, 30), 5),
        (
            2,
            ["市市场监管局"],
            ["各区政府", "市商务局", "市税务局"],
            "李四、王五",
            date(2025, 9, 30),
            6,
        ),
        (3, ["市人社局"], ["市财政局", "市教育局"], "", None, 9),
        (4, ["市民政局"], [], "赵六", date(2025, 11, 30), 10),
    ]
    assert plan.tasks[0].targets[0].phrase == "地区生产总值增长5.5%"
    assert plan.rule is not None and (plan.rule.period_kind, plan.rule.due_day) == ("month", 20)
    assert plan.warnings == [
        "no document number found: the plan is known by its title "
        "'2025年市政府工作报告重点任务分解表'",
        "row 9: task 3's deadline '长期坚持' is kept as written (the year's end counts)",
    ]


def test_a_word_notice_with_its_table_where_the_first_listed_unit_leads() -> None:
    table = [
        ("序号", "重点任务", "责任单位", "完成时间"),
        ("一、稳增长",),
        ("1", "推进重大项目建设", "市发改委、市建委、各区政府", "年底前"),
        ("2", "扩大有效投资", "市发改委", "全年"),
        ("二、惠民生",),
        ("3", "办好民生实事", "市民政局\n市财政局", "持续推进"),
    ]
    source = read_plan_bytes(docx_bytes(NOTICE, [table], merge_rows=False), "通知.docx")
    plan = parse_source(source)
    assert (plan.document, plan.year) == ("某政发〔2025〕8号", 2025)
    assert plan.title == "2025年政府工作报告重点任务分解表"
    # The notice's own numbered paragraphs are not sections; its second one sets the rule.
    assert plan.first_unit_leads
    assert [s.title for s in plan.sections] == ["稳增长", "惠民生"]
    assert [(t.lead_units, t.co_units) for t in plan.tasks] == [
        (["市发改委"], ["市建委", "各区政府"]),
        (["市发改委"], []),
        (["市民政局"], ["市财政局"]),
    ]
    # 年底前, 全年 and 持续推进 all mean the year's end.
    assert all(t.deadline is None and t.deadline_understood for t in plan.tasks)
    assert plan.rule is not None and plan.rule.due_day == 20


def test_responsible_units_alone_lead_without_the_rule() -> None:
    plan = _xlsx(
        ["某政发〔2025〕9号"],
        ("序号", "主要任务", "责任单位"),
        (1, "推进改革", "市发改委、市财政局"),
    )
    task = plan.tasks[0]
    assert (task.lead_units, task.co_units) == (["市发改委", "市财政局"], [])
    # No title and no section rows: the sheet names both.
    assert plan.title == "任务分解表"
    assert [s.title for s in plan.sections] == ["任务分解表"]


def test_a_two_row_header_splitting_the_responsible_units() -> None:
    plan = _xlsx(
        ["2025年民生实事项目清单"],
        ("序号", "目标任务", "责任单位", None, "时间节点"),
        (None, None, "牵头单位", "配合单位", None),
        (1, "新建口袋公园20个", "市绿化园林局", "各区政府", "10月底前"),
    )
    task = plan.tasks[0]
    assert (task.lead_units, task.co_units, task.deadline) == (
        ["市绿化园林局"],
        ["各区政府"],
        date(2025, 10, 31),
    )


def test_numbering_restarting_per_section_and_section_numbers_beside_titles() -> None:
    plan = _xlsx(
        ["某政发〔2025〕9号"],
        ("序号", "工作任务", "牵头单位", "配合单位"),
        ("一", "稳增长", None, None),
        ("(一)", "项目建设", "市发改委", None),
        ("(二)", "招商引资", "市投促局", "市商务局"),
        ("二", "惠民生", None, None),
        ("(一)", "稳定就业", "市人社局", None),
    )
    assert [s.title for s in plan.sections] == ["稳增长", "惠民生"]
    assert [(t.number, t.label) for t in plan.tasks] == [(1, "(一)"), (2, "(二)"), (3, "(一)")]


def test_word_tables_one_per_section_after_their_headings() -> None:
    header = ("序号", "工作任务", "牵头单位")
    data = docx_bytes(
        ["某政发〔2025〕9号", "2025年重点工作方案", "一、稳增长"],
        [[header, ("1", "项目建设", "市发改委")]],
    )
    # python-docx appends tables at the end: build the second heading and table by hand.
    import io

    import docx

    document = docx.Document(io.BytesIO(data))
    document.add_paragraph("二、惠民生")
    table = document.add_table(rows=2, cols=3)
    for c, value in enumerate(header):
        table.cell(0, c).text = value
    for c, value in enumerate(("2", "稳定就业", "市人社局")):
        table.cell(1, c).text = value
    out = io.BytesIO()
    document.save(out)
    plan = parse_source(read_plan_bytes(out.getvalue(), "plan.docx"))
    assert [(s.title, [t.number for t in s.tasks]) for s in plan.sections] == [
        ("稳增长", [1]),
        ("惠民生", [2]),
    ]


def test_disorder_and_missing_units_are_refused_by_row() -> None:
    data = xlsx_bytes(
        (
            "表",
            [
                ["某政发〔2025〕9号"],
                HEADER,
                ["一、稳增长"],
                [1, "一项", None, "市发改委", None, None],
                [2, "二项", None, None, None, None],
                [2, "重复", None, "市财政局", None, None],
                [4, "跳号", None, "市财政局", None, None],
            ],
        )
    )
    assert _problems(data, "plan.xlsx") == [
        "row 5: task 2. has no lead unit",
        "row 6: task 2 appears twice (first on row 5)",
        "row 7: expected task 3, found task 4",
    ]


def test_a_task_row_without_a_number_before_any_task() -> None:
    data = xlsx_bytes(
        ("表", [["某政发〔2025〕9号"], HEADER, [None, "无号任务", None, "市发改委"]])
    )
    assert _problems(data, "plan.xlsx") == ["row 3: a task without a number in 序号"]


def test_several_sheets_name_the_sheet_in_problems() -> None:
    first = ("稳增长", [["某政发〔2025〕9号"], HEADER, [1, "一项", None, "市发改委"]])
    second = ("惠民生", [HEADER, [1, "一项", None, None]])
    assert _problems(xlsx_bytes(first, second), "plan.xlsx") == [
        "sheet 惠民生 row 2: task 1. has no lead unit"
    ]


def test_a_workbook_without_a_task_table() -> None:
    data = xlsx_bytes(("表", [["名单"], ["张三", "李四"]]))
    assert _problems(data, "plan.xlsx") == [
        "no sheet has a header row naming the tasks and their units "
        "(序号, 任务, 牵头单位 or 责任单位 …)"
    ]


def test_a_rehearsed_year_moves_table_dates_too() -> None:
    plan = _xlsx(
        ["某政发〔2025〕9号"], HEADER, [1, "一项", None, "市发改委", None, "2025-06-30"], year=2026
    )
    assert plan.year == 2026 and plan.tasks[0].deadline == date(2026, 6, 30)


def test_a_control_character_in_a_cell_is_refused_with_its_row() -> None:
    from bot.plan.documents import parse_source
    from bot.plan.model import PlanParseError
    from bot.plan.sources import PlanSource, Table

    rows: list[list[object]] = [
        ["序号", "任务", "牵头单位"],
        [1, "建设\x00中心", "市发改委\n市财政局"],
    ]
    source = PlanSource(name="plan.xlsx", kind="xlsx", tables=[Table("sheet 任务表", rows)])  # type: ignore[arg-type]
    with pytest.raises(PlanParseError) as caught:
        parse_source(source)
    assert [str(p) for p in caught.value.problems] == [
        "sheet 任务表 row 2: control character U+0000 (a damaged file?)"
    ]
