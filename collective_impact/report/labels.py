"""The names of the codes that metrics return, as reports, figures and apps show them.

Metrics return codes (an indicator status ``on_track``, a coverage gap kind
``outcome_without_activity``, a calendar quarter); these functions give their French or
English names from the catalogue (``i18n/messages/report_measures.yaml``).
"""

from __future__ import annotations

import pandas as pd

from collective_impact.i18n import t
from collective_impact.metrics.activities import GAP_KINDS
from collective_impact.metrics.indicators import STATUSES

__all__ = ["gap_kind_labels", "quarter_label", "status_labels"]


def status_labels(lang: str = "fr") -> dict[str, str]:
    """The name of each indicator status, in :data:`~collective_impact.metrics.indicators.STATUSES` order."""
    return {status: t(f"indicators.status.{status}", lang) for status in STATUSES}


def gap_kind_labels(lang: str = "fr") -> dict[str, str]:
    """The name of each coverage gap kind, in :data:`~collective_impact.metrics.activities.GAP_KINDS` order."""
    return {kind: t(f"activities.kind.{kind}", lang) for kind in GAP_KINDS}


def quarter_label(quarter: pd.Period, lang: str = "fr") -> str:
    """A calendar quarter as a reader writes it: ``2026T1`` in French, ``2026Q1`` in English."""
    return t("communication.quarter", lang, year=quarter.year, quarter=quarter.quarter)
