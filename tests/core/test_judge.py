"""Judging what a run reported: hostile lines are dropped, values compare like JSON."""

from __future__ import annotations

import json

from duckfix import judge


def test_records_keep_objects_and_drop_what_does_not_parse() -> None:
    report = b'{"a": 1}\n[1, 2]\nnot json\n{"b": \n' + b"[" * 100_000 + b"\n" + b'{"c": 3}'
    assert judge.records(report) == [{"a": 1}, {"c": 3}]


def test_records_with_a_secret_keep_only_lines_that_carry_it() -> None:
    report = b'{"x": 1, "secret": "s3"}\n{"x": 2}\n{"x": 3, "secret": "guess"}\n'
    assert judge.records(report, "s3") == [{"x": 1}]


def test_big_integers_are_read_up_to_a_bound() -> None:
    # 7,600 digits: over Python's own limit of 4,300, under ours.
    text = json.dumps({"actual": 0}).replace("0", "9" * 7600).encode()
    (record,) = judge.records(text)
    assert record["actual"] % 1000 == 999 and record["actual"].bit_length() > 25_000
    assert judge.records(b'{"actual": ' + b"1" * 200_000 + b"}") == []
    assert judge.short(record["actual"]).startswith("<an integer of")


def test_same_compares_like_the_task_format_says() -> None:
    assert judge.same(0.1 + 0.2, 0.3)
    assert judge.same(float("nan"), float("nan"))
    assert judge.same([1, {"a": [2.0]}], [1, {"a": [2]}])
    assert not judge.same([1, 2], [1, 2, 3])
    assert not judge.same("1", 1)
    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    assert not judge.same(deep, deep)  # too deep to compare: not a pass
