"""The ``scores`` command: condition scores per territory and wave, from the store.

``collective-impact scores [--store PATH] [--territory ID] [--format table|csv|json] [--lang fr|en]``

The printed columns are a **contract** (scripts read them): ``territory_id, wave,
condition, mean, n_respondents, band, rwg``. ``band`` holds the band id (``force``,
``a_consolider``, ``vigilance``), empty when nobody answered the condition.
"""

from __future__ import annotations

import argparse
import json
import math

import pandas as pd

from collective_impact.i18n import t
from collective_impact.metrics.assessment import condition_scores
from collective_impact.paths import resolve_store

SCORE_COLUMNS = ("territory_id", "wave", "condition", "mean", "n_respondents", "band", "rwg")
FORMATS = ("table", "csv", "json")


def scores_frame(responses: pd.DataFrame) -> pd.DataFrame:
    """The rows and columns the ``scores`` command prints, from the canonical ``responses``."""
    return condition_scores(responses)[list(SCORE_COLUMNS)]


def format_table(frame: pd.DataFrame) -> str:
    """Aligned text for a person: means and r_wg with 2 decimals, blanks for missing values."""
    def fixed(value: float) -> str:
        return "" if pd.isna(value) else f"{value:.2f}"

    shown = pd.DataFrame({
        "territory_id": frame["territory_id"].astype(str),
        "wave": frame["wave"].astype(str),
        "condition": frame["condition"].astype(str),
        "mean": frame["mean"].map(fixed),
        "n_respondents": frame["n_respondents"].astype(str),
        "band": frame["band"].fillna("").astype(str),
        "rwg": frame["rwg"].map(fixed),
    }, columns=list(SCORE_COLUMNS))
    widths = {c: max(len(c), *(len(v) for v in shown[c])) if len(shown) else len(c) for c in SCORE_COLUMNS}
    # Numbers align right, words left, as in a spreadsheet.
    right = {"wave", "mean", "n_respondents", "rwg"}

    def line(values: dict[str, str]) -> str:
        cells = [values[c].rjust(widths[c]) if c in right else values[c].ljust(widths[c]) for c in SCORE_COLUMNS]
        return "  ".join(cells).rstrip()

    lines = [line({c: c for c in SCORE_COLUMNS})]
    lines += [line(row) for row in shown.to_dict("records")]
    return "\n".join(lines)


def format_csv(frame: pd.DataFrame) -> str:
    """Comma-separated values with a header; floats at full precision, blanks for missing."""
    return frame.to_csv(index=False, lineterminator="\n")


def format_json(frame: pd.DataFrame) -> str:
    """A JSON list of records; missing values are ``null``."""
    def plain(value: object) -> object:
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return None
        if hasattr(value, "item"):  # numpy scalar → Python scalar
            return value.item()
        return value

    records = [{c: plain(v) for c, v in row.items()} for row in frame.astype(object).to_dict("records")]
    return json.dumps(records, ensure_ascii=False, indent=2)


def cmd_scores(args: argparse.Namespace) -> int:
    """Print the condition scores of the store (or of one territory)."""
    from collective_impact.store import Store

    store = Store(resolve_store(args.store), create=False, lang=args.lang)
    territories = None
    if args.territory:
        territories = [store.require_territory(args.territory, lang=args.lang)]
    responses = store.load(["responses"], territories=territories)["responses"]
    frame = scores_frame(responses)
    if frame.empty and args.format == "table":
        print(t("metrics.no_responses", args.lang, store=store.path))
        return 0
    text = {"table": format_table, "csv": format_csv, "json": format_json}[args.format](frame)
    print(text.rstrip("\n"))
    return 0


def register_command(sub, add, add_store) -> None:
    """Add the ``scores`` subcommand to the ``collective-impact`` parser (see ``cli.build_parser``)."""
    p = add("scores", cmd_scores, t("metrics.scores_help"))
    add_store(p)
    p.add_argument("--territory", metavar="ID", help=t("metrics.territory_help"))
    p.add_argument("--format", choices=FORMATS, default="table", help=t("metrics.format_help"))
