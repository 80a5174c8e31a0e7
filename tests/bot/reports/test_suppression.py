"""The statistical secret: a cell of fewer than 5 artisans reads "< 5", and no total, with the cells shown, gives it
back, in a table, in a table with its margins, or down a hierarchy (department, EPCIs, communes). Checked against
a reader who tries every value the shown figures allow."""

from __future__ import annotations

import itertools
import random
from collections.abc import Hashable

import pytest

from bot.reports.suppression import THRESHOLD, Cell, Sum, format_count, protect

def reader(cells: dict[Hashable, Cell], leaves: list[Hashable], sums: list[Sum]) -> dict[Hashable, set[int]]:
    """Every value each hidden "< 5" leaf or total can take, for a reader who knows the sums, the shown cells,
    that a "< 5" cell holds 1 to 4 and a "masqué" one 5 or more (or 0, hidden when nothing else was left).
    `sums` go bottom-up (parts before totals). Only the leaves are tried, a "masqué" one up to a little more
    than the largest leaf there is: fewer tries than a real reader's, so the test is the stricter for it."""
    cap = max(cells[key].artisans for key in leaves) + THRESHOLD

    def allowed(cell: Cell) -> list[int]:
        if cell.value is not None:
            return [cell.value]
        return [0, *range(THRESHOLD, cap + 1)] if cell.secondary else list(range(1, THRESHOLD))

    def possible(cell: Cell, value: int) -> bool:
        if cell.value is not None:
            return value == cell.value
        return value == 0 or value >= THRESHOLD if cell.secondary else 0 < value < THRESHOLD

    hidden = [key for key in leaves if cells[key].value is None]
    found: dict[Hashable, set[int]] = {key: set() for key, cell in cells.items() if cell.suppressed}
    for guess in itertools.product(*(allowed(cells[key]) for key in hidden)):
        values = {key: cells[key].value for key in leaves}
        values.update(zip(hidden, guess))
        for s in sums:
            values[s.total] = sum(values[p] for p in s.parts)
            if not possible(cells[s.total], values[s.total]):
                break
        else:
            for key in found:
                found[key].add(values[key])
    return found


def assert_secret(cells: dict[Hashable, Cell], leaves: list[Hashable], sums: list[Sum]) -> None:
    for key, values in reader(cells, leaves, sums).items():
        if not cells[key].secondary:
            assert len(values) >= 2, f"{key} given back: {values}"


def test_a_cell_under_five_artisans_reads_less_than_five() -> None:
    cells = protect({"a": (3, 3), "b": (0, 0), "c": (5, 5), "d": (1250, 7)}, [])
    assert [cells[k].text for k in "abcd"] == ["< 5", "0", "5", "1\u202f250"]
    assert cells["a"] == Cell(None, 3)
    # Masks: 300 masks of one artisan are hidden too.
    assert protect({"masks": (300, 1)}, [])["masks"].text == "< 5"
    assert format_count(1234567) == "1\u202f234\u202f567"


def test_a_total_and_its_parts_never_give_back_a_hidden_part() -> None:
    counts = {"a": (3, 3), "b": (10, 10), "c": (7, 7), "total": (20, 20)}
    cells = protect(counts, [Sum("total", ["a", "b", "c"])], counts_artisans=True)
    assert cells["a"].text == "< 5"
    # The smallest other part goes with it, and the total stays.
    assert cells["c"] == Cell(None, 7, secondary=True) and cells["c"].text == "masqué"
    assert cells["b"].value == 10 and cells["total"].value == 20


def test_two_small_parts_are_not_given_back_by_their_bounds() -> None:
    """1 + 1 + 70 = 72: the two "< 5" add up to 2, so each is 1, unless the 70 is hidden too."""
    counts = {"a": (1, 1), "b": (1, 1), "c": (70, 70), "total": (72, 72)}
    sums = [Sum("total", ["a", "b", "c"])]
    cells = protect(counts, sums, counts_artisans=True)
    assert cells["c"].secondary and cells["total"].value == 72
    assert_secret(cells, ["a", "b", "c"], sums)


def test_a_small_total_hides_what_would_give_it_back() -> None:
    counts = {"a": (2, 2), "b": (0, 0), "total": (2, 2)}
    cells = protect(counts, [Sum("total", ["a", "b"])], counts_artisans=True)
    assert (cells["a"].text, cells["b"].text, cells["total"].text) == ("< 5", "0", "< 5")


def test_cells_hidden_elsewhere_stay_hidden() -> None:
    """The 9 is hidden in another table of the same figures: here too, and the 3 needs no other."""
    counts = {"a": (3, 3), "b": (9, 9), "c": (7, 7), "total": (19, 19)}
    sums = [Sum("total", ["a", "b", "c"])]
    cells = protect(counts, sums, counts_artisans=True, hidden={"b": Cell(None, 9, secondary=True)})
    assert [cells[k].text for k in ("a", "b", "c", "total")] == ["< 5", "masqué", "7", "19"]
    assert_secret(cells, ["a", "b", "c"], sums)


