"""The steering committee's dashboard (``notebooks/apps/tableau_de_bord.ipynb``).

:func:`dashboard_app` is what the notebook calls; :class:`DashboardApp` shows the radar of
the five conditions and their bands, each condition's trajectory over all the waves (with
its interval, n and agreement), indicator statuses, response rate, latest meetings and the
partner network of one territory and wave, with a refresh button that reads the store
again. The figures and tables are the evaluation steps' own blocks
(:mod:`collective_impact.report.steps`): nothing here computes a metric or draws a figure.
"""

from __future__ import annotations

import os
from datetime import datetime

import ipywidgets as widgets
import pandas as pd
from IPython.display import Markdown

# Imported now, not at the first page: in a Voila preheated kernel this runs before the
# request, so the committee does not wait for matplotlib and the metrics to load.
import collective_impact.plots.communication  # noqa: F401  (loads matplotlib, as every figure needs)
from collective_impact.apps import campaigns
from collective_impact.apps.committee import committee_store
from collective_impact.apps.widgets import (
    BusyButton,
    TerritoryWaveChooser,
    app_container,
    banner,
    html_box,
    open_app,
    page_bundle,
)
from collective_impact.errors import CollectiveImpactError
from collective_impact.framework import Framework, load_framework
from collective_impact.i18n import t
from collective_impact.i18n.format import (
    escape,
    escape_html,
    format_count,
    format_date,
    format_number,
    format_percent,
    format_short_date,
    format_time,
)
from collective_impact.report import steps as evaluation_steps
from collective_impact.report.blocks import show_in
from collective_impact.report.bundle import TerritoryData, open_territory
from collective_impact.report.evaluation import Evaluation
from collective_impact.report.steps.trajectory import trajectory_blocks
from collective_impact.report.tables import show_table
from collective_impact.schema import CODES, split_ids
from collective_impact.store import Store

__all__ = ["LATEST_MEETINGS", "DashboardApp", "dashboard_app"]

#: Meetings listed on the dashboard.
LATEST_MEETINGS = 5


