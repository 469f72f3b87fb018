"""The responses table as integer codes, for the metrics that count with ``numpy.bincount``.

:func:`code_responses` turns the canonical ``responses`` table (one row per territory,
wave, respondent and item) into one integer array per column (:class:`Coded`): the
territory × wave cell of each row, its item's position in the framework, its respondent,
and its answer (:class:`Scores`). ``assessment.py`` and ``trajectory.py`` compute their
statistics on these arrays.

The coding is where most of the time of scoring millions of answers would go, so it
uses the order in which the store returns the responses (sorted by territory, wave and
respondent, each respondent's questionnaire in the framework's order): columns that come
in long runs are hashed once per run, items that repeat with each questionnaire once per
period. Rows in any other order give the same codes, row by row.

Nothing here is meant for use outside ``collective_impact.metrics``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from collective_impact.errors import FrameworkError
from collective_impact.framework import Framework

__all__ = ["Coded", "Scores", "code_responses", "factorize"]


def factorize(values: pd.Series | np.ndarray, *, runs: bool = False, periodic: bool = False,
              sort: bool = False, recode=None) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` tuned for the responses table (codes in order of first appearance).

    Ids are factorized as a plain object array, which skips the string-array checks. With
    ``runs=True``, consecutive equal values are collapsed first and only the first value of
    each run is hashed: the store returns responses sorted by territory, wave and respondent,
    so these columns come in long runs. With ``periodic=True`` (and ``sort=False``), a value
    equal to the one a period earlier takes its code (:func:`periodic_factorize`): sorted that
    way, the items repeat with each respondent's questionnaire. With ``sort=True``, the codes
    are numbered in the sorted order of the distinct values instead (:func:`ranked`); with
    ``recode``, a function of the distinct values giving the code each should have, in those
    codes (the uniques are still returned in order of first appearance). The result is the
    same in any row order.
    """
    arr = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else np.asarray(values)
    if periodic and not sort:
        found = periodic_factorize(arr, recode=recode)
        if found is not None:
            return found
    heads = run_heads(arr) if runs else None
    if heads is not None:
        codes, uniques = ranked(*pd.factorize(arr[heads]), sort=sort, recode=recode)
        return spread(codes, heads, len(arr)), uniques
    if recode is not None:
        return ranked(*pd.factorize(arr), sort=sort, recode=recode)
    codes, uniques = pd.factorize(arr, sort=sort)
    return codes, np.asarray(uniques)


def run_heads(arr: np.ndarray) -> np.ndarray | None:
    """The first row of each run of equal consecutive values, or ``None`` when runs are too short to gain
    anything (more runs than a quarter of the rows)."""
    if len(arr) < 2:
        return None
    starts = np.empty(len(arr), dtype=bool)
    starts[0] = True
    np.not_equal(arr[1:], arr[:-1], out=starts[1:])
    heads = np.flatnonzero(starts)
    return heads if len(heads) < len(arr) // 4 else None


def spread(codes: np.ndarray, heads: np.ndarray, n: int) -> np.ndarray:
    """Each run's code repeated over its rows (cheaper than a cumulative sum and a gather)."""
    return np.repeat(codes, np.diff(heads, append=n))


