"""Everyday unit names (发改委, 江宁区) read through the directory, never guessed."""

from __future__ import annotations

import pytest

from tests.factories.plans import directory


@pytest.mark.parametrize(
    ("written", "unit"),
    [
        ("发改委", "市发改委"),
        ("江宁区", "江宁区政府"),
        ("江宁区人民政府", "江宁区政府"),
        ("南京市江宁区人民政府", "江宁区政府"),
        ("市场监管局", "市市场监管局"),
        ("财政局", "市财政局"),
        ("玄武", "玄武区政府"),
        ("江北新区", "江北新区管委会"),
        ("各区人民政府", "各区政府"),
        ("市发展改革委", "市发改委"),  # an alias, as before
    ],
)
def test_everyday_names_resolve_when_unambiguous(written: str, unit: str) -> None:
    assert directory().lookup(written).name == unit


def test_ambiguous_names_give_their_candidates() -> None:
    found = directory().lookup("江宁")
    assert found.name is None
    assert found.candidates == ("江宁区政府", "江宁开发区管委会", "江宁高新区管委会")
    assert directory().lookup("交通").candidates == ("市交通运输局", "市交通集团")


def test_unknown_names_stay_unknown() -> None:
    for written in ("市火星办", "某某中心", "区政府"):
        found = directory().lookup(written)
        assert (found.name, found.candidates) == (None, ())
        assert directory().resolve(written) == written
