"""The evaluator's home page (``notebooks/apps/accueil.ipynb``): the territories, the files, the evaluations, the reports.

:func:`home_app` is what the notebook calls; the evaluator's server opens it at ``/``.
:class:`HomeApp` shows, on one page, in French (English with ``?lang=en``):

1. the territories with their state (:func:`territory_states`: data as of, latest
   questionnaire wave and its response rate, report up to date or not) and links to the
   other apps for each territory;
2. the upload of a workbook or CSV files, every problem shown, the import
   (:class:`~collective_impact.apps.upload.UploadPanel`);
3. the evaluations run from the page (:class:`~collective_impact.apps.reports.RunPanel`);
4. the reports to take away (:class:`~collective_impact.apps.reports.DownloadPanel`);
5. the questionnaire campaigns: open a wave, follow it, remind, revoke, close
   (:class:`~collective_impact.apps.campaign_panel.CampaignPanel`).

The reports are kept in a folder beside the store (``rapports/``, see :func:`reports_folder`),
so that they outlive the page.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from collective_impact.apps.campaign_panel import CampaignPanel
from collective_impact.apps.first_page import apps_list, territory_links
from collective_impact.apps.reports import DownloadPanel, RunPanel
from collective_impact.apps.server import HOME_APP, TERRITORY_APPS, list_apps
from collective_impact.apps.upload import UploadPanel
from collective_impact.apps.widgets import BusyButton, app_container, banner, html_box, open_app, page_bundle
from collective_impact.errors import CollectiveImpactError
from collective_impact.i18n import t
from collective_impact.i18n.format import escape_html, format_date, format_percent
from collective_impact.metrics.assessment import response_rate
from collective_impact.metrics.dates import evaluation_dates
from collective_impact.report.batch import report_state
from collective_impact.report.export import check_pdf_engine
from collective_impact.store import Store

__all__ = ["TERRITORY_APPS", "HomeApp", "home_app", "page_base", "reports_folder", "territory_states"]

#: The folder of the reports, beside the store.
REPORTS_FOLDER = "rapports"


def reports_folder(store: Store) -> Path:
    """The folder where the home page keeps the reports: ``rapports/`` beside the store file."""
    return store.path.resolve().parent / REPORTS_FOLDER


def page_base(script_name: str | None = None) -> str:
    """The server's base address, from the page's own (Voila's ``SCRIPT_NAME``): ``/`` by default.

    The page is ``<base>voila/render/accueil.ipynb``; links to the other apps are built
    from the base, so that they work whether the page was opened at ``/`` or at its own
    address, and behind a prefix.
    """
    path = os.environ.get("SCRIPT_NAME", "") if script_name is None else script_name
    marker = "voila/render/"
    return path.split(marker, 1)[0] if marker in path else "/"


def territory_states(store: Store, *, reports_dir: str | os.PathLike, lang: str = "fr") -> pd.DataFrame:
    """Each territory's state, as the home page lists it.

    Returns
    -------
    DataFrame
        One row per territory of the store, sorted by id: ``territory_id``, ``name``,
        ``as_of`` (the evaluation date, :func:`~collective_impact.metrics.dates.evaluation_dates`,
        NaT without dated data), ``wave`` (the latest questionnaire wave, <NA> without
        answers), ``n_respondents``, ``n_partners`` and ``rate`` at that wave
        (:func:`~collective_impact.metrics.assessment.response_rate`), ``report`` (the state
        of its report in ``reports_dir``, :func:`~collective_impact.report.batch.report_state`).
    """
    tables = store.load(["territories", "partners", "responses", "measurements", "meetings", "judgments"])
    territories = tables["territories"]
    ids = list(territories["territory_id"])
    as_of = evaluation_dates(tables).reindex(ids)
    rates = response_rate(tables["responses"], tables["partners"])
    rates = rates[rates["wave"].notna()]
    answered = tables["responses"].groupby("territory_id")["wave"].max()
    # each territory's own latest wave (the rates hold every wave of any territory, 0 where it has none)
    latest = rates[rates["wave"].eq(rates["territory_id"].map(answered)).fillna(False).astype(bool)]
    latest = latest.set_index("territory_id")
    rows = []
    for tid, name in zip(ids, territories["name"], strict=True):
        has_wave = tid in answered.index and tid in latest.index
        row = latest.loc[tid] if has_wave else None
        rows.append({
            "territory_id": tid, "name": name, "as_of": as_of.get(tid, pd.NaT),
            "wave": int(answered[tid]) if has_wave else None,
            "n_respondents": int(row["n_respondents"]) if has_wave else 0,
            "n_partners": int(row["n_partners"]) if has_wave else 0,
            "rate": float(row["rate"]) if has_wave else float("nan"),
            "report": report_state(store, tid, out_dir=reports_dir, lang=lang),
        })
    columns = ["territory_id", "name", "as_of", "wave", "n_respondents", "n_partners", "rate", "report"]
    return pd.DataFrame(rows, columns=columns).astype({"as_of": "datetime64[ns]", "wave": "Int64"})


class HomeApp:
    """The evaluator's home page (see the module's notes).

    Parameters
    ----------
    store
        The evaluation store.
    lang
        Language of the page (and of the reports made from it).
    reports_dir
        Where the reports are kept; ``rapports/`` beside the store by default.
    base_url
        The server's base address, for the links to the other apps (default: from the page's address).
    batch_options
        More options of the batch (see :class:`~collective_impact.apps.reports.RunPanel`).
    who
        Who imports files, for the store's audit trail (default: the system user).
    """

    def __init__(self, store: Store, *, lang: str = "fr", reports_dir: str | os.PathLike | None = None,
                 base_url: str | None = None, batch_options: dict | None = None, who: str | None = None) -> None:
        self.store = store
        self.lang = lang
        self.reports_dir = Path(reports_dir) if reports_dir is not None else reports_folder(store)
        self.base_url = page_base() if base_url is None else base_url
        self.apps = {app.name: app for app in list_apps() if app.name != HOME_APP}
        self.states = pd.DataFrame()
        self.territories = html_box()
        self.refresh_button = widgets.Button(description=t("home.t.refresh", lang), icon="refresh",
                                             layout=widgets.Layout(width="auto", align_self="flex-start"))
        self.refresh_button.on_click(lambda _: self.refresh())
        self._refreshing = BusyButton(self.refresh_button, t("home.t.refreshing", lang))
        self.upload = UploadPanel(store, lang=lang, on_imported=lambda _: self.refresh(), who=who)
        self.run = RunPanel(store, reports_dir=self.reports_dir, lang=lang, on_finished=lambda _: self.refresh(),
                            batch_options=batch_options)
        self.downloads = DownloadPanel(store, reports_dir=self.reports_dir, lang=lang)
        self.campaigns = CampaignPanel(store, lang=lang)
        header = html_box(f"<h2>{escape_html(t('home.title', lang))}</h2><p>{escape_html(t('home.intro', lang))}</p>")
        territories = widgets.VBox([
            html_box(f'<h3 class="ci-section-title">{escape_html(t("home.t.title", lang))}</h3>'),
            self.territories, self.refresh_button], layout=widgets.Layout(width="100%"))
        territories.add_class("ci-territories")
        self.widget = app_container([header, territories, self.upload.box, self.run.box, self.downloads.box,
                                     self.campaigns.box, html_box(apps_list(self.base_url, self.apps, lang))])
        self.widget.add_class("ci-wide")
        self.show_states()

    def _repr_mimebundle_(self, **kwargs):
        return page_bundle(self.widget, t("home.title", self.lang))

    def refresh(self) -> None:
        """Read the store and the reports folder again, as the "Actualiser" button does."""
        self._refreshing.run(self._refresh)

    def _refresh(self) -> bool:
        self.show_states()
        self.run.refresh()
        self.downloads.refresh()
        self.campaigns.refresh()
        return True

    # ------------------------------------------------------------ the territories
    def show_states(self) -> None:
        """Draw the table of the territories and their state."""
        lang = self.lang
        self.states = states = territory_states(self.store, reports_dir=self.reports_dir, lang=lang)
        if states.empty:
            self.territories.value = banner(t("home.t.none", lang), "info")
            return
        headers = [t(f"home.t.col.{name}", lang) for name in ("territory", "as_of", "wave", "rate", "report", "open")]
        body = []
        for row in states.itertuples(index=False):
            wave_number = None if pd.isna(row.wave) else int(row.wave)
            if wave_number is None:
                wave, rate = t("home.t.no_wave", lang), "—"
            else:
                wave = t("home.t.wave", lang, wave=wave_number)
                rate = t("home.t.rate", lang, rate=format_percent(row.rate, lang), n=row.n_respondents,
                         partners=row.n_partners)
            css = {"current": "ci-ok", "failed": "ci-error"}.get(row.report, "")
            cells = [
                f"<td><strong>{escape_html(row.name)}</strong><br><span class='ci-help'>{escape_html(row.territory_id)}"
                "</span></td>",
                f'<td class="ci-nowrap">{escape_html(format_date(row.as_of, lang))}</td>',
                f"<td>{escape_html(wave)}</td>",
                f'<td class="ci-nowrap">{escape_html(rate)}</td>',
                f'<td class="{css}" data-state="{escape_html(row.report)}">'
                f'{escape_html(t(f"home.t.report.{row.report}", lang))}</td>',
                f"<td>{territory_links(self.base_url, row.territory_id, self.apps, lang, wave=wave_number)}</td>",
            ]
            body.append(f'<tr data-territory="{escape_html(row.territory_id)}">' + "".join(cells) + "</tr>")
        head = "".join(f"<th>{escape_html(h)}</th>" for h in headers)
        self.territories.value = (f'<table class="ci-territory-table"><thead><tr>{head}</tr></thead>'
                                  f"<tbody>{''.join(body)}</tbody></table>")


def _load_pdf_engine() -> None:
    """Load WeasyPrint now (a second), if this machine has it: the page asks whether it can print PDFs."""
    with contextlib.suppress(CollectiveImpactError):  # the page says why, when it asks
        check_pdf_engine()


def home_app(*, store: str | os.PathLike | Store | None = None, query: str | None = None,
             reports_dir: str | os.PathLike | None = None) -> HomeApp | widgets.Widget:
    """The evaluator's home page as the Voila notebook shows it.

    The store is ``store`` or ``$COLLECTIVE_IMPACT_STORE``; the language comes from the
    page's address (``?lang=en``). When the store cannot be opened, a panel explains why.
    """
    # in the background, from before the request: a preheated kernel is ready for its page
    # (and the first page of apps/first_page.py opens this one) without waiting for it, and
    # the page's first question to the machine (can it print PDFs?) is answered at once, or
    # waits for this import to end (Python's import lock) rather than starting it again
    threading.Thread(target=_load_pdf_engine, name="pdf-engine", daemon=True).start()
    return open_app(lambda opened, params: HomeApp(opened, lang=params.lang, reports_dir=reports_dir),
                    store=store, query=query, title="home.title", unavailable="home.unavailable")
