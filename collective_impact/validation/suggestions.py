"""Near values for a message: the known id or code a mistyped value was probably meant to be."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from collective_impact.schema import (
    ID_PATTERN,
    MAX_ID,
    Column,
)

_SEPARATORS = re.compile(r"[\s_.\-/]+")
_LEADING_ZEROS = re.compile(r"(?<!\d)0+(?=\d)")
_DIGITS = re.compile(r"\d+")


def _normal_form(text: object) -> str:
    """What is left of an id or a label once case, accents, separators and leading zeros are set aside.

    ``"P 011"``, ``"p11"`` and ``"P-11"`` all give ``"p11"``; ``"Comité de pilotage"``
    gives ``"comitedepilotage"``.
    """
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _SEPARATORS.sub("", _LEADING_ZEROS.sub("", plain))


def _edit_distance(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of two neighbours needed to turn ``a`` into ``b``.

    The optimal string alignment distance (Damerau–Levenshtein without editing a
    substring twice): a typing slip, ``agnde`` for ``agenda``, counts two.
    """
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _allowed_distance(known: str) -> int:
    """Edits tolerated toward ``known`` (normal form): 1 up to 6 characters, 2 up to 12, then 3.

    Never as many as its letters: ``Q1`` is not a slip for ``P1`` (one letter, all changed).
    """
    letters = sum(not ch.isdigit() for ch in known)
    base = 1 if len(known) <= 6 else 2 if len(known) <= 12 else 3
    return min(base, letters - 1)


def suggest(value: object, candidates: Iterable[str] | Mapping[str, Iterable[str]]) -> str | None:
    """A known value close to ``value``, or ``None`` when none is close or several are as close.

    The rule (``docs/validation.md``): both are brought to a normal form (case, accents,
    spaces and ``_ - . /`` set aside, leading zeros of numbers dropped: ``P011`` → ``p11``);
    a single candidate with the same normal form is suggested. Otherwise the numbers in
    them must be the same (``P12`` is another partner than ``P11``, ``agenda_10`` another
    item than ``agenda_1``), and the edit distance of the normal forms (insertions,
    deletions, substitutions, swaps of neighbours) at most 1 for a normal form of up to
    6 characters, 2 up to 12, 3 beyond, and less than its number of letters; the closest
    candidate is suggested when no other is as close.

    Parameters
    ----------
    value : object
        The value refused (an id, a code as typed).
    candidates : iterable of str, or mapping of str to iterable of str
        The known values; a mapping gives, for each value to suggest, the forms it may be
        typed in (a code: its id and its French and English labels).

    Returns
    -------
    str or None
    """
    forms = candidates if isinstance(candidates, Mapping) else {c: (c,) for c in candidates}
    typed = _normal_form(value)
    if not typed:
        return None
    numbers = [int(n) for n in _DIGITS.findall(typed)]
    same: set[str] = set()
    near: dict[str, int] = {}
    for candidate, spellings in forms.items():
        for spelling in spellings:
            known = _normal_form(spelling)
            if known == typed:
                same.add(candidate)
            elif [int(n) for n in _DIGITS.findall(known)] == numbers:
                distance = _edit_distance(typed, known)
                if distance <= _allowed_distance(known):
                    near[candidate] = min(distance, near.get(candidate, distance))
    if same:
        return next(iter(same)) if len(same) == 1 else None
    if not near:
        return None
    best = min(near.values())
    closest = [c for c, d in near.items() if d == best]
    return closest[0] if len(closest) == 1 else None


def _repaired_id(value: object) -> str | None:
    """An id refused for its spaces or accents, without them (``"P 02"`` → ``"P02"``), if that makes an id."""
    if not isinstance(value, str):
        return None
    decomposed = unicodedata.normalize("NFKD", value)
    repaired = re.sub(r"\s+", "", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))
    return repaired if repaired != value and ID_PATTERN.fullmatch(repaired) and len(repaired) <= MAX_ID else None


def _code_forms(column: Column, lang: str) -> dict[str, tuple[str, ...]]:
    """The codes of a coded column as :func:`suggest` takes them: the label in ``lang``, typed as id or label."""
    return {code.label(lang): (code.id, code.label.fr, code.label.en) for code in column.allowed()}
