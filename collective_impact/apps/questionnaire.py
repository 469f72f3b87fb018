"""The partners' self-assessment questionnaire (``notebooks/apps/questionnaire.ipynb``).

:func:`questionnaire_app` is what the notebook calls. :class:`QuestionnaireApp` asks the
framework's items one condition per page, then stores the answers in one transaction. It
opens in one of two modes:

* **a partner's personal link** (``?lien=TOKEN``): the token is resolved here, in the
  kernel (:func:`~collective_impact.apps.campaigns.resolve_link`); territory, wave,
  structure and respondent come from the link only, never from a widget, so that a crafted
  widget message cannot write anywhere else. Each condition page has a comment box; the
  partner's last answers and comments come back pre-filled, and "Envoyer" replaces them
  (:func:`~collective_impact.apps.campaigns.record_answers`) until the wave closes. Once
  it is closed the link shows the results (:mod:`collective_impact.apps.results`); an
  unknown or revoked link shows a message and no questionnaire;
* **open** (no link, the evaluator's own server): territory, wave and structure are chosen
  on the first page (``?territoire=ID&vague=2`` fixes the first two) and every sending is a
  new respondent (:func:`~collective_impact.apps.submit.submit_responses`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterable
from datetime import date

import ipywidgets as widgets
import pandas as pd

from collective_impact.apps.campaigns import Link, mark_opened, record_answers, resolve_link
from collective_impact.apps.results import ResultsApp, partner_answers, results_page
from collective_impact.apps.submit import QuestionnaireAnswers, Receipt, submit_responses
from collective_impact.apps.widgets import (
    BusyButton,
    Field,
    Steps,
    TerritoryPicker,
    app_container,
    banner,
    html_box,
    open_app,
    problem_text,
)
from collective_impact.errors import CampaignError, CollectiveImpactError, InputError
from collective_impact.framework import Framework, load_framework
from collective_impact.i18n import t
from collective_impact.i18n.format import clean_text, escape_html, format_count, format_date, format_number
from collective_impact.schema import MAX_TEXT
from collective_impact.store import Store

__all__ = ["DONT_KNOW", "QuestionnaireApp", "link_questionnaire", "new_reference", "questionnaire_app"]

#: The value of the "ne sait pas / sans objet" radio button (stored as a blank score).
DONT_KNOW = 0


def new_reference(prefix: str = "R") -> str:
    """A fresh identifier such as ``R-3f9a2c1b7d4e5f60`` (64 random bits; fits the id pattern)."""
    return f"{prefix}-{secrets.token_hex(8)}"


class QuestionnaireApp:
    """The partners' self-assessment questionnaire.

    Pages: about you (territory, wave, organisation; with a link, what the link says), one
    page per condition with the items (radio buttons 1–5 and "ne sait pas") and, with a
    link, a comment box, then review and send. Nothing is stored before "Envoyer"; then
    the answers go to the store in one transaction.

    The pages of the conditions are built when first shown: the browser then creates the
    widgets of the first page only, which is what the partner waits for.

    Parameters
    ----------
    store
        The evaluation store.
    territory, wave
        From the address (open mode); the territory is then fixed, the wave pre-filled.
    link
        A partner's resolved, open personal link: territory, wave, structure and respondent
        are the link's (``territory`` and ``wave`` are then ignored), the partner's stored
        answers and comments are shown, and sending replaces them.
    framework
        The framework whose items are asked (default: the package's default).
    lang
        Language of everything shown.
    today
        The answer date (default: today).
    """

    def __init__(self, store: Store, *, territory: str | None = None, wave: int | None = None,
                 link: Link | None = None, framework: Framework | None = None, lang: str = "fr",
                 today: date | None = None) -> None:
        self.store = store
        self.lang = lang
        self.framework = fw = framework or load_framework()
        self.today = today
        self.link = link
        self.receipt: Receipt | None = None
        self.dont_know = fw.dont_know(lang)
        self._marked = False
        intro = t("forms.q.intro", lang, n=len(fw.items), conditions=len(fw.conditions), dont_know=self.dont_know)
        about = [html_box(f"<p>{escape_html(intro)}</p><p class='ci-help'>{escape_html(t('forms.q.privacy', lang))}</p>")]

        # -- page 0: about you. With a link there is nothing to choose: no list of
        # territories or partners reaches the page, and no widget holds what is written where.
        self.territory: TerritoryPicker | None = None
        self.wave: widgets.BoundedIntText | None = None
        self.organisation: widgets.Dropdown | None = None
        self._previous: dict[str, int | None] = {}
        self._previous_comments: dict[str, str] = {}
        if link is not None:
            self.respondent_id = link.respondent
            self._previous, self._previous_comments = partner_answers(store, link)
            self.link_names = self._link_names(store, link)
            self.link_box = html_box(self._link_html())
            about.append(self.link_box)
        else:
            self.respondent_id = new_reference("R")
            names = store.territory_names()
            self.territory = TerritoryPicker(names, territory=territory, lang=lang)
            self.wave = widgets.BoundedIntText(value=wave or 1, min=1, max=99, layout=widgets.Layout(width="7rem"))
            self.wave_field = Field(t("forms.q.wave", lang), self.wave, help=t("forms.q.wave_help", lang))
            self._wave_from_link = wave is not None
            if self._wave_from_link:
                self.wave_field.control.layout.display = "none"
                self.wave_field.help.value = f"<div>{wave}</div>"
            self.organisation = widgets.Dropdown(layout=widgets.Layout(width="100%", max_width="30rem"))
            self.organisation_field = Field(t("forms.q.organisation", lang), self.organisation,
                                            help=t("forms.q.organisation_help", lang))
            if not names:
                about.append(html_box(banner(t("forms.no_territory", lang), "error")))
            about += [self.territory.box, self.wave_field.box, self.organisation_field.box]
        about_page = widgets.VBox(about, layout=widgets.Layout(width="100%"))

        # -- one page per condition, built on first display
        labels = fw.scale_labels.get(lang) or fw.scale_labels["fr"]
        self._options = [(f"{i} – {label}", i)
                         for i, label in zip(range(fw.scale_min, fw.scale_max + 1), labels, strict=True)]
        self._options.append((self.dont_know, DONT_KNOW))
        self.radios: dict[str, widgets.RadioButtons] = {}
        self.item_boxes: dict[str, widgets.VBox] = {}
        self.item_errors: dict[str, widgets.HTML] = {}
        self.item_number = {item.id: n for n, item in enumerate(fw.items, start=1)}
        self.page_messages = [html_box() for _ in fw.conditions]
        #: condition id → its comment box (with a link only: the comments go with the link's answers)
        self.comment_fields: dict[str, Field] = {}

        # -- review and send
        self.review = html_box()
        self.review_buttons = widgets.VBox(layout=widgets.Layout(width="100%"))
        self.send_button = widgets.Button(description=t("forms.q.send", lang), button_style="success", icon="check",
                                          layout=widgets.Layout(width="auto", margin="0.8rem 0"))
        self.send_button.on_click(self._on_send)
        self._sending = BusyButton(self.send_button, t("forms.sending", lang))
        self.status = html_box()
        review_page = widgets.VBox([self.review, self.review_buttons, self.send_button, self.status],
                                   layout=widgets.Layout(width="100%"))

        titles = [t("forms.q.about_you", lang), *(c.label(lang) for c in fw.conditions), t("forms.q.review", lang)]
        pages = [about_page, *(lambda i=i: self._build_condition(i) for i in range(len(fw.conditions))), review_page]
        self.steps = Steps(titles, pages, guard=self._guard, lang=lang)
        self.steps.next_button.description = t("forms.q.start", lang)
        self.steps.observe(self._on_page)
        self.progress = widgets.Label()
        self.progress.layout.display = "none"
        self._update_progress()
        self.done = html_box()
        self.edit_button = widgets.Button(description=t("questionnaire.edit", lang), icon="pencil",
                                          layout=widgets.Layout(width="auto", display="none"))
        self.edit_button.on_click(lambda _: self.edit())
        self.widget = app_container([html_box(f"<h2>{escape_html(t('forms.q.title', lang))}</h2>"), self.progress,
                                     self.steps.widget, self.done, self.edit_button])

        if self.territory is not None:
            self.territory.observe(self._on_territory)
            self._on_territory(self.territory.value)

    def _repr_mimebundle_(self, **kwargs):
        if self.link is not None and not self._marked:
            self._marked = True
            # "opened" only helps the evaluator's follow-up: a store that cannot record it
            # must not keep the partner from answering (sending says if the store is down)
            with contextlib.suppress(CollectiveImpactError):
                mark_opened(self.store, self.link)
        return self.widget._repr_mimebundle_(**kwargs)

    # ------------------------------------------------------------ the link's partner
    @staticmethod
    def _link_names(store: Store, link: Link) -> tuple[str, str]:
        """The link's territory and structure names (the structure's only, not the list)."""
        territory = store.territory_names().get(link.territory_id) or link.territory_id
        partners = store.load(["partners"], territories=[link.territory_id])["partners"]
        mine = partners.loc[partners["partner_id"] == link.partner_id, "name"] if link.partner_id else []
        return territory, (str(mine.iloc[0]) if len(mine) else "")

    def _link_html(self) -> str:
        lang, link = self.lang, self.link
        territory, organisation = self.link_names
        rows = [(t("forms.territory", lang), territory), (t("forms.q.wave", lang), str(link.wave))]
        if organisation:
            rows.append((t("forms.q.organisation", lang), organisation))
        text = "".join(f"<div class='ci-field'><div class='ci-field-label'>{escape_html(label)}</div>"
                       f"<div>{escape_html(value)}</div></div>" for label, value in rows)
        closes = format_date(link.closes, lang)
        text += f"<p>{escape_html(t('questionnaire.link.until', lang, closes=closes))}</p>"
        if self._previous:
            text += banner(t("questionnaire.link.again", lang, closes=closes), "ok")
        return text

    # ------------------------------------------------------------ building
    def _build_condition(self, index: int) -> widgets.VBox:
        lang = self.lang
        condition = self.framework.conditions[index]
        children = [html_box(f"<h3>{escape_html(condition.label(lang))}</h3>"
                          f"<p class='ci-help'>{escape_html(condition.definition(lang))}</p>"),
                    self.page_messages[index]]
        for item in condition.items:
            radios = widgets.RadioButtons(options=self._options, value=self._initial(item.id),
                                          layout=widgets.Layout(width="auto"))
            radios.observe(self._answered(item.id), names="value")
            error = html_box()
            box = widgets.VBox([
                html_box(f"<div><b>{self.item_number[item.id]}.</b> {escape_html(item.text(lang))}</div>"
                      f"<div class='ci-help'>{escape_html(item.help(lang))}</div>"),
                radios, error], layout=widgets.Layout(width="100%"))
            box.add_class("ci-item")
            self.radios[item.id] = radios
            self.item_boxes[item.id] = box
            self.item_errors[item.id] = error
            children.append(box)
        if self.link is not None:
            text = widgets.Textarea(value=self._previous_comments.get(condition.id, ""), rows=3,
                                    layout=widgets.Layout(width="100%", max_width="40rem"))
            field = Field(t("questionnaire.comment.label", lang), text,
                          help=t("questionnaire.comment.help", lang, max=format_number(MAX_TEXT, lang, decimals=0)))
            text.observe(lambda _, f=field: f.set_error(None), names="value")
            self.comment_fields[condition.id] = field
            children.append(field.box)
        return widgets.VBox(children, layout=widgets.Layout(width="100%"))

    def _initial(self, item_id: str) -> int | None:
        """The value shown first: the partner's stored answer (with a link), else none."""
        if item_id not in self._previous:
            return None
        score = self._previous[item_id]
        return DONT_KNOW if score is None else score

    def radio(self, item_id: str) -> widgets.RadioButtons:
        """The radio buttons of an item (its page is built if it was not yet)."""
        if item_id not in self.radios:
            self.steps.page(self._condition_page(item_id))
        return self.radios[item_id]

    # ------------------------------------------------------------ state
    def _on_territory(self, territory: str | None) -> None:
        options = [(t("forms.q.anonymous", self.lang), "")]
        if territory is not None:
            tables = self.store.load(["partners", "responses"], territories=[territory])
            partners = tables["partners"].sort_values("name")
            options += [(str(row.name), str(row.partner_id)) for row in partners.itertuples()]
            if not self._wave_from_link:
                # the wave being collected is, most of the time, the latest one started
                waves = tables["responses"]["wave"]
                self.wave.value = int(waves.max()) if len(waves) else 1
            self.territory.field.set_error(None)
        self.organisation.options = options
        self.organisation.value = ""

    def _answered(self, item_id: str) -> Callable[[dict], None]:
        def callback(change: dict) -> None:
            if change["new"] is not None:
                self.item_errors[item_id].value = ""
                self.item_boxes[item_id].remove_class("ci-missing")
            self._update_progress()
        return callback

    def _update_progress(self) -> None:
        n = sum(value is not None for value in self.answers().values())
        self.progress.value = t("forms.q.answered", self.lang, n=format_count(n, "noun.answer", self.lang), total=len(self.item_number))

    def answers(self) -> dict[str, int | None]:
        """Item id → the chosen value (1–5 or :data:`DONT_KNOW`), ``None`` when unanswered."""
        return {item_id: (self.radios[item_id].value if item_id in self.radios else self._initial(item_id))
                for item_id in self.item_number}

    def comments(self) -> dict[str, str]:
        """Condition id → the comment typed (cleaned; conditions without one left out)."""
        typed = {cid: field.control.value for cid, field in self.comment_fields.items()}
        texts = {**self._previous_comments, **typed} if self.link is not None else {}
        cleaned = {cid: clean_text(text, multiline=True) for cid, text in texts.items()}
        return {cid: text for cid, text in cleaned.items() if text}

    def comment(self, condition_id: str) -> widgets.Textarea:
        """The comment box of a condition (its page is built if it was not yet); with a link only."""
        if condition_id not in self.comment_fields:
            self.steps.page(1 + self.framework.condition_ids.index(condition_id))
        return self.comment_fields[condition_id].control

    def missing(self) -> list[str]:
        """Ids of the items without an answer, in questionnaire order."""
        return [item_id for item_id, value in self.answers().items() if value is None]

    def _condition_page(self, item_id: str) -> int:
        for i, condition in enumerate(self.framework.conditions):
            if any(item.id == item_id for item in condition.items):
                return i + 1
        raise KeyError(item_id)

    def _flag(self, item_ids: Iterable[str]) -> None:
        message = t("forms.q.missing", self.lang, dont_know=self.dont_know)
        for item_id in item_ids:
            self.radio(item_id)
            self.item_errors[item_id].value = f'<div class="ci-error">⚠ {escape_html(message)}</div>'
            self.item_boxes[item_id].add_class("ci-missing")

    # ------------------------------------------------------------ navigation
    def _guard(self, current: int, target: int) -> bool:
        if current == 0 and target > 0:
            return self._check_who()
        return True

    def _check_who(self) -> bool:
        """Whether territory and wave are known (always, with a link: they are the link's)."""
        if self.link is not None:
            return True
        territory_ok = self.territory.check()
        return self._check_wave() and territory_ok

    def _check_wave(self) -> bool:
        if not 1 <= (self.wave.value or 0) <= 99:
            self.wave_field.set_error(t("validation.wave_range", self.lang, min=1, max=99))
            return False
        self.wave_field.set_error(None)
        return True

    def _on_page(self, old: int, new: int) -> None:
        self.steps.next_button.description = t("forms.q.start" if new == 0 else "forms.next", self.lang)
        self.progress.layout.display = "none" if new == 0 else None
        conditions = self.framework.conditions
        if 1 <= old <= len(conditions) and new > old:
            # leaving a page forward with unanswered items: mark them for when the partner
            # comes back, without holding them up (they may want to think it over)
            answers = self.answers()
            missing = [i.id for i in conditions[old - 1].items if answers[i.id] is None]
            self._flag(missing)
            self.page_messages[old - 1].value = (
                banner(t("forms.q.page_missing", self.lang, n=format_count(len(missing), "noun.question", self.lang)), "error") if missing else "")
        if new == len(self.steps) - 1:
            self._refresh_review()

    def _organisation_name(self) -> str:
        if self.link is not None:
            return self.link_names[1] or t("forms.q.anonymous", self.lang)
        return {value: label for label, value in self.organisation.options}.get(self.organisation.value, "")

    def _refresh_review(self) -> None:
        lang = self.lang
        if self.link is not None:
            territory, wave = self.link_names[0], self.link.wave
        else:
            territory, wave = self.territory.name, self.wave.value
        who = t("forms.q.review_who", lang, territory=territory, wave=wave, organisation=self._organisation_name())
        self.review.value = (f"<p>{escape_html(t('forms.q.review_intro', lang, send=t('forms.q.send', lang)))}</p>"
                             f"<p><b>{escape_html(who)}</b></p>")
        answers = self.answers()
        rows = []
        for i, condition in enumerate(self.framework.conditions):
            ids = [item.id for item in condition.items]
            missing = [self.item_number[x] for x in ids if answers[x] is None]
            text = t("forms.q.review_part", lang, label=condition.label(lang),
                     n=format_count(len(ids) - len(missing), "noun.answer", lang),
                     total=len(ids))
            if missing:
                text += " — " + t("forms.q.review_missing", lang, items=", ".join(map(str, missing)))
            css, mark = ("ci-error", "⚠") if missing else ("ci-ok", "✓")
            button = widgets.Button(description=t("forms.q.go_to", lang), layout=widgets.Layout(width="auto"))
            button.on_click(lambda _, page=i + 1: self.steps.go(page))
            # 100%: the text takes the whole row, its button goes under it
            text_box = html_box(f'<span class="{css}">{mark}</span> {escape_html(text)}', width="100%")
            rows.append(widgets.HBox([text_box, button],
                                     layout=widgets.Layout(flex_flow="row wrap", align_items="center",
                                                           justify_content="space-between", width="100%")))
        self.review_buttons.children = rows

    # ------------------------------------------------------------ sending
    def scores(self) -> dict[str, int | None]:
        """Item id → the score to store: 1–5, or ``None`` for "ne sait pas" (every item answered)."""
        return {item_id: (None if value == DONT_KNOW else int(value)) for item_id, value in self.answers().items()}

    def answer_frame(self) -> pd.DataFrame:
        """The answers as :func:`~collective_impact.apps.campaigns.record_answers` takes them."""
        scores = self.scores()
        return pd.DataFrame({"item_id": pd.array(list(scores), dtype="str"),
                             "score": pd.array(list(scores.values()), dtype="Int64")})

    def submission(self) -> QuestionnaireAnswers:
        """The answers as they stand, in open mode (every item must be answered)."""
        scores = self.scores()
        return QuestionnaireAnswers(
            territory_id=self.territory.value, wave=int(self.wave.value), respondent_id=self.respondent_id,
            partner_id=self.organisation.value or None, scores=scores, answered_on=self.today or date.today())

    def send(self) -> Receipt | None:
        """Check and store the answers, as the "Envoyer" button does.

        Returns the receipt, or ``None`` when something is to fix (shown next to the items
        or under the button) or when a click is already being handled.
        """
        return self._on_send(self.send_button)

    def _on_send(self, _button: widgets.Button) -> Receipt | None:
        if self.receipt is not None:
            return self.receipt  # already sent: a late second click changes nothing
        if not self._sending.acquire():
            return None  # a second click while the first one is being handled
        receipt = None
        try:
            receipt = self._send()
        finally:
            self._sending.release(enable=receipt is None)
        return receipt

    def _send(self) -> Receipt | None:
        lang = self.lang
        self.status.value = ""
        if not self._check_who():
            self.steps.go(0, force=True)
            return None
        missing = self.missing()
        if missing:
            self._flag(missing)
            message = banner(t("forms.q.missing_total", lang, n=format_count(len(missing), "noun.answer", lang)), "error")
            self.status.value = message
            answers = self.answers()
            for i, condition in enumerate(self.framework.conditions):
                n = sum(answers[item.id] is None for item in condition.items)
                self.page_messages[i].value = banner(t("forms.q.page_missing", lang, n=format_count(n, "noun.question", lang)), "error") if n else ""
            first_page = self._condition_page(missing[0])
            self.page_messages[first_page - 1].value = message
            self.steps.go(first_page, force=True)
            return None
        if not self._check_comments():
            return None
        try:
            if self.link is not None:
                # where the answers go is the link's alone (territory, wave, respondent):
                # nothing a widget holds can send them elsewhere
                rows = record_answers(self.store, self.link, self.answer_frame(), self.comments(), today=self.today,
                                      lang=lang)
                receipt = Receipt(self.respondent_id, rows)
            else:
                receipt = submit_responses(self.store, self.submission(), framework=self.framework, lang=lang)
        except InputError as err:
            items = "".join(f"<li>{escape_html(problem_text(p, lang))}</li>" for p in err.problems)
            self.status.value = (banner(t("forms.q.rejected", lang), "error") + f"<ul>{items}</ul>"
                                 + f"<p>{escape_html(t('forms.saved_elsewhere_hint', lang))}</p>")
            return None
        except CampaignError as err:
            # the link stopped taking answers since the page opened (closed, revoked): its
            # own words say why; what was typed stays on the page
            self.status.value = banner(str(err), "error")
            return None
        except CollectiveImpactError as err:
            self.status.value = banner(t("forms.store_failed", lang, detail=str(err)), "error")
            return None
        self.receipt = receipt
        self.steps.widget.layout.display = "none"
        self.progress.layout.display = "none"
        again = ""
        if self.link is not None:
            again = f"<p>{escape_html(t('questionnaire.link.change', lang, closes=format_date(self.link.closes, lang)))}</p>"
            self.edit_button.layout.display = None
            self._previous = self.scores()  # what the store now holds: the first page says so
            self.link_box.value = self._link_html()
        self.done.value = (banner(t("forms.q.thanks", lang), "ok")
                           + f"<p>{escape_html(t('forms.q.reference', lang, reference=receipt.reference))}</p>"
                           + again + f"<p>{escape_html(t('forms.q.close', lang))}</p>")
        return receipt

    def _check_comments(self) -> bool:
        """Show the first comment longer than the schema allows on its page; whether all fit."""
        for i, condition in enumerate(self.framework.conditions):
            field = self.comment_fields.get(condition.id)
            if field is not None and len(clean_text(field.control.value, multiline=True)) > MAX_TEXT:
                field.set_error(t("questionnaire.comment.too_long", self.lang,
                                  max=format_number(MAX_TEXT, self.lang, decimals=0)))
                self.status.value = banner(t("forms.fix_fields", self.lang), "error")
                self.steps.go(i + 1, force=True)
                return False
        return True

    def edit(self) -> None:
        """After sending with a link: show the questionnaire again, answers kept, to change them."""
        if self.link is None or self.receipt is None:
            return
        self.receipt = None
        self.done.value = ""
        self.edit_button.layout.display = "none"
        self.send_button.disabled = False
        self.steps.widget.layout.display = None
        self.steps.go(0, force=True)


