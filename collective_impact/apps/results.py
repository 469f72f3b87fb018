"""The results given back to a partner (``notebooks/apps/resultats.ipynb``).

After a wave is closed, a partner's own personal link shows the territory's results: the
five conditions with their band, the agreement between partners (r_wg) and the number of
respondents, beside that partner's own answers and comments; never another partner's.

* :func:`partner_results`: the numbers (a DataFrame, computed by
  :func:`~collective_impact.metrics.assessment.condition_scores`), small groups withheld;
* :class:`ResultsApp`: the page;
* :func:`link_refusal`: what a link that opens nothing says (unknown, revoked);
* :func:`results_page`: what a resolved link opens here (the results, or why not);
* :func:`results_app`: what the notebook calls; the link is resolved in the kernel.
"""

from __future__ import annotations

import os
from datetime import date

import ipywidgets as widgets
import numpy as np
import pandas as pd

from collective_impact.apps.campaigns import Link, link_message, resolve_link
from collective_impact.apps.widgets import app_container, banner, html_box, message_panel, open_app, page_bundle
from collective_impact.framework import Framework, load_framework
from collective_impact.i18n import t
from collective_impact.i18n.format import escape_html, format_date, format_number, is_missing
from collective_impact.metrics.assessment import RWG_THRESHOLD, breakdown_by_kind, condition_scores
from collective_impact.store import Store

__all__ = ["MIN_GROUP", "RESULT_COLUMNS", "ResultsApp", "link_refusal", "partner_answers", "partner_results",
           "results_app", "results_page"]

#: Fewer respondents than this and a condition's result is withheld: the rule of every
#: breakdown of the answers (``metrics.assessment.breakdown_by_kind``), read from there so
#: that the two cannot drift apart. A partner knows their own answers: with one other
#: respondent, the territory's mean would give that partner's answers away.
MIN_GROUP: int = breakdown_by_kind.__kwdefaults__["min_group"]

RESULT_COLUMNS = ("condition", "n_respondents", "withheld", "mean", "band", "rwg", "own_mean", "own_band",
                  "own_answers")


def partner_results(responses: pd.DataFrame, respondent_id: str, *, territory_id: str, wave: int,
                    framework: Framework | None = None, min_group: int = MIN_GROUP) -> pd.DataFrame:
    """A territory's results for one wave, condition by condition, beside one respondent's own.

    Parameters
    ----------
    responses
        The canonical ``responses`` table (other territories and waves are left out here).
    respondent_id
        The partner's respondent id (their personal link's).
    territory_id, wave
        The territory and wave given back.
    framework
        The framework (default: the package's default).
    min_group
        Fewest respondents for which a condition's score, band and agreement are shown.

    Returns
    -------
    DataFrame
        One row per condition of the framework, in its order, with

        - ``n_respondents``: respondents with at least one answer (not "ne sait pas") in the
          condition (:func:`~collective_impact.metrics.assessment.condition_scores`);
        - ``withheld``: ``n_respondents < min_group``; then ``mean``, ``band`` and ``rwg``
          are missing;
        - ``mean``, ``band``, ``rwg``: the territory's score (mean of the item means), its
          reading band and the mean r_wg of its items;
        - ``own_mean``, ``own_band``: the respondent's own mean over the condition's items
          ("ne sait pas" left out), missing without an answer;
        - ``own_answers``: the respondent's answers in the condition, "ne sait pas" left out.
    """
    fw = framework or load_framework()
    mask = (responses["territory_id"] == territory_id) & (responses["wave"] == wave)
    wave_rows = responses[mask.fillna(False).astype(bool)]
    own_rows = wave_rows[wave_rows["respondent_id"] == respondent_id]
    conditions = list(fw.condition_ids)
    everyone = condition_scores(wave_rows, framework=fw).set_index("condition").reindex(conditions)
    own = condition_scores(own_rows, framework=fw).set_index("condition").reindex(conditions)
    n_respondents = everyone["n_respondents"].fillna(0).astype("int64").to_numpy()
    withheld = n_respondents < min_group
    band = everyone["band"].astype("object").where(~withheld, None)
    own_band = own["band"].astype("object")
    return pd.DataFrame({
        "condition": pd.array(conditions, dtype="str"),
        "n_respondents": n_respondents,
        "withheld": withheld,
        "mean": np.where(withheld, np.nan, everyone["mean"].to_numpy(dtype="float64")),
        "band": pd.array([None if is_missing(b) else b for b in band], dtype="str"),
        "rwg": np.where(withheld, np.nan, everyone["rwg"].to_numpy(dtype="float64")),
        "own_mean": own["mean"].to_numpy(dtype="float64"),
        "own_band": pd.array([None if is_missing(b) else b for b in own_band], dtype="str"),
        "own_answers": own["n_answers"].fillna(0).astype("int64").to_numpy(),
    }, columns=list(RESULT_COLUMNS))


