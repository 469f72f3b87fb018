"""Tables for notebooks and reports: DataFrames shown as HTML, every cell and header escaped.

Cells, headers and captions go through :func:`~collective_impact.i18n.format.escape`
(``markdown=False``): inert in HTML and in MathJax, which JupyterLab and Voila run over
HTML outputs too.

:func:`show_table` renders any DataFrame; :func:`condition_table`, :func:`comparison_table`
and :func:`partner_table` shape the report's recurring tables (labels in ``lang``) for it.
Numbers are written by :mod:`collective_impact.i18n.format`.

A pandas ``Styler`` does **not** escape by default, and its ``escape="html"`` leaves ``$``
to MathJax: display data through :func:`show_table`, never through a ``Styler``.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from collective_impact.framework import Framework, load_framework
from collective_impact.i18n import t
from collective_impact.i18n.format import escape, format_number
from collective_impact.report.markdown import HTML

__all__ = ["comparison_table", "condition_table", "partner_table", "show_table"]

_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


def show_table(frame: pd.DataFrame, *, lang: str = "fr", index: bool = False, decimals: int = 2,
               caption: str | None = None, colours: dict[str, list] | None = None,
               formats: dict[str, object] | None = None, right: list[str] | tuple[str, ...] = (),
               nowrap: list[str] | tuple[str, ...] = ()) -> HTML:
    """A DataFrame as an HTML table, every cell and header escaped.

    Numbers are formatted for ``lang`` (decimal comma in French) and right-aligned, text
    left-aligned; a missing value shows as ``—``.

    Parameters
    ----------
    frame
        The table to show; its column names are the headers (use labels a reader
        understands, e.g. from :func:`condition_table`).
    lang
        Number format: decimal comma in French.
    index
        Whether to show the index as a first column.
    decimals
        Decimals of float columns (integer columns have none).
    caption
        Optional caption above the table (escaped).
    colours
        Optional background colours: column name → one colour per row (``"#RRGGBB"`` or
        ``None``), e.g. the light tint of each row's reading band. The colour is a help,
        never the only carrier of meaning: the cell's text says the same.
    formats
        Optional cell formatting: column name → a function turning a value into the text
        shown (escaped afterwards), e.g. :func:`format_percent`.
    right
        Text columns to align right like numbers (figures already formatted as text).
    nowrap
        Columns whose cells must not wrap (short values such as ``68 (juil. 2022)``).

    Raises
    ------
    ValueError
        When a colour is not of the form ``#RRGGBB`` (colours are code, not data).
    """
    if index:
        frame = frame.reset_index()
    columns = list(frame.columns)
    numeric = [(pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])) or c in right
               for c in frame.columns]
    unwrapped = [c in nowrap for c in frame.columns]
    floats = [pd.api.types.is_float_dtype(frame[c]) for c in frame.columns]

    formats = formats or {}
    shades = []
    for column in columns:
        given = (colours or {}).get(column)
        shade = list(given) if given is not None else [None] * len(frame)
        for colour in shade:
            if colour is not None and not _COLOUR.fullmatch(str(colour)):
                raise ValueError(f"colour {colour!r} of column {column!r} is not #RRGGBB")
        shades.append(shade)

    def cell(value: object, is_number: bool, is_float: bool, column: object) -> str:
        if column in formats:
            return escape(formats[column](value), markdown=False)
        if is_number and not isinstance(value, str):
            return format_number(value, lang, decimals=decimals if is_float else 0)
        return escape(value, markdown=False)

    def style(colour: str | None, keep: bool) -> str:
        rules = ([f"background-color: {colour}"] if colour else []) + (["white-space: nowrap"] if keep else [])
        return f' style="{"; ".join(rules)}"' if rules else ""

    parts = ['<table class="ci-table">']
    if caption:
        parts.append(f"<caption>{escape(caption, markdown=False)}</caption>")
    parts.append("<thead><tr>" + "".join(
        f'<th class="{"ci-num" if n else "ci-text"}">{escape(c, markdown=False)}</th>'
        for c, n in zip(columns, numeric, strict=True)) + "</tr></thead>")
    parts.append("<tbody>")
    for position, row in enumerate(frame.itertuples(index=False, name=None)):
        parts.append("<tr>" + "".join(
            f'<td class="{"ci-num" if n else "ci-text"}"{style(shade[position], k)}>{cell(v, n, f, c)}</td>'
            for v, n, f, c, shade, k in zip(row, numeric, floats, columns, shades, unwrapped, strict=True))
            + "</tr>")
    parts.append("</tbody></table>")
    return HTML("\n".join(parts))


def condition_table(scores: pd.DataFrame, *, territory_id: str, wave: int | None,
                    framework: Framework | None = None, lang: str = "fr") -> pd.DataFrame:
    """The five conditions of one territory and wave, ready for :func:`show_table`.

    Parameters
    ----------
    scores
        Output of :func:`collective_impact.metrics.assessment.condition_scores`.
    territory_id, wave
        Which rows to show (``wave`` ``None``: no responses, every condition shown blank).
    framework
        Gives the condition labels (in framework order) and the band labels.
    lang
        Language of the headers and labels.

    Returns
    -------
    DataFrame
        One row per condition of the framework, columns (labels in ``lang``): condition,
        mean score, reading band, respondents, agreement (r_wg).
    """
    fw = framework or load_framework()
    rows = scores[(scores["territory_id"] == territory_id) & (scores["wave"] == wave)] if wave is not None \
        else scores.iloc[0:0]
    by_condition = rows.set_index("condition")
    records = []
    for condition in fw.conditions:
        found = condition.id in by_condition.index
        row = by_condition.loc[condition.id] if found else None
        band = row["band"] if found else None
        records.append({
            t("narrative.col.condition", lang): condition.label(lang),
            t("narrative.col.mean", lang): float(row["mean"]) if found else math.nan,
            t("narrative.col.band", lang): fw.bands.label(None if pd.isna(band) else band, lang) or None,
            t("narrative.col.n_respondents", lang): int(row["n_respondents"]) if found else 0,
            t("narrative.col.rwg", lang): float(row["rwg"]) if found else math.nan,
        })
    return pd.DataFrame(records)


def comparison_table(scores: pd.DataFrame, names: dict[str, str], *, framework: Framework | None = None,
                     lang: str = "fr") -> pd.DataFrame:
    """Territories × conditions: each cell the latest wave's mean score and its reading band.

    Parameters
    ----------
    scores
        Output of :func:`collective_impact.metrics.assessment.condition_scores` (any
        number of territories and waves; the latest wave of each territory is shown).
    names
        Territory id → name, in the order of the rows to show (territories without
        responses get empty cells).
    framework, lang
        Labels of the conditions and bands.
    """
    fw = framework or load_framework()
    latest = scores.dropna(subset=["wave"])
    if not latest.empty:
        last_wave = latest.groupby("territory_id")["wave"].transform("max")
        latest = latest[latest["wave"] == last_wave]
    cells = {(r.territory_id, r.condition): (r.mean, r.band, r.wave) for r in latest.itertuples(index=False)}
    records = []
    for territory_id, name in names.items():
        record = {t("narrative.col.territory", lang): name, t("narrative.col.id", lang): territory_id}
        waves = {cells[k][2] for k in cells if k[0] == territory_id}
        record[t("narrative.col.wave", lang)] = int(max(waves)) if waves else None
        for condition in fw.conditions:
            mean, band, _ = cells.get((territory_id, condition.id), (math.nan, None, None))
            if pd.isna(mean):
                record[condition.label(lang)] = None
            else:
                label = fw.bands.label(None if pd.isna(band) else band, lang)
                record[condition.label(lang)] = f"{format_number(mean, lang)} · {label}"
        records.append(record)
    return pd.DataFrame(records)


def partner_table(partners: pd.DataFrame, *, lang: str = "fr") -> pd.DataFrame:
    """The partners of a territory, ready for :func:`show_table`: name, kind (label), backbone.

    Parameters
    ----------
    partners
        The canonical ``partners`` table (one territory).
    lang
        Language of the headers and labels.
    """
    from collective_impact.schema import CODES

    kinds = {code.id: code.label(lang) for code in CODES["partner_kind"]}
    yes, no = t("narrative.yes", lang), t("narrative.no", lang)
    return pd.DataFrame({
        t("narrative.col.partner", lang): partners["name"].to_numpy(),
        t("narrative.col.kind", lang): [kinds.get(k, k) for k in partners["kind"]],
        t("narrative.col.backbone", lang): [yes if v is True else no for v in partners["is_backbone"].astype(object)],
    })