def test_a_sum_over_unknown_cells_is_a_mistake() -> None:
    with pytest.raises(KeyError):
        protect({"a": (1, 1)}, [Sum("total", ["a"])])


def grid(values: list[list[int]]) -> tuple[dict[Hashable, tuple[int, int]], list[Hashable], list[Sum]]:
    """A table with its row totals, column totals and grand total, as `protect` takes it."""
    rows, columns = len(values), len(values[0])
    counts = {(r, c): (values[r][c], values[r][c]) for r in range(rows) for c in range(columns)}
    leaves = list(counts)
    sums = []
    for r in range(rows):
        counts[(r, "total")] = (sum(values[r]),) * 2
        sums.append(Sum((r, "total"), [(r, c) for c in range(columns)]))
    for c in range(columns):
        counts[("total", c)] = (sum(v[c] for v in values),) * 2
        sums.append(Sum(("total", c), [(r, c) for r in range(rows)]))
    counts[("total", "total")] = (sum(map(sum, values)),) * 2
    # The grand total is the rows' and the columns' (the reader adds up both).
    sums.append(Sum(("total", "total"), [(r, "total") for r in range(rows)]))
    sums.append(Sum(("total", "total"), [("total", c) for c in range(columns)]))
    return counts, leaves, sums


def test_a_table_with_its_margins() -> None:
    counts, leaves, sums = grid([[2, 9, 12], [6, 0, 8]])
    cells = protect(counts, sums, counts_artisans=True)
    assert cells[(0, 0)].text == "< 5"
    # Its row and its column each hide another cell, and what those give away is hidden again.
    assert sum(cells[(0, c)].suppressed for c in range(3)) >= 2
    assert sum(cells[(r, 0)].suppressed for r in range(2)) >= 2
    assert cells[("total", "total")].value == 37
    assert_secret(cells, leaves, sums)


@pytest.mark.parametrize("seed", range(60))
def test_random_tables_keep_the_secret(seed: int) -> None:
    rng = random.Random(seed)
    values = [[rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8]) for _ in range(3)] for _ in range(2)]
    counts, leaves, sums = grid(values)
    cells = protect(counts, sums, counts_artisans=True)
    for key, (value, artisans) in counts.items():
        if 0 < artisans < THRESHOLD:
            assert cells[key].text == "< 5"
        elif not cells[key].suppressed:
            assert cells[key].value == value
    assert_secret(cells, leaves, sums)


def hierarchy(communes: dict[str, dict[str, int]]) -> tuple[dict[Hashable, tuple[int, int]], list[Hashable], list[Sum]]:
    """Communes within EPCIs within the department: {epci: {commune: count}}."""
    counts: dict[Hashable, tuple[int, int]] = {}
    sums = []
    for epci, found in communes.items():
        for commune, n in found.items():
            counts[commune] = (n, n)
        counts[epci] = (sum(found.values()),) * 2
        sums.append(Sum(epci, list(found)))
    counts["department"] = (sum(counts[e][0] for e in communes),) * 2
    sums.append(Sum("department", list(communes)))
    leaves = [c for found in communes.values() for c in found]
    return counts, leaves, sums


def test_across_the_hierarchy_an_epci_is_not_the_department_minus_the_others() -> None:
    """The EPCI of two communes of 2 artisans counts 4: hidden, and so the department or the other EPCI must
    not give it back."""
    counts, leaves, sums = hierarchy({"e1": {"c1": 2, "c2": 2}, "e2": {"c3": 9, "c4": 11}})
    cells = protect(counts, sums, counts_artisans=True)
    assert cells["e1"].text == "< 5"
    assert cells["e2"].suppressed or cells["department"].suppressed
    assert_secret(cells, leaves, sums)


def test_across_the_hierarchy_a_commune_is_not_its_epci_minus_the_others() -> None:
    counts, leaves, sums = hierarchy({"e1": {"c1": 3, "c2": 10, "c3": 12}, "e2": {"c4": 7, "c5": 6}})
    cells = protect(counts, sums, counts_artisans=True)
    assert cells["c1"].text == "< 5" and cells["c2"].text == "masqué"
    assert cells["e1"].value == 25 and cells["department"].value == 38
    assert_secret(cells, leaves, sums)


@pytest.mark.parametrize("seed", range(40))
def test_random_hierarchies_keep_the_secret(seed: int) -> None:
    rng = random.Random(seed)
    shape = {f"e{e}": {f"c{e}{c}": rng.choice([0, 1, 2, 3, 5, 7, 9]) for c in range(rng.randrange(1, 4))}
             for e in range(3)}
    counts, leaves, sums = hierarchy(shape)
    cells = protect(counts, sums, counts_artisans=True)
    assert_secret(cells, leaves, sums)