def partner_answers(store: Store, link: Link) -> tuple[dict[str, int | None], dict[str, str]]:
    """What the store holds of the respondent of ``link``: item id → score (``None`` = "ne sait
    pas"), and condition id → comment.

    Read with the link's territory, wave and respondent only, so that nothing of another
    partner can come back.
    """
    tables = store.load(["responses", "comments"], territories=[link.territory_id],
                        where={"wave": link.wave, "respondent_id": link.respondent})
    answers = {str(row.item_id): (None if is_missing(row.score) else int(row.score))
               for row in tables["responses"].itertuples()}
    comments = {str(row.condition): str(row.text) for row in tables["comments"].itertuples()
                if not is_missing(row.text)}
    return answers, comments


def link_refusal(link: Link | None, lang: str = "fr") -> str | None:
    """What to say instead of any page for a link that opens nothing; ``None`` when it opens one.

    An unknown (or malformed) link and a revoked one open nothing; a closed or expired link
    still shows the results, an open one the questionnaire.
    """
    if link is None or link.state == "revoked":
        return link_message(link, lang)
    return None


def _band_chip(fw: Framework, band: str | None, lang: str) -> str:
    if is_missing(band):
        return "—"
    return f'<span class="ci-band ci-band-{escape_html(band)}">{escape_html(fw.bands.label(band, lang))}</span>'