class DashboardApp:
    """The steering committee's dashboard of one territory and wave, refreshed on demand.

    Key figures (respondents, response rate, partners, indicators on track, latest
    meeting), the radar of the five conditions with their bands, their trajectory over
    every wave (or, with one wave, what cannot be shown yet), indicator statuses, the
    response rates, the latest meetings and the partner network; the figures and tables are
    the evaluation steps' own blocks. "Actualiser" reads the store again and says what
    came in since.
    """

    SECTIONS = ("conditions", "trajectory", "indicators", "responses", "meetings", "network")
    #: The title of a section, when it is not ``guided.d.<section>``.
    _TITLES = {"trajectory": "over_time.dashboard.title", "campaign": "campaigns.dashboard.title"}

    def __init__(self, store: Store, *, territory: str | None = None, wave: int | None = None,
                 framework: Framework | None = None, lang: str = "fr") -> None:
        self.store = store
        self.lang = lang
        self.framework = framework or load_framework()
        self.data: TerritoryData | None = None
        self.respondents: int | None = None
        self._previous: tuple[str, int | None, int] | None = None
        self.chooser = TerritoryWaveChooser(store, territory=territory, wave=wave, lang=lang)
        self.refresh_button = widgets.Button(description=t("guided.d.refresh", lang), icon="refresh",
                                             layout=widgets.Layout(width="auto"))
        self.refresh_button.on_click(lambda _: self.refresh())
        self._refreshing = BusyButton(self.refresh_button, t("guided.d.refreshing", lang))
        self.status = html_box()
        self.cards = html_box()
        # the campaign's follow-up last, under a title of the campaigns' catalogue
        self.outputs = {name: widgets.Output(layout=widgets.Layout(width="100%")) for name in (*self.SECTIONS, "campaign")}
        parts: list[widgets.Widget] = [html_box(f'<h3 class="ci-section-title">{escape_html(t("guided.d.key_figures", lang))}'
                                             "</h3>"), self.cards]
        self.titles = {}
        for name, output in self.outputs.items():
            output.add_class(f"ci-dash-{name}")
            title = t(self._TITLES.get(name, f"guided.d.{name}"), lang)
            self.titles[name] = html_box(f'<h3 class="ci-section-title">{escape_html(title)}</h3>')
            parts += [self.titles[name], output]
        self.content = widgets.VBox(parts, layout=widgets.Layout(width="100%"))
        self.message = html_box()
        intro = t("guided.d.intro", lang, refresh=t("guided.d.refresh", lang))
        header = [html_box(f"<h2>{escape_html(t('guided.d.title', lang))}</h2><p>{escape_html(intro)}</p>")]
        if not store.territory_names():
            header.append(html_box(banner(t("forms.no_territory", lang), "error")))
        toolbar = widgets.HBox([self.refresh_button, self.status],
                               layout=widgets.Layout(flex_flow="row wrap", align_items="center", width="100%"))
        self.status.layout = widgets.Layout(flex="1 1 14rem", margin="0 0 0 0.6rem")
        self.widget = app_container([*header, self.chooser.box, toolbar, self.message, self.content])
        self.widget.add_class("ci-wide")
        self.chooser.on_change = lambda territory, wave: self._open(territory, wave)
        self.show()

    def _repr_mimebundle_(self, **kwargs):
        return page_bundle(self.widget, t("guided.d.title", self.lang))

    def refresh(self) -> None:
        """Read the store again, as the button does, and say what is new."""
        if not self._refreshing.acquire():
            return
        try:
            new_waves = self.chooser.refresh()
            self.show(refreshed=True, new_waves=new_waves)
        finally:
            self._refreshing.release()

    def _open(self, territory: str | None, wave: int | None) -> None:
        """Another territory or wave chosen: a moving sign naming it in place of the dashboard shown, then its dashboard.

        Reading a territory takes seconds (its metrics and synthesis); the figures of the
        previous choice must not stand under the new one's name meanwhile.
        """
        if territory is not None:
            self.content.layout.display = "none"
            self.message.value = self.chooser.opening_sign("speed.dashboard.opening", territory, wave)
        self.show()

    def show(self, *, refreshed: bool = False, new_waves: list[int] | None = None) -> None:
        """Draw the dashboard of the chosen territory and wave."""
        lang = self.lang
        territory, wave = self.chooser.territory, self.chooser.current_wave
        self.refresh_button.layout.display = None if territory is not None else "none"
        if territory is None:
            self.content.layout.display = "none"
            self.message.value = banner(t("guided.choose", lang), "info")
            self.status.value = ""
            return
        try:
            self.data = open_territory(self.store.path, territory, lang=lang, wave=wave, framework=self.framework)
            built = {step_id: evaluation_steps.build_step(self.data, step_id)
                     for step_id in ("territoire", "mesure", "communication", "synthese")}
        except CollectiveImpactError as err:
            self.content.layout.display = "none"
            self.message.value = banner(t("guided.open_failed", lang, detail=str(err)), "error")
            return
        ev = self.data.metrics
        rates = ev.response_rates
        current = rates[rates["wave"] == self.data.wave] if self.data.wave is not None else rates.iloc[0:0]
        respondents = int(current["n_respondents"].iloc[0]) if len(current) else 0
        news = []
        gained = 0
        if refreshed and self._previous is not None and self._previous[:2] == (territory, self.data.wave):
            gained = respondents - self._previous[2]
            if gained > 0:
                news.append(t("guided.d.new_respondents", lang, n=format_count(gained, "noun.new_respondent", lang),
                              wave=self.data.wave))
        for new_wave in new_waves or []:
            news.append(t("guided.d.new_wave", lang, wave=new_wave))
        if refreshed and not news:
            news.append(t("guided.d.nothing_new", lang))
        self._previous = (territory, self.data.wave, respondents)
        self.respondents = respondents
        read_at = t("guided.d.read_at", lang, time=format_time(datetime.now(), lang))
        # the figures first, the sentence saying what is new after them: whoever reads the sentence
        # finds the cards already counting what it announces
        self.cards.value = self._cards(ev, current, gained=max(gained, 0))
        self.status.value = "<div class='ci-help'>" + escape_html(" ".join([read_at, *news])) + "</div>"

        def blocks(step_id: str, *names: str) -> list:
            found = {block.name: block for block in built[step_id].blocks}
            return [found[name] for name in names if name in found]

        sections = {
            "conditions": blocks("synthese", "radar", "conditions", "no_answers"),
            "indicators": blocks("mesure", "indicator_progress", "no_indicators"),
            "responses": blocks("territoire", "response_rates"),
            "network": blocks("communication", "network", "no_network"),
        }
        for name, shown in sections.items():
            self._draw(name, shown)
        # each condition over the waves up to the chosen one, as the report of that wave shows it (with one
        # wave, the sentence saying what cannot be computed yet)
        self._draw("trajectory", trajectory_blocks(self.data))
        self._draw("meetings", [self._meetings(ev)])
        self._campaign(territory)
        self.message.value = ""
        self.content.layout.display = None

    def _draw(self, name: str, objects: list) -> None:
        show_in(self.outputs[name], objects)

    def _cards(self, ev: Evaluation, current: pd.DataFrame, *, gained: int = 0) -> str:
        lang = self.lang
        cards = []
        if len(current):
            row = current.iloc[0]
            cards.append((format_number(row["n_respondents"], lang, decimals=0),
                          t("guided.d.card.respondents", lang, wave=self.data.wave),
                          t("guided.d.card.gained", lang, n=format_number(gained, lang, decimals=0)) if gained else ""))
            rate = row["rate"]
            cards.append((format_percent(rate, lang),
                          t("guided.d.card.rate", lang), ""))
        cards.append((format_number(len(self.data.table("partners")), lang, decimals=0), t("guided.d.card.partners", lang), ""))
        progress = ev.progress
        if len(progress):
            good = int(progress["status"].isin(["achieved", "on_track"]).sum())
            cards.append((t("guided.d.of", lang, n=format_number(good, lang, decimals=0),
                            total=format_number(len(progress), lang, decimals=0)), t("guided.d.card.indicators", lang),
                          ""))
        meetings = ev.meetings
        if len(meetings):
            cards.append((format_short_date(meetings["date"].max(), lang), t("guided.d.card.meeting", lang), ""))
        html = "".join(f'<div class="ci-card"><div class="ci-card-value">{escape_html(value)}</div>'
                       f'<div class="ci-card-label">{escape_html(label)}</div>'
                       + (f'<div class="ci-card-new">{escape_html(new)}</div>' if new else "") + "</div>"
                       for value, label, new in cards)
        return f'<div class="ci-cards">{html}</div>'

    def _campaign(self, territory: str) -> None:
        """The follow-up of the territory's latest questionnaire campaign, per partner kind (hidden without one)."""
        lang = self.lang
        status = campaigns.campaign_status(self.store, territory)
        shown = not status.empty
        self.titles["campaign"].layout.display = None if shown else "none"
        self.outputs["campaign"].layout.display = None if shown else "none"
        if not shown:
            self._draw("campaign", [])
            return
        wave = int(status["wave"].max())
        closes, _base, closed = campaigns.wave_closes(self.store, territory, wave)
        state = t("campaigns.dashboard.closed" if closed else "campaigns.dashboard.open", lang, wave=wave,
                  date=format_date(closes, lang))
        by_kind = campaigns.status_by_kind(status[status["wave"] == wave])
        kinds = {code.id: code.label(lang) for code in CODES["partner_kind"]}
        heads = {c: t(f"campaigns.cli.col.{c}", lang) for c in ("kind", "invited", "opened", "answered")}
        frame = pd.DataFrame({
            heads["kind"]: [kinds.get(k, t("campaigns.no_partner", lang)) for k in by_kind["kind"]],
            **{heads[c]: by_kind[c].to_numpy() for c in ("invited", "opened", "answered")},
        })
        self._draw("campaign", [Markdown(escape(state)), show_table(frame, lang=lang)])

    def _meetings(self, ev: Evaluation):
        lang = self.lang
        meetings = self.data.table("meetings").sort_values("date", ascending=False, na_position="last").head(LATEST_MEETINGS)
        if meetings.empty:
            return Markdown(escape_html(t("guided.d.no_meetings", lang)))
        kinds = {code.id: code.label(lang) for code in CODES["meeting_kind"]}
        frame = pd.DataFrame({
            t("guided.d.col_date", lang): [format_short_date(d, lang) for d in meetings["date"]],
            t("guided.d.col_kind", lang): [kinds.get(k, k) if isinstance(k, str) else None for k in meetings["kind"]],
            t("guided.d.col_title", lang): meetings["title"].to_numpy(),
            t("guided.d.col_attendees", lang): [len(split_ids(a)) for a in meetings["attendees"]],
        })
        return show_table(frame, lang=lang, nowrap=[t("guided.d.col_date", lang)])


def dashboard_app(*, store: str | os.PathLike | Store | None = None, query: str | None = None,
                  framework: Framework | None = None) -> DashboardApp | widgets.Widget:
    """The steering committee's dashboard as the Voila notebook shows it.

    The store is ``store`` or ``$COLLECTIVE_IMPACT_STORE``; territory, wave and language
    come from the page's address (``?territoire=ID&vague=2&lang=en``). When the store
    cannot be opened, a panel explains why instead.
    """
    # a committee's link (collective_impact.apps.committee) sees its own territory only
    return open_app(lambda opened, params: DashboardApp(committee_store(opened, params, query), territory=params.territory,
                                                        wave=params.wave, framework=framework, lang=params.lang),
                    store=store, query=query, title="guided.d.title", unavailable="guided.unavailable")
