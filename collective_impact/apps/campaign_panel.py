"""Questionnaire campaigns from the evaluator's home page: open a wave, follow it, remind, revoke, close.

:class:`CampaignPanel` is the part of the home page (:mod:`collective_impact.apps.home`) that
does what ``collective-impact campaign open|status|reminders|revoke|close`` does, with the
same functions (:mod:`collective_impact.apps.campaigns`) and the same files
(:mod:`collective_impact.apps.invitations`):

* a territory chosen, its waves (open or closed, closing date) and the follow-up per partner
  and per kind of partner (invited, opened, answered; never the answers);
* **open a wave**: its number (the next one by default), its closing date, the partners'
  server address (kept for the session), the links per partner and the extra open links.
  ``invitations.csv`` and ``invitations.html`` are offered at once as ``data:`` links
  (:func:`~collective_impact.apps.widgets.download_link`): the tokens exist only there;
* **reminders**: the links not yet answered, and a button that replaces them by new links
  (as ``campaign reminders --reissue``), whose files are offered the same way;
* **revoke** one link and **close** the wave, each after a confirmation.

Every refusal of the campaigns (a past date, a malformed address, a wave already open…) is
shown beside its action and nothing is changed. Everything from the data is escaped.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import ipywidgets as widgets

from collective_impact.apps import campaigns, invitations
from collective_impact.apps.campaigns import Link
from collective_impact.apps.widgets import BusyButton, banner, download_link, html_box, html_table, spinner
from collective_impact.errors import CollectiveImpactError
from collective_impact.i18n import t
from collective_impact.i18n.format import escape_html, format_count, format_date, is_missing
from collective_impact.schema import CODES
from collective_impact.store import Store

__all__ = ["CampaignPanel", "invitation_files"]

_MIME = {".csv": "text/csv", ".html": "text/html"}


def invitation_files(store: Store, territory_id: str, wave: int, made: Sequence[tuple[Link, str | None]], *,
                     stem: str = "invitations", opened_column: bool = False, cards: bool = True,
                     lang: str = "fr") -> list[tuple[str, bytes]]:
    """The files of ``made`` (links with their tokens) as the command writes them: (file name, bytes).

    The writers of :mod:`~collective_impact.apps.invitations` write to a path: they write to
    a temporary folder, read back at once and removed, so that the links in clear stay only
    in the page.
    """
    with tempfile.TemporaryDirectory(prefix="ci-invitations-") as folder:
        paths = invitations.write_files(store, territory_id, wave, made, folder, stem=stem,
                                        opened_column=opened_column, cards=cards, lang=lang)
        return [(path.name, path.read_bytes()) for path in paths]


def _label(text: str) -> widgets.HTML:
    return html_box(f'<div class="ci-field-label">{escape_html(text)}</div>')


class _Confirm:
    """A question with "Confirmer" and "Annuler": ``ask`` shows it, the answer runs ``action`` or hides it."""

    def __init__(self, lang: str) -> None:
        self.text = html_box()
        self.yes = widgets.Button(description=t("campaign_panel.confirm", lang), button_style="danger",
                                  layout=widgets.Layout(width="auto"))
        self.no = widgets.Button(description=t("campaign_panel.cancel", lang), layout=widgets.Layout(width="auto"))
        self.box = widgets.VBox([self.text, widgets.HBox([self.yes, self.no])],
                                layout=widgets.Layout(width="100%", display="none"))
        self._action: Callable[[], object] | None = None
        self.yes.on_click(lambda _: self.answer(True))
        self.no.on_click(lambda _: self.answer(False))

    def ask(self, question: str, action: Callable[[], object]) -> None:
        self.text.value = banner(question, "info")
        self._action = action
        self.box.layout.display = None

    def answer(self, yes: bool) -> object:
        """Hide the question; run the action if ``yes`` (and return what it returns)."""
        action, self._action = self._action, None
        self.box.layout.display = "none"
        return action() if yes and action is not None else None


class CampaignPanel:
    """Open, follow, remind, revoke and close questionnaire waves (see the module's notes).

    Parameters
    ----------
    store
        The evaluation store.
    lang
        Language of the page and of the files.
    base_url
        The partners' server address offered first (then the last one used on this page, or
        else that of the territory's last wave).
    today
        The day of the actions (default: the clock's, read at each action).
    """

    def __init__(self, store: Store, *, lang: str = "fr", base_url: str = "", today: date | None = None) -> None:
        self.store = store
        self.lang = lang
        self.today = today
        self.files: list[tuple[str, bytes]] = []  # the files offered last (their links hold the tokens)
        wide = widgets.Layout(width="100%", max_width="30rem")
        self.territory = widgets.Dropdown(options=[], layout=wide)
        self._quiet = False
        self.territory.observe(lambda _: None if self._quiet else self.show(), names="value")
        self.overview = html_box()
        # --- open a wave
        self.wave_number = widgets.BoundedIntText(value=1, min=1, max=99, layout=widgets.Layout(width="7rem"))
        self.closes = widgets.DatePicker(layout=widgets.Layout(width="12rem"))
        self.base_url = widgets.Text(value=base_url, placeholder="https://evaluation.example.fr", layout=wide)
        self.per_partner = widgets.BoundedIntText(value=1, min=0, max=20, layout=widgets.Layout(width="7rem"))
        self.extra = widgets.BoundedIntText(value=0, min=0, max=500, layout=widgets.Layout(width="7rem"))
        self.open_button = widgets.Button(description=t("campaign_panel.open", lang), button_style="primary",
                                          icon="envelope", layout=widgets.Layout(width="auto"))
        self._opening = BusyButton(self.open_button, t("campaign_panel.opening", lang))
        self.open_button.on_click(lambda _: self.open_wave())
        self.open_status = html_box()
        # --- a wave's actions
        self.wave = widgets.Dropdown(options=[], layout=widgets.Layout(width="auto"))
        self.wave.observe(lambda _: None if self._quiet else self._show_wave(), names="value")
        self.pending = html_box()
        self.reissue_button = widgets.Button(description=t("campaign_panel.reissue", lang), button_style="warning",
                                             icon="refresh", layout=widgets.Layout(width="auto"))
        self._reissuing = BusyButton(self.reissue_button, t("campaign_panel.reissuing", lang))
        self.reissue_button.on_click(lambda _: self.reissue())
        self.reissue_status = html_box()
        self.link = widgets.Dropdown(options=[], layout=wide)
        self.revoke_button = widgets.Button(description=t("campaign_panel.revoke", lang), icon="ban",
                                            layout=widgets.Layout(width="auto"))
        self.revoke_button.on_click(lambda _: self.ask_revoke())
        self.revoke_confirm = _Confirm(lang)
        self.revoke_status = html_box()
        self.close_button = widgets.Button(description=t("campaign_panel.close", lang), icon="lock",
                                           layout=widgets.Layout(width="auto"))
        self.close_button.on_click(lambda _: self.ask_close())
        self.close_confirm = _Confirm(lang)
        self.close_status = html_box()

        def title(key: str, level: int = 4) -> widgets.HTML:
            return html_box(f"<h{level}>{escape_html(t(key, lang))}</h{level}>")

        opening = widgets.VBox([
            title("campaign_panel.open_title"),
            _label(t("campaign_panel.wave_number", lang)), self.wave_number,
            _label(t("campaign_panel.closes", lang)), self.closes,
            _label(t("campaign_panel.base_url", lang)), self.base_url,
            html_box(f'<div class="ci-help">{escape_html(t("campaign_panel.base_url_help", lang))}</div>'),
            _label(t("campaign_panel.per_partner", lang)), self.per_partner,
            _label(t("campaign_panel.extra", lang)), self.extra,
            self.open_button, self.open_status,
        ], layout=widgets.Layout(width="100%"))
        opening.add_class("ci-campaign-open")
        self.actions = widgets.VBox([
            title("campaign_panel.wave_title"), self.wave,
            title("campaign_panel.reminders_title", 5), self.pending, self.reissue_button, self.reissue_status,
            title("campaign_panel.revoke_title", 5), self.link, self.revoke_button, self.revoke_confirm.box,
            self.revoke_status,
            title("campaign_panel.close_title", 5), self.close_button, self.close_confirm.box, self.close_status,
        ], layout=widgets.Layout(width="100%"))
        self.actions.add_class("ci-campaign-actions")
        self.box = widgets.VBox([
            html_box(f'<h3 class="ci-section-title">{escape_html(t("campaign_panel.title", lang))}</h3>'
                     f'<p>{escape_html(t("campaign_panel.intro", lang))}</p>'),
            _label(t("campaign_panel.territory", lang)), self.territory, self.overview, opening, self.actions,
        ], layout=widgets.Layout(width="100%"))
        self.box.add_class("ci-campaigns")
        self.refresh()

    # ------------------------------------------------------------ reading
    def _today(self) -> date:
        return self.today or date.today()

    @property
    def territory_id(self) -> str | None:
        return self.territory.value or None

    def refresh(self) -> None:
        """Offer the store's territories again (the one chosen stays chosen) and show it.

        The messages and files offered stay: the home page refreshes after an import or a
        run of evaluations, which must not take away invitations not yet downloaded.
        """
        names = self.store.territory_names()
        chosen = self.territory_id
        options = [(t("forms.territory_placeholder", self.lang), "")] + [
            (f"{name} ({tid})" if name else tid, tid) for tid, name in names.items()]
        self._quiet = True  # one drawing, not one per change of the list
        try:
            self.territory.options = options
            self.territory.value = chosen if chosen in names else ""
        finally:
            self._quiet = False
        self.show(clear=False)

    def waves(self) -> list[tuple[int, date, bool]]:
        """The chosen territory's waves ever opened: (number, closing date, closed), in order."""
        if self.territory_id is None:
            return []
        numbers = sorted({link.wave for link in campaigns.links(self.store, self.territory_id)})
        return [(n, *self._closes(n)) for n in numbers]

    def _closes(self, wave: int) -> tuple[date, bool]:
        closes, _base, closed = campaigns.wave_closes(self.store, self.territory_id, wave)
        return closes, closed

    def show(self, *, clear: bool = True) -> None:
        """Draw the chosen territory's waves, their follow-up, and the actions' choices (``clear``: and no message)."""
        if clear:
            for status in (self.open_status, self.reissue_status, self.revoke_status, self.close_status):
                status.value = ""
            self.files = []
        chosen = self.territory_id is not None
        self.open_button.disabled = not chosen
        if not chosen:
            self.actions.layout.display = "none"
            self.overview.value = banner(t("campaign_panel.choose", self.lang), "info")
            return
        try:
            self._show()
        except CollectiveImpactError as err:  # the territory removed meanwhile (another page)
            self.actions.layout.display = "none"
            self.open_button.disabled = True
            self.overview.value = banner(str(err), "error")

    def _show(self) -> None:
        self.store.require_territory(self.territory_id, self.lang)
        waves = self.waves()
        self.actions.layout.display = None if waves else "none"
        self.wave_number.value = min(99, max((n for n, _, _ in waves), default=0) + 1)
        self.overview.value = self._overview(waves)
        if waves and not self.base_url.value.strip():
            # the address of the territory's last wave: most often the same server again
            self.base_url.value = campaigns.wave_closes(self.store, self.territory_id, waves[-1][0])[1]
        if waves:
            still_open = [n for n, _, closed in waves if not closed]
            self._quiet = True
            try:
                self.wave.options = [(self._wave_text(n, closes, closed), n) for n, closes, closed in waves]
                self.wave.value = still_open[-1] if still_open else waves[-1][0]
            finally:
                self._quiet = False
            self._show_wave()

    def _wave_text(self, wave: int, closes: date, closed: bool) -> str:
        key = "campaign_panel.wave_closed" if closed else "campaign_panel.wave_open"
        if not closed and closes < self._today():
            key = "campaign_panel.wave_expired"
        return t(key, self.lang, wave=wave, date=format_date(closes, self.lang))

    def _overview(self, waves: list[tuple[int, date, bool]]) -> str:
        lang = self.lang
        if not waves:
            return banner(t("campaign_panel.no_wave", lang, territory=self.territory_id), "info")
        status = campaigns.campaign_status(self.store, self.territory_id, today=self._today())
        kinds = {code.id: code.label(lang) for code in CODES["partner_kind"]}
        no_partner = t("campaigns.no_partner", lang)
        counts = ["invited", "opened", "answered"]
        heads = [t(f"campaigns.cli.col.{c}", lang) for c in ["partner_id", "partner_name", "kind", *counts]]
        parts = []
        for wave, closes, closed in waves:
            frame = status[status["wave"] == wave]
            parts.append(f'<h4 data-wave="{wave}">{escape_html(self._wave_text(wave, closes, closed))}</h4>')
            rows = [["—" if is_missing(r.partner_id) else r.partner_id,
                     no_partner if is_missing(r.partner_name) else r.partner_name,
                     "—" if is_missing(r.kind) else kinds.get(r.kind, r.kind),
                     r.invited, r.opened, r.answered] for r in frame.itertuples(index=False)]
            parts.append(html_table(heads, rows).replace("<table>", f'<table class="ci-campaign-status" '
                                                                   f'data-wave="{wave}">', 1))
            by_kind = campaigns.status_by_kind(frame)
            kind_rows = [[kinds.get(r.kind, no_partner) if not is_missing(r.kind) else no_partner,
                          r.invited, r.opened, r.answered] for r in by_kind.itertuples(index=False)]
            kind_rows.append([t("campaigns.cli.total", lang), *(int(frame[c].sum()) for c in counts)])
            parts.append(html_table([heads[2], *heads[3:]], kind_rows).replace(
                "<table>", f'<table class="ci-campaign-kinds" data-wave="{wave}">', 1))
        return "".join(parts)

    def _links(self, wave: int) -> list[Link]:
        return campaigns.links(self.store, self.territory_id, wave, today=self._today())

    def _partner_names(self) -> dict[str, str]:
        partners = self.store.load(["partners"], territories=[self.territory_id])["partners"]
        return dict(zip(partners["partner_id"], partners["name"], strict=True))

    def _show_wave(self) -> None:
        """The chosen wave's links not yet answered, the links that may be revoked, what may be done."""
        lang = self.lang
        wave = self.wave.value
        if wave is None or self.territory_id is None:
            return
        links = self._links(wave)
        names = self._partner_names()
        no_partner = t("campaigns.no_partner", lang)
        pending = [link for link in links if link.is_open and link.answered is None]
        if pending:
            heads = [t(f"campaigns.csv.{c}", lang) for c in ("partner_id", "partner_name", "invitation_id", "opened")]
            rows = [[link.partner_id or "—", names.get(link.partner_id, no_partner) if link.partner_id else no_partner,
                     link.invitation_id, t("campaigns.yes" if link.opened else "campaigns.no", lang)]
                    for link in pending]
            self.pending.value = (banner(t("campaign_panel.pending", lang,
                                           links=format_count(len(pending), "campaigns.noun.link", lang)), "info")
                                  + html_table(heads, rows).replace("<table>", '<table class="ci-campaign-pending">', 1))
        else:
            self.pending.value = banner(t("campaign_panel.none_pending", lang), "ok")
        self.reissue_button.disabled = not pending
        revocable = [link for link in links if link.state in ("open", "expired")]
        # a drop-down's labels are plain text: no escaping needed (nor wanted)
        self.link.options = [(t("campaign_panel.link_option", lang, link=link.invitation_id,
                                partner=(f"{names.get(link.partner_id, '')} ({link.partner_id})"
                                         if link.partner_id else no_partner),
                                state=t("campaign_panel.answered" if link.answered else "campaign_panel.not_answered",
                                        lang)), link.invitation_id) for link in revocable]
        self.revoke_button.disabled = not revocable
        self.close_button.disabled = self._closes(wave)[1]

    # ------------------------------------------------------------ acting
    def _offer(self, files: list[tuple[str, bytes]]) -> str:
        """The download links of ``files`` and the warning that they cannot be made again."""
        self.files = files
        links = " ".join(download_link(data, name, name, mime=_MIME[Path(name).suffix]) for name, data in files)
        return (f'<div class="ci-campaign-files">{links}</div>'
                + banner(t("campaign_panel.secret", self.lang), "error"))

    def open_wave(self) -> bool:
        """Open the wave described by the form, as the button does; offer its files. False when refused."""
        return self._opening.run(self._open_wave)

    def _open_wave(self) -> bool:
        lang, territory = self.lang, self.territory_id
        if territory is None:
            self.open_status.value = banner(t("campaign_panel.choose", lang), "error")
            return False
        if self.closes.value is None:
            self.open_status.value = banner(t("campaign_panel.no_closes", lang), "error")
            return False
        wave = int(self.wave_number.value)
        self.open_status.value = spinner(t("campaign_panel.opening_wave", lang, wave=wave))
        try:
            made = campaigns.open_wave(self.store, territory, wave, closes=self.closes.value,
                                       base_url=self.base_url.value, per_partner=int(self.per_partner.value),
                                       extra=int(self.extra.value), today=self._today(), lang=lang)
        except CollectiveImpactError as err:
            self.open_status.value = banner(str(err), "error")
            return False
        try:
            files = invitation_files(self.store, territory, wave, made, lang=lang)
        except (CollectiveImpactError, OSError) as err:
            # the tokens exist only in these files: without them the links are lost, so the wave is undone
            campaigns.cancel_wave(self.store, territory, wave)
            self.open_status.value = banner(t("campaign_panel.files_failed", lang, detail=str(err)), "error")
            return False
        self.base_url.value = campaigns.wave_closes(self.store, territory, wave)[1]  # kept for the next wave
        self.show(clear=False)
        done = t("campaigns.cli.opened", lang, links=format_count(len(made), "campaigns.noun.link", lang),
                 territory=territory, wave=wave, date=format_date(self.closes.value, lang))
        self.open_status.value = banner(done, "ok") + self._offer(files)
        return True

    def reissue(self) -> bool:
        """Replace the chosen wave's unanswered links by new ones, as the button does; offer their files."""
        return self._reissuing.run(self._reissue)

    def _reissue(self) -> bool:
        lang, territory, wave = self.lang, self.territory_id, self.wave.value
        self.reissue_status.value = spinner(t("campaign_panel.reissuing", lang))
        try:
            _base, made = campaigns.reissue_links(self.store, territory, wave, today=self._today(), lang=lang)
            files = invitation_files(self.store, territory, wave, made, stem="relances", opened_column=True, lang=lang)
        except CollectiveImpactError as err:
            self.reissue_status.value = banner(str(err), "error")
            return False
        self.show(clear=False)
        self.wave.value = wave
        done = t("campaigns.cli.reissued", lang, links=format_count(len(made), "campaigns.noun.link", lang))
        self.reissue_status.value = banner(done, "ok") + self._offer(files)
        return True

    def ask_revoke(self) -> None:
        """Ask to confirm the revocation of the link chosen (the button "Désactiver ce lien")."""
        if self.link.value is None:
            return
        label = dict((value, text) for text, value in self.link.options)[self.link.value]
        self.revoke_confirm.ask(t("campaign_panel.revoke_question", self.lang, link=label), self.revoke)

    def revoke(self, invitation_id: str | None = None) -> bool:
        """Revoke ``invitation_id`` (default: the link chosen); false, saying why, when refused."""
        lang, territory, wave = self.lang, self.territory_id, self.wave.value
        chosen = invitation_id or self.link.value
        self.revoke_status.value = spinner(t("campaign_panel.revoking", lang))
        try:
            revoked = campaigns.revoke_link(self.store, territory, invitation_id=chosen, wave=wave,
                                            today=self._today(), lang=lang)
        except CollectiveImpactError as err:
            self.revoke_status.value = banner(str(err), "error")
            return False
        self.show(clear=False)
        self.wave.value = wave
        self.revoke_status.value = banner(t("campaigns.cli.revoked", lang, links=format_count(
            len(revoked), "campaigns.noun.link", lang), ids=", ".join(link.invitation_id for link in revoked)), "ok")
        return True

    def ask_close(self) -> None:
        """Ask to confirm the closing of the chosen wave, naming how many have answered."""
        wave = self.wave.value
        if wave is None:
            return
        live = [link for link in self._links(wave) if link.state != "revoked"]
        answered = sum(link.answered is not None for link in live)
        self.close_confirm.ask(t("campaign_panel.close_question", self.lang, wave=wave, answered=answered,
                                 links=format_count(len(live), "campaigns.noun.link", self.lang)), self.close)

    def close(self) -> bool:
        """Close the chosen wave; false, saying why, when refused."""
        lang, territory, wave = self.lang, self.territory_id, self.wave.value
        self.close_status.value = spinner(t("campaign_panel.closing", lang))
        try:
            n = campaigns.close_wave(self.store, territory, wave, lang=lang)
        except CollectiveImpactError as err:
            self.close_status.value = banner(str(err), "error")
            return False
        self.show(clear=False)
        self.wave.value = wave
        self.close_status.value = banner(t("campaigns.cli.closed", lang, territory=territory, wave=wave,
                                           links=format_count(n, "campaigns.noun.link", lang)), "ok")
        return True

