"""Step ``glossaire`` (last): the report's technical terms in plain words, from the catalogue
(``essentials.glossary.<term>.term`` / ``.text``), in alphabetical order of the reader's language.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

import pandas as pd

from collective_impact.i18n import t
from collective_impact.i18n.format import format_number
from collective_impact.metrics.assessment import RWG_THRESHOLD
from collective_impact.report.blocks import Block, table_block
from collective_impact.report.steps.condition import Fact
from collective_impact.report.text import band_values

if TYPE_CHECKING:  # pragma: no cover
    from collective_impact.report.bundle import TerritoryData

#: The terms of the glossary (message keys ``essentials.glossary.<term>.*``).
TERMS: tuple[str, ...] = ("rwg", "bootstrap", "interval", "net", "band", "dont_know", "score", "wave", "response_rate",
                          "toc", "activity", "density", "centralization", "progress", "backbone", "vigilance")


def _sort_key(text: str) -> str:
    """Alphabetical order that ignores accents, case and opening quotes (« Ne sait pas » under N)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return plain.strip(" \"'").casefold()


def glossary(data: TerritoryData) -> pd.DataFrame:
    """The glossary as a two-column table (term, meaning) in ``data.lang``, sorted alphabetically."""
    lang = data.lang
    values = band_values(data.framework, lang) | {"threshold": format_number(RWG_THRESHOLD, lang)}
    rows = sorted(((t(f"essentials.glossary.{term}.term", lang), t(f"essentials.glossary.{term}.text", lang, **values))
                   for term in TERMS), key=lambda row: _sort_key(row[0]))
    term, meaning = t("essentials.glossary.columns", lang).split(" | ")
    return pd.DataFrame(rows, columns=[term, meaning])


def build(data: TerritoryData) -> tuple[list[Block], list[Fact]]:
    """The glossary table (no conclusions)."""
    return [table_block("glossary", glossary(data), data.lang)], []
