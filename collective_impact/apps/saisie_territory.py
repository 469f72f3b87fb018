"""The data-entry app's last two tabs: the territory's audit trail, and the removal of the territory."""

from __future__ import annotations

import tempfile
from pathlib import Path

import ipywidgets as widgets

from collective_impact.apps.saisie_records import Confirmation
from collective_impact.apps.widgets import banner, download_link, html_box, html_table, multiline_banner, spinner
from collective_impact.audit import readable_audit, table_label, write_audit
from collective_impact.errors import CollectiveImpactError
from collective_impact.i18n import t
from collective_impact.i18n.format import escape_html, format_count
from collective_impact.store import Store

__all__ = ["AuditView", "TerritoryRemoval"]


class TerritoryRemoval:
    """Remove the territory and everything of it, after a confirmation that counts what goes, table by table."""

    def __init__(self, store: Store, *, lang: str = "fr", on_removed=None, who: str | None = None) -> None:
        self.store = store
        self.lang = lang
        self.who = who
        self.on_removed = on_removed
        self.territory: str | None = None
        self.confirmation = Confirmation(t("records.remove.button", lang), "", lang=lang, on_ask=self.ask,
                                         on_yes=self.remove)
        self.status = html_box()
        self.box = widgets.VBox([html_box(f"<p>{escape_html(t('records.remove.intro', lang))}</p>"),
                                 self.confirmation.box, self.status], layout=widgets.Layout(width="100%"))

    def set_territory(self, territory: str | None) -> None:
        self.territory = territory
        self._close()
        if territory is not None:
            self.status.value = ""

    def _close(self) -> None:
        self.confirmation.close(available=self.territory is not None)

    def ask(self) -> dict[str, int]:
        """Show what removing the territory takes away; return the counts shown."""
        if self.territory is None:
            return {}
        contents = self.store.territory_contents(self.territory)
        total = sum(contents.values())
        name = self.store.territory_names().get(self.territory, "")
        rows = [(table_label(table, self.lang), format_count(n, "noun.row", self.lang)) for table, n in contents.items()]
        self.confirmation.yes_button.description = t("records.remove.yes", self.lang, territory=self.territory,
                                                     rows=format_count(total, "noun.row", self.lang))
        self.confirmation.open(banner(t("records.remove.question", self.lang, territory=self.territory, name=name),
                                      "error")
                               + html_table([t("records.audit.col.table", self.lang),
                                             t("records.remove.col_rows", self.lang)], rows, nowrap=(1,))
                               + f"<p>{escape_html(t('records.remove.kept', self.lang))}</p>")
        return contents

    def remove(self) -> bool:
        """Remove the territory (after :meth:`ask`); return whether it was removed."""
        territory = self.territory
        if territory is None:
            return False
        try:
            removed = self.store.remove_territory(territory, who=self.who)
        except CollectiveImpactError as err:
            self.status.value = multiline_banner(str(err), "error")
            self._close()
            return False
        self.status.value = banner(t("records.remove.done", self.lang, territory=territory,
                                     rows=format_count(sum(removed.values()), "noun.row", self.lang)), "ok")
        self.territory = None
        self._close()
        if self.on_removed is not None:
            self.on_removed(territory)
        return True


class AuditView:
    """The territory's audit trail, most recent change first, in words."""

    LIMIT = 200

    def __init__(self, store: Store, *, lang: str = "fr") -> None:
        self.store = store
        self.lang = lang
        self.territory: str | None = None
        #: Whether the trail is on screen: read at once when it is, else when it is shown again.
        self.shown = True
        self.table = html_box()
        self.refresh_button = widgets.Button(description=t("records.audit.refresh", lang), icon="refresh",
                                             layout=widgets.Layout(width="auto"))
        self.refresh_button.on_click(lambda _: self.refresh())
        self.export_button = widgets.Button(description=t("records.audit.export", lang), icon="download",
                                            layout=widgets.Layout(width="auto"))
        self.export_button.on_click(lambda _: self.export())
        self.link = html_box()
        self.box = widgets.VBox([html_box(f"<p>{escape_html(t('records.audit.intro', lang))}</p>"),
                                 widgets.HBox([self.refresh_button, self.export_button]), self.link, self.table],
                                layout=widgets.Layout(width="100%"))

    def set_territory(self, territory: str | None) -> None:
        self.territory = territory
        self.update()

    def update(self) -> None:
        """After a change: the trail read again if it is :attr:`shown`, else a sign of work until it is."""
        if self.shown:
            self.refresh()
        else:
            self.stale()

    def export(self) -> bytes | None:
        """Offer the territory's whole trail as an Excel workbook to download; return its bytes."""
        if self.territory is None:
            return None
        # the workbook is written by the same function as the `audit --out` command
        with tempfile.TemporaryDirectory() as folder:
            path = write_audit(self.store.audit(self.territory), Path(folder) / "journal.xlsx", lang=self.lang)
            data = path.read_bytes()
        name = f"{t('records.audit.file', self.lang)}-{self.territory}.xlsx"
        self.link.value = download_link(data, name, t("records.audit.export_link", self.lang),
                                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return data

    def stale(self) -> None:
        """Put a sign of work in place of the trail, until :meth:`refresh` reads it again."""
        self.link.value = ""
        if self.territory is not None:
            self.table.value = spinner(t("records.audit.reading", self.lang))

    def refresh(self) -> None:
        self.link.value = ""
        if self.territory is None:
            self.table.value = ""
            return
        frame = self.store.audit(self.territory, limit=self.LIMIT)
        if frame.empty:
            self.table.value = banner(t("records.audit.empty", self.lang), "info")
            return
        readable = readable_audit(frame, lang=self.lang).drop(columns=[t("records.audit.col.territory_id", self.lang)])
        note = (f"<p>{escape_html(t('records.audit.limited', self.lang, n=self.LIMIT))}</p>"
                if len(frame) == self.LIMIT else "")
        self.table.value = note + html_table(list(readable.columns), readable.itertuples(index=False))