def link_questionnaire(store: Store, token: str, *, framework: Framework | None = None, lang: str = "fr",
                       today: date | None = None) -> QuestionnaireApp | ResultsApp | widgets.Widget:
    """What a partner's personal link opens, the link resolved here in the kernel.

    An open link gives the questionnaire of its territory and wave, the partner's answers
    pre-filled; once the wave is closed (or past its closing date), the results; an
    unknown, malformed or revoked link, a message and no questionnaire. ``today`` decides
    whether the closing date is past (default: today).
    """
    link = resolve_link(store, token, today=today)
    if link is not None and link.state == "open":
        return QuestionnaireApp(store, link=link, framework=framework, lang=lang, today=today)
    return results_page(store, link, framework=framework, lang=lang, title=t("forms.q.title", lang))


def questionnaire_app(*, store: str | os.PathLike | Store | None = None, query: str | None = None,
                      framework: Framework | None = None,
                      today: date | None = None) -> QuestionnaireApp | ResultsApp | widgets.Widget:
    """The questionnaire as the Voila notebook shows it.

    The store is ``store`` or ``$COLLECTIVE_IMPACT_STORE``. With a personal link in the
    page's address (``?lien=TOKEN``), see :func:`link_questionnaire`; otherwise territory,
    wave and language come from the address (see
    :func:`~collective_impact.apps.params.request_params`). When the store cannot be
    opened, a panel explains why instead.
    """
    def build(opened: Store, params) -> QuestionnaireApp | ResultsApp | widgets.Widget:
        if params.link is not None:
            return link_questionnaire(opened, params.link, framework=framework, lang=params.lang, today=today)
        return QuestionnaireApp(opened, territory=params.territory, wave=params.wave, framework=framework,
                                lang=params.lang, today=today)

    return open_app(build, store=store, query=query, title="forms.q.title", unavailable="forms.store_unavailable")