class ResultsApp:
    """The territory's results of a closed wave, shown to the partner of ``link``.

    Everything read comes from the link: its territory, its wave, its respondent. The page
    shows the five conditions (score, band, agreement, respondents; withheld under
    :data:`MIN_GROUP` respondents) beside the partner's own answers and comments.

    Parameters
    ----------
    store
        The evaluation store.
    link
        The partner's resolved link (any state: the caller decides whether the wave is over).
    framework, lang
        The framework of the questionnaire, the language shown.
    """

    def __init__(self, store: Store, link: Link, *, framework: Framework | None = None, lang: str = "fr") -> None:
        self.store = store
        self.link = link
        self.lang = lang
        self.framework = fw = framework or load_framework()
        responses = store.load(["responses"], territories=[link.territory_id])["responses"]
        self.results = partner_results(responses, link.respondent, territory_id=link.territory_id, wave=link.wave,
                                       framework=fw)
        self.own_answers, self.own_comments = partner_answers(store, link)
        self.item_number = {item.id: n for n, item in enumerate(fw.items, start=1)}
        name = store.territory_names().get(link.territory_id) or link.territory_id
        head = (f"<h2>{escape_html(t('questionnaire.results.title', lang))}</h2>"
                f"<p><b>{escape_html(t('questionnaire.results.who', lang, territory=name, wave=link.wave))}</b></p>")
        self.summary = html_box(head + self._summary_html())
        self.conditions = html_box("".join(self._condition_html(row) for row in self.results.itertuples()))
        self.widget = app_container([self.summary, self.conditions])

    def _repr_mimebundle_(self, **kwargs):
        return page_bundle(self.widget, t("questionnaire.results.title", self.lang))

    def _summary_html(self) -> str:
        fw, lang = self.framework, self.lang
        threshold = format_number(RWG_THRESHOLD, lang)
        parts = [banner(t("questionnaire.results.closed", lang), "info"),
                 f"<p>{escape_html(t('questionnaire.results.intro', lang, scale_max=fw.scale_max))}</p>",
                 f"<p class='ci-help'>{escape_html(t('questionnaire.results.rwg', lang, threshold=threshold))}</p>",
                 f"<p class='ci-help'>{escape_html(t('questionnaire.results.withheld_rule', lang, n=MIN_GROUP))}</p>"]
        if not self.own_answers:
            parts.append(banner(t("questionnaire.results.no_own_answers", lang), "info"))
        return "".join(parts)

    def _condition_html(self, row) -> str:
        """One condition: the territory's result, then the partner's own (a block per
        condition rather than a table, so that it reads on a phone)."""
        fw, lang = self.framework, self.lang
        condition = fw.condition(row.condition)
        if row.withheld:
            score, rwg = escape_html(t("questionnaire.results.withheld", lang)), "—"
        else:
            score = f"{escape_html(format_number(row.mean, lang, decimals=1))} {_band_chip(fw, row.band, lang)}"
            rwg = escape_html(format_number(row.rwg, lang))
        own = "—"
        if not is_missing(row.own_mean):
            own = f"{escape_html(format_number(row.own_mean, lang, decimals=1))} {_band_chip(fw, row.own_band, lang)}"
        lines = [(t("questionnaire.results.score", lang), score), (t("questionnaire.results.agreement", lang), rwg),
                 (t("questionnaire.results.respondents", lang),
                  escape_html(format_number(row.n_respondents, lang, decimals=0))),
                 (t("questionnaire.results.own", lang), own)]
        text = "".join(f"<div>{escape_html(label)} {value}</div>" for label, value in lines)
        return (f"<div class='ci-item ci-result'><h3>{escape_html(condition.label(lang))}</h3>{text}"
                f"{self._own_details(condition)}</div>")

    def _own_details(self, condition) -> str:
        """The partner's own answers to the condition's items and their comment (folded)."""
        fw, lang = self.framework, self.lang
        scale = fw.scale_labels.get(lang) or fw.scale_labels["fr"]
        lines = []
        for item in condition.items:
            if item.id in self.own_answers:
                score = self.own_answers[item.id]
                answer = fw.dont_know(lang) if score is None else f"{score} – {scale[score - fw.scale_min]}"
                lines.append(f"<li>{self.item_number[item.id]}. {escape_html(item.text(lang))} "
                             f"<b>{escape_html(answer)}</b></li>")
        comment = self.own_comments.get(condition.id, "")
        if comment:
            lines.append(f"<li><i>{escape_html(t('questionnaire.comment.label', lang))}</i> "
                         f"{escape_html(comment)}</li>")
        if not lines:
            return ""
        return (f"<details><summary>{escape_html(t('questionnaire.results.own_details', lang))}</summary>"
                f"<ul>{''.join(lines)}</ul></details>")


def results_page(store: Store, link: Link | None, *, framework: Framework | None = None, lang: str = "fr",
                 title: str | None = None) -> ResultsApp | widgets.Widget:
    """What a link opens on the results page: the results once the wave is over, else why not.

    ``title`` heads the message shown instead (default: the results page's title).
    """
    title = title or t("questionnaire.results.title", lang)
    refusal = link_refusal(link, lang)
    if refusal is not None:
        return message_panel(refusal, title=title)
    if link.state == "open":
        return message_panel(t("questionnaire.results.not_yet", lang, closes=format_date(link.closes, lang)),
                             kind="info", title=title)
    return ResultsApp(store, link, framework=framework, lang=lang)


def results_app(*, store: str | os.PathLike | Store | None = None, query: str | None = None,
                framework: Framework | None = None, today: date | None = None) -> ResultsApp | widgets.Widget:
    """The results page as the Voila notebook shows it: only through a partner's personal link
    (``?lien=TOKEN``), resolved here in the kernel; without one, a message."""
    def build(opened: Store, params) -> ResultsApp | widgets.Widget:
        if params.link is None:
            return message_panel(t("questionnaire.results.link_needed", params.lang),
                                 title=t("questionnaire.results.title", params.lang))
        return results_page(opened, resolve_link(opened, params.link, today=today), framework=framework,
                            lang=params.lang)

    return open_app(build, store=store, query=query, title="questionnaire.results.title",
                    unavailable="forms.store_unavailable")