def tw_codes(territory: pd.Series, wave: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's index in the sorted territories × sorted waves grid, the territories and the waves.

    When both columns come in runs (the store's order), the grid index is computed once
    per run of either and spread over the rows; otherwise row by row.
    """
    t_arr, w_arr = territory.to_numpy(dtype=object), wave.to_numpy(dtype="int64")
    t_heads, w_heads = run_heads(t_arr), run_heads(w_arr)
    heads = np.union1d(t_heads, w_heads) if t_heads is not None and w_heads is not None else None
    t_codes, territories = ranked(*pd.factorize(t_arr if heads is None else t_arr[heads]), sort=True)
    w_codes, waves = ranked(*pd.factorize(w_arr if heads is None else w_arr[heads]), sort=True)
    check_no_blanks("territory_id", t_codes)
    tw = t_codes * len(waves) + w_codes
    return (tw if heads is None else spread(tw, heads, len(t_arr))), territories, waves


def check_no_blanks(column: str, codes: np.ndarray) -> None:
    """Refuse the code -1 that factorizing gives a missing value (it would silently index the last id)."""
    if len(codes) and codes.min() < 0:
        raise ValueError(f"responses: the required column {column!r} has blanks; validate the data first")


def ranked(codes: np.ndarray, uniques, *, sort: bool, recode=None) -> tuple[np.ndarray, np.ndarray]:
    """``codes`` and ``uniques`` as they are, or (``sort=True``) renumbered in the sorted order of ``uniques``,
    or (``recode``) renumbered with the codes ``recode(uniques)`` gives each unique.

    ``pd.factorize`` hashes (fast) but numbers in order of appearance; sorting only the few
    distinct values afterwards, and renumbering only the codes of the runs' or periods' first
    values, gives sorted codes without sorting or renumbering millions of rows.
    """
    uniques = np.asarray(uniques)
    if recode is not None:
        rank = np.asarray(recode(uniques), dtype="int64")
    elif sort:
        order = np.argsort(uniques, kind="stable")
        rank = np.empty(len(order), dtype="int64")
        rank[order] = np.arange(len(order))
        uniques = uniques[order]
    else:
        return codes, uniques
    if len(codes) and codes.min() < 0:  # a missing value keeps the code -1
        return np.where(codes < 0, -1, rank[codes]), uniques
    return rank[codes], uniques


def periodic_factorize(arr: np.ndarray, *, recode=None) -> tuple[np.ndarray, np.ndarray] | None:
    """``pd.factorize(arr)`` for values that mostly repeat with a period; ``None`` when they do not.

    The period ``p`` is the distance to the first repeat of the first value. An element equal
    to the one ``p`` places before takes that element's code; only the others (the first
    period, and wherever the pattern breaks, e.g. a respondent who skipped an item) are
    hashed. Every value appears first at such an element, so the codes and the order of
    the uniques are those of ``pd.factorize``. When the pattern never breaks (every
    questionnaire answered in full), the first period's codes are simply repeated.
    """
    n = len(arr)
    hits = np.flatnonzero(arr[1:min(n, 4097)] == arr[0]) if n > 1 else np.zeros(0, dtype="int64")
    if not len(hits) or hits[0] + 1 > n // 4:
        return None
    period = int(hits[0]) + 1
    same = arr[period:] == arr[:-period]
    n_same = int(same.sum())
    if n_same < n // 2:
        return None
    if n_same == n - period:
        head_codes, uniques = ranked(*pd.factorize(arr[:period]), sort=False, recode=recode)
        # repeated as 16-bit integers when they fit (a quarter of the memory to write)
        small = len(head_codes) and head_codes.min() >= -1 and head_codes.max() < np.iinfo("int16").max
        return np.resize(head_codes.astype("int16") if small else head_codes, n), uniques
    # source[i]: the element whose code i takes (itself, or the source of the one a period before)
    source = np.arange(n, dtype="int64")
    source[period:][same] = -1
    rows = -(-n // period)
    grid = np.concatenate([source, np.full(rows * period - n, -1, dtype="int64")]).reshape(rows, period)
    np.maximum.accumulate(grid, axis=0, out=grid)
    source = grid.ravel()[:n]
    heads = np.flatnonzero(source == np.arange(n))
    head_codes, uniques = ranked(*pd.factorize(arr[heads]), sort=False, recode=recode)
    codes = np.empty(n, dtype="int64")
    codes[heads] = head_codes
    return codes[source], uniques


@dataclass(frozen=True)
class Scores:
    """The answers of the rows, in the form each computation wants them.

    ``valid`` is True where the row has an answer (not "ne sait pas"). An integer column
    (the canonical ``Int64``) gives ``whole``: its integers, 0 for "ne sait pas", with no
    float copy; the float scores (``values``, NaN for "ne sait pas") are then made only when
    first asked for. Any other column gives its float scores directly and no ``whole``.
    """

    valid: np.ndarray
    whole: np.ndarray | None = None
    given: np.ndarray | None = None

    @classmethod
    def of(cls, column: pd.Series | np.ndarray) -> Scores:
        """The scores of a ``score`` column (or of an array of floats with NaN for "ne sait pas")."""
        if isinstance(column, pd.Series) and pd.api.types.is_integer_dtype(column.dtype):
            return cls(valid=~column.isna().to_numpy(dtype=bool), whole=column.to_numpy("int64", na_value=0))
        given = (column.to_numpy(dtype="float64", na_value=np.nan) if isinstance(column, pd.Series)
                 else np.asarray(column, dtype="float64"))
        return cls(valid=~np.isnan(given), given=given)

    @functools.cached_property
    def values(self) -> np.ndarray:
        """The scores as float64, NaN for "ne sait pas"."""
        if self.given is not None:
            return self.given
        score = self.whole.astype("float64")
        score[~self.valid] = np.nan
        return score

    def zero_filled(self) -> np.ndarray:
        """The scores with 0 for "ne sait pas" (integers when the column holds them), for sums."""
        return self.whole if self.whole is not None else np.where(self.valid, self.given, 0.0)


@dataclass(frozen=True)
class Coded:
    """The responses as integer codes: one array per column, one entry per row."""

    territories: np.ndarray  # sorted distinct territory ids
    waves: np.ndarray  # sorted distinct waves (int64)
    tw: np.ndarray  # row → index of its (territory, wave) in the territories × waves grid
    item: np.ndarray  # row → position of its item in framework.items (int64, or int16 for a repeated questionnaire)
    respondent: np.ndarray  # row → respondent code (global)
    n_respondent_codes: int
    scores: Scores
    framework: Framework

    @property
    def n_tw(self) -> int:
        return len(self.territories) * len(self.waves)

    @property
    def n_items(self) -> int:
        return len(self.framework.items)

    @functools.cached_property
    def condition_of_item(self) -> np.ndarray:
        """Item position → position of its condition in the framework (made once per ``Coded``)."""
        ids = self.framework.condition_ids
        return np.array([ids.index(item.condition) for item in self.framework.items], dtype="int64")

    def tw_present(self) -> np.ndarray:
        """Indices of the (territory, wave) pairs that have at least one row."""
        return np.flatnonzero(np.bincount(self.tw, minlength=self.n_tw))

    def tw_frame(self, tw_index: np.ndarray) -> dict[str, object]:
        """``territory_id`` and ``wave`` columns for grid indices ``tw_index``."""
        n_waves = len(self.waves)
        return {
            "territory_id": pd.array(self.territories[tw_index // n_waves], dtype="str"),
            "wave": pd.array(self.waves[tw_index % n_waves], dtype="Int64"),
        }


def code_responses(responses: pd.DataFrame, framework: Framework) -> Coded:
    """Turn the responses into integer codes; raise if an item is not in the framework."""
    items = framework.items
    position = {item.id: i for i, item in enumerate(items)}

    def item_positions(uniques: np.ndarray) -> list[int]:
        unknown = sorted(str(u) for u in uniques if u not in position)
        if unknown:
            # validation refuses such answers, in words, before they reach a metric
            raise FrameworkError(f"item(s) not in framework {framework.id}: {', '.join(unknown)}")
        return [position[u] for u in uniques]

    # item codes are the items' positions in the framework
    item_codes, _ = factorize(responses["item_id"], periodic=True, recode=item_positions)
    tw, territories, waves = tw_codes(responses["territory_id"], responses["wave"])
    r_codes, r_uniques = factorize(responses["respondent_id"], runs=True)
    check_no_blanks("item_id", item_codes)
    check_no_blanks("respondent_id", r_codes)
    return Coded(
        territories=territories.astype(object),
        waves=waves.astype("int64"),
        tw=tw,
        item=item_codes,
        respondent=np.asarray(r_codes, dtype="int64"),
        n_respondent_codes=max(len(r_uniques), 1),
        scores=Scores.of(responses["score"]),
        framework=framework,
    )
