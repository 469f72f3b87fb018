"""The limits on what reading one file may cost: file size, zip members, rows (see the package's notes)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from collective_impact.errors import Problem
from collective_impact.i18n import t
from collective_impact.i18n.format import format_number

#: Largest workbook or CSV file read (bytes). The demo workbook of four territories is 0.1 MB.
MAX_FILE_BYTES = 50 * 2**20
#: Largest total size of a workbook's zip members once decompressed (bytes).
MAX_UNPACKED_BYTES = 500 * 2**20
#: Largest ratio decompressed / compressed size of a workbook (the demo's is about 9)...
MAX_RATIO = 200.0
#: ...checked only beyond this decompressed size (bytes): a small file may compress very well.
RATIO_FLOOR = 20 * 2**20
#: Most rows of one sheet or CSV file, header and blank rows included.
MAX_ROWS = 200_000


@dataclass(frozen=True)
class ReadLimits:
    """The limits on what reading one file may cost (see the package's notes).

    Attributes
    ----------
    file_bytes, unpacked_bytes : int
        Largest file size, and largest total decompressed size of a workbook's members.
    ratio : float
        Largest decompressed / compressed ratio, checked beyond ``ratio_floor`` bytes.
    ratio_floor : int
        Decompressed size below which the ratio is not checked.
    rows : int
        Most rows of one sheet or CSV file.
    """

    file_bytes: int = MAX_FILE_BYTES
    unpacked_bytes: int = MAX_UNPACKED_BYTES
    ratio: float = MAX_RATIO
    ratio_floor: int = RATIO_FLOOR
    rows: int = MAX_ROWS


DEFAULT_LIMITS = ReadLimits()


def _size_text(n: float, lang: str) -> str:
    if n < 2**20:
        return t("io.kilobytes", lang, n=format_number(n / 2**10, lang, decimals=0))
    return t("io.megabytes", lang, n=format_number(n / 2**20, lang, decimals=1))


def _file_too_big(path: Path, display: str, lang: str, limits: ReadLimits) -> Problem | None:
    size = path.stat().st_size
    if size <= limits.file_bytes:
        return None
    return Problem(display, "", None, None, None, t("io.too_big", lang, size=_size_text(size, lang),
                                                    limit=_size_text(limits.file_bytes, lang)))


def _zip_problem(path: Path, display: str, lang: str, limits: ReadLimits) -> Problem | None:
    """Check a workbook's size and its zip directory before any member is decompressed."""
    problem = _file_too_big(path, display, lang, limits)
    if problem is not None:
        return problem
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return Problem(display, "", None, None, None, t("io.unreadable", lang))
    size = max(path.stat().st_size, 1)
    if unpacked > limits.unpacked_bytes or (unpacked > limits.ratio_floor and unpacked / size > limits.ratio):
        return Problem(display, "", None, None, None,
                       t("io.too_big_unpacked", lang, size=_size_text(size, lang), unpacked=_size_text(unpacked, lang),
                         limit=_size_text(limits.unpacked_bytes, lang),
                         ratio=format_number(limits.ratio, lang, decimals=0)))
    return None


class _TooManyRowsError(Exception):
    """Raised by :func:`_limited` after ``limits.rows`` rows."""


def _limited(rows: Iterable[list], limit: int) -> Iterator[list]:
    for number, row in enumerate(rows, start=1):
        if number > limit:
            raise _TooManyRowsError
        yield row
