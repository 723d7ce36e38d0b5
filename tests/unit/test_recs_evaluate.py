"""`recs-evaluate`'s parts without a process: reading a purchase CSV into integer arrays
(dates in several forms, errors that name the line), the hold-out of each member's last
basket, the metrics computed by hand, and rules against direct counting."""

from __future__ import annotations

import math
from datetime import date

import pytest

from domain.feeds.evaluate import LogError, Scores, evaluate, parse_day, read_log, top_rules


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2014-01-31", date(2014, 1, 31)),
        ("31-01-2014", date(2014, 1, 31)),
        ("31/01/2014", date(2014, 1, 31)),
        ("2014/01/31", date(2014, 1, 31)),
        ("2026-03-01T18:30:00+00:00", date(2026, 3, 2)),  # 02:30 in Shanghai
        ("2026-03-01 10:00:00", date(2026, 3, 1)),
        ("2014-02-30", None),
        ("yesterday", None),
    ],
)
def test_dates_are_read_in_the_usual_forms(text, day):
    assert parse_day(text) == (day.toordinal() if day else None)


def _write(tmp_path, text: str):
    path = tmp_path / "log.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_log_is_coded_into_integer_arrays(tmp_path):
    path = _write(
        tmp_path,
        "\ufeffcard,when,sku,price\n"
        "A,2024-01-01,milk,3\n"
        "B,2024-01-01,bread,4\n"
        "\n"
        '"A",02-01-2024,"bread",4\n',
    )
    log = read_log(path, "card", "when", "sku")
    assert log.member.tolist() == [0, 1, 0] and log.item.tolist() == [0, 1, 1]
    assert log.item_names == ["milk", "bread"] and log.members == 2
    assert log.day.tolist() == [date(2024, 1, 1).toordinal()] * 2 + [date(2024, 1, 2).toordinal()]
    assert str(log.member.dtype) == "int64" and str(log.item.dtype) == "int32"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("m,d\n1,2024-01-01\n", "no column 'i' (columns: m, d)"),
        ("m,d,i\n1,2024-01-01,a\n2,2024-13-01,b\n", "line 3: '2024-13-01' is not a date"),
        ("m,d,i\n1,2024-01-01,a\n2,2024-01-02\n", "line 3 has 2 fields, not 3"),
        ("m,d,i\n1,2024-01-01,\n", "line 2: empty member or item"),
    ],
)
def test_bad_files_name_the_line(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(LogError) as err:
        read_log(path, "m", "d", "i")
    assert str(err.value) == f"{path}: {message}"
    with pytest.raises(LogError, match="no such file"):
        read_log(tmp_path / "none.csv", "m", "d", "i")


def test_metrics_by_hand():
    sc = Scores()
    sc.add([1, 2, 3], {2, 9})  # one of two found at rank 2
    sc.add([4, 5, 6], {7})  # nothing found
    assert sc.hits == 1
    assert sc.recall == pytest.approx(0.5)
    assert sc.ndcg == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    assert sc.shown == {1, 2, 3, 4, 5, 6}


def test_each_members_last_basket_is_held_out(tmp_path):
    lines = ["m,d,i"]
    # member 1..6 buy a then b on their second visit; "x" is only ever bought last
    for m in range(1, 7):
        lines += [f"{m},2024-01-0{1 + m % 3},a", f"{m},2024-01-0{1 + m % 3},c", f"{m},2024-02-01,b"]
    lines += ["7,2024-02-02,a", "1,2024-02-01,x"]  # member 7: one basket, not tested
    log = read_log(_write(tmp_path, "\n".join(lines) + "\n"), "m", "d", "i")
    report = evaluate(log, k=2)
    assert report.test_members == 6 and report.baskets == 13 and report.items == 4
    pop = report.methods["popularity"]
    # trained on a (7 buyers) and c (6): b and x are only in held-out baskets
    assert pop["hit_rate"] == 0.0 and pop["coverage"] == pytest.approx(2 / 4)
    for figures in report.methods.values():
        assert 0 <= figures["hit_rate"] <= 1 and 0 <= figures["ndcg"] <= 1


def test_rules_of_a_log_match_direct_counting(tmp_path):
    baskets = {
        ("1", "2024-01-01"): {"milk", "bread"},
        ("1", "2024-01-05"): {"milk", "bread", "eggs"},
        ("2", "2024-01-01"): {"milk", "eggs"},
        ("3", "2024-01-02"): {"bread"},
    }
    text = "m,d,i\n" + "".join(
        f"{m},{d},{i}\n" for (m, d), items in baskets.items() for i in sorted(items)
    )
    log = read_log(_write(tmp_path, text), "m", "d", "i")
    rules = top_rules(log, 0.01, 0.01)
    names = log.item_names
    got = {(names[r.antecedent], names[r.consequent]): r for r in rules}
    n = len(baskets)
    for (a, c), r in got.items():
        both = sum(1 for b in baskets.values() if {a, c} <= b)
        with_a = sum(1 for b in baskets.values() if a in b)
        assert (r.baskets, r.support, r.confidence) == (both, both / n, both / with_a)
    assert set(got) == {(a, c) for b in baskets.values() for a in b for c in b if a != c}
    assert [r.lift for r in rules] == sorted((r.lift for r in rules), reverse=True)
