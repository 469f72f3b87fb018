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

Until it is sent, what the partner enters is also kept by the page in its browser tab (a
*draft*, :meth:`QuestionnaireApp.draft`), so that a page reloaded after losing its kernel
(a laptop asleep, the system stopping the kernel) takes it back
(:meth:`QuestionnaireApp.restore_draft`); the page's side is the Voila template's
``connection.html.j2``.
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
from collective_impact.apps.params import waits_for_request
from collective_impact.apps.questionnaire_frame import DONT_KNOW, LightField, QuestionnaireFrame
from collective_impact.apps.results import ResultsApp, partner_answers, results_page
from collective_impact.apps.submit import QuestionnaireAnswers, Receipt, submit_responses
from collective_impact.apps.widgets import (
    BusyButton,
    Field,
    TerritoryPicker,
    banner,
    draft_text,
    html_box,
    open_app,
    page_bundle,
    problem_text,
    read_draft,
)
from collective_impact.errors import CampaignError, CollectiveImpactError, InputError
from collective_impact.framework import Framework, load_framework
from collective_impact.i18n import LANGS, t
from collective_impact.i18n.format import clean_text, escape_html, format_count, format_date, format_number
from collective_impact.schema import MAX_TEXT
from collective_impact.store import Store

__all__ = ["DONT_KNOW", "QuestionnaireApp", "link_questionnaire", "new_reference", "questionnaire_app"]

#: The longest draft taken back from a page (characters): five comments at the schema's
#: limit and every answer fit with room to spare; anything longer is not a draft of ours.
MAX_DRAFT = 8 * MAX_TEXT + 4_000

# Babel reads a language's plural rules, number and date formats from disk on first use
# (a third of a second, more on a loaded machine): in a Voila preheated kernel this import
# runs before anyone opens the page, the questionnaire after the request; read them now.
for _lang in LANGS:
    format_count(0, "noun.answer", _lang), format_number(1.5, _lang), format_date(date(2026, 1, 1), _lang)


def new_reference(prefix: str = "R") -> str:
    """A fresh identifier such as ``R-3f9a2c1b7d4e5f60`` (64 random bits; fits the id pattern)."""
    return f"{prefix}-{secrets.token_hex(8)}"


class QuestionnaireApp:
    """The partners' self-assessment questionnaire.

    The first page shows the introduction, who answers (territory, wave, organisation;
    with a link, what the link says), a "Commencer" button and, below it, the first
    condition's items (radio buttons 1–5 and "ne sait pas"): a partner sees the first
    question without a click. Then one page per other condition and, with a link, a
    comment box on each, then review and send. Nothing is stored before "Envoyer"; then
    the answers go to the store in one transaction.

    What the partner waits for is the browser creating the first page's widget models,
    so the page is kept small: the other pages (conditions, review) are built when first
    shown, fixed facts (the link's, or a territory and wave given in the address) are text
    in one ``HTML`` widget, and the texts and radio buttons share one ``Layout`` and one
    style model (each widget would otherwise bring its own two). The widgets that depend on
    neither the store nor who answers come from a
    :class:`~collective_impact.apps.questionnaire_frame.QuestionnaireFrame`, which a Voila
    preheated kernel makes before the request (:func:`questionnaire_app`).

    Parameters
    ----------
    store
        The evaluation store.
    territory, wave
        From the address (open mode); a known territory and a wave of 1–99 are then fixed
        and shown as text; an unknown territory is flagged on a list to choose from.
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
    frame
        The widgets made beforehand
        (:class:`~collective_impact.apps.questionnaire_frame.QuestionnaireFrame`), used when
        made for the same framework and language and not used yet; otherwise a frame is made here.
    """

    def __init__(self, store: Store, *, territory: str | None = None, wave: int | None = None,
                 link: Link | None = None, framework: Framework | None = None, lang: str = "fr",
                 today: date | None = None, frame: QuestionnaireFrame | None = None) -> None:
        self.store = store
        self.lang = lang
        self.framework = fw = framework or (frame.framework if frame is not None else load_framework())
        if frame is None or frame.used or frame.framework is not fw or frame.lang != lang:
            frame = QuestionnaireFrame(fw, lang)
        frame.used = True
        self.frame = frame
        self.today = today
        self.link = link
        self.receipt: Receipt | None = None
        self.dont_know = frame.dont_know
        self._marked = False

        # -- who answers. With a link there is nothing to choose: no list of territories or
        # partners reaches the page, and no widget holds what is written where.
        self.territory: TerritoryPicker | None = None
        self.wave: widgets.BoundedIntText | None = None
        self.organisation: widgets.Dropdown | None = None
        self._fixed_territory: str | None = None
        self._fixed_wave: int | None = None
        self._previous: dict[str, int | None] = {}
        self._previous_comments: dict[str, str] = {}
        #: what a draft brought back (:meth:`restore_draft`) for the pages not built yet
        self._drafted: dict[str, int] = {}
        self._drafted_comments: dict[str, str] = {}
        self.restored_note: widgets.HTML | None = None
        self._restoring = False
        fields: list[widgets.Widget] = []
        if link is not None:
            self.respondent_id = link.respondent
            self._previous, self._previous_comments = partner_answers(store, link)
            self.link_names = self._link_names(store, link)
        else:
            self.respondent_id = new_reference("R")
            self._names = names = store.territory_names()
            if territory in names:
                self._fixed_territory = territory
            else:
                self.territory = TerritoryPicker(names, territory=territory, lang=lang)
                fields.append(self.territory.box)
            if wave is not None and 1 <= wave <= 99:
                self._fixed_wave = wave
            else:
                self.wave = widgets.BoundedIntText(value=self._latest_wave(self._territory_id()), min=1, max=99,
                                                   layout=widgets.Layout(width="7rem"),
                                                   style=frame.input_style)
                self.wave_field = LightField(self._html, frame.wide, t("forms.q.wave", lang), self.wave,
                                              help=t("forms.q.wave_help", lang))
                fields.append(self.wave_field.box)
            # the partners of the territory given, when it is: offered at once (options set
            # after the list is made would be one message more for the page)
            options = self._organisation_options(self._territory_id())
            self.organisation = widgets.Dropdown(options=options, value="",
                                                 layout=widgets.Layout(width="100%", max_width="30rem"),
                                                 style=frame.input_style)
            self.organisation_field = LightField(self._html, frame.wide, t("forms.q.organisation", lang),
                                                  self.organisation, help=t("forms.q.organisation_help", lang))
            if not names:
                fields.insert(0, self._html(banner(t("forms.no_territory", lang), "error")))
            fields.append(self.organisation_field.box)
        self.head = frame.head
        self.head.value = self._head_html(full=True)
        self.start_button = frame.start_button
        self.start_button.on_click(lambda _: self.start())
        #: what the first page shows above the questions: the fields to fill and "Commencer"
        self.about = frame.about
        self.about.children = [*fields, self.start_button]

        # -- one page per condition (the first one's in the frame), then review and send
        self.radios: dict[str, widgets.RadioButtons] = {}
        self.item_boxes: dict[str, widgets.VBox] = {}
        #: item id → the text above its radio buttons, and under it "Réponse manquante" once flagged
        self.item_texts: dict[str, widgets.HTML] = {}
        self.item_number = frame.item_number
        #: condition index → the message at the top of its page (pages built only)
        self.page_messages: dict[int, widgets.HTML] = {}
        #: condition id → its comment box (with a link only: the comments go with the link's answers)
        self.comment_fields: dict[str, Field] = {}
        self.review: widgets.HTML | None = None
        self.send_button: widgets.Button | None = None
        self.status: widgets.HTML | None = None
        self.done: widgets.HTML | None = None
        self.edit_button: widgets.Button | None = None

        first = self._build_condition(0)  # the steps' first page, in the frame
        pages = [first, *(lambda i=i: self._build_condition(i) for i in range(1, len(fw.conditions))),
                 self._build_review]
        self.progress = frame.progress
        self._update_progress()
        self.steps = frame.steps
        self.steps.set_pages(pages, guard=self._guard)
        self.steps.observe(self._on_page)
        self.widget = frame.widget

        if self.territory is not None:
            self.territory.observe(self._on_territory)
        for control in (self.wave, self.organisation):
            if control is not None:
                control.observe(lambda _: self._save_draft(), names="value")
        self.draft_out = frame.draft_out
        self.draft_in = frame.draft_in
        self.draft_in.observe(lambda change: self.restore_draft(change["new"]), names="value")

    def _html(self, text: str = "") -> widgets.HTML:
        """An ``HTML`` widget with the app's shared layout and style (``text`` is HTML)."""
        return self.frame.html(text)

    def _repr_mimebundle_(self, **kwargs):
        if self.link is not None and not self._marked:
            self._marked = True
            # "opened" only helps the evaluator's follow-up: a store that cannot record it
            # must not keep the partner from answering (sending says if the store is down)
            with contextlib.suppress(CollectiveImpactError):
                mark_opened(self.store, self.link)
        return page_bundle(self.widget, t("forms.q.title", self.lang))

    # ------------------------------------------------------------ who answers
    @staticmethod
    def _link_names(store: Store, link: Link) -> tuple[str, str]:
        """The link's territory and structure names (the structure's only, not the list)."""
        territory = store.territory_names().get(link.territory_id) or link.territory_id
        mine = store.partner_names(link.territory_id).get(link.partner_id, "") if link.partner_id else ""
        return territory, mine

    def _head_html(self, *, full: bool) -> str:
        """The title; with ``full``, the introduction and what is fixed about who answers."""
        lang = self.lang
        text = f"<h2>{escape_html(t('forms.q.title', lang))}</h2>"
        if not full:
            return text
        fw = self.framework
        intro = t("forms.q.intro", lang, n=len(fw.items), conditions=len(fw.conditions), dont_know=self.dont_know)
        text += f"<p>{escape_html(intro)}</p><p class='ci-help'>{escape_html(t('forms.q.privacy', lang))}</p>"
        rows = []
        if self.link is not None:
            territory, organisation = self.link_names
            rows = [(t("forms.territory", lang), territory), (t("forms.q.wave", lang), str(self.link.wave))]
            if organisation:
                rows.append((t("forms.q.organisation", lang), organisation))
        else:
            if self._fixed_territory is not None:
                rows.append((t("forms.territory", lang), self._territory_name()))
            if self._fixed_wave is not None:
                rows.append((t("forms.q.wave", lang), str(self._fixed_wave)))
        text += "".join(f"<div class='ci-field'><div class='ci-field-label'>{escape_html(label)}</div>"
                        f"<div>{escape_html(value)}</div></div>" for label, value in rows)
        if self.link is not None:
            closes = format_date(self.link.closes, lang)
            text += f"<p>{escape_html(t('questionnaire.link.until', lang, closes=closes))}</p>"
            if self._previous:
                text += banner(t("questionnaire.link.again", lang, closes=closes), "ok")
        return text

    def _show_intro(self, show: bool) -> None:
        self.head.value = self._head_html(full=show)
        self.about.layout.display = None if show else "none"

    def start(self) -> bool:
        """What "Commencer" does: check who answers, then fold the introduction away.

        The first questions are then at the top of the page; returns whether they are.
        """
        if not self._check_who():
            return False
        self._show_intro(False)
        return True

    def _territory_id(self) -> str | None:
        if self.link is not None:
            return self.link.territory_id
        return self._fixed_territory if self.territory is None else self.territory.value

    def _territory_name(self) -> str:
        if self.link is not None:
            return self.link_names[0]
        return self._names.get(self._territory_id() or "", "")

    def _wave_value(self) -> int:
        if self.link is not None:
            return self.link.wave
        return self._fixed_wave if self.wave is None else int(self.wave.value)

    # ------------------------------------------------------------ building
    def _build_condition(self, index: int) -> widgets.VBox:
        lang = self.lang
        condition = self.framework.conditions[index]
        page, self.page_messages[index], items = self.frame.condition(index)
        for item_id, (text, radios, box) in items.items():
            radios.value = self._initial(item_id)
            radios.observe(self._answered(item_id), names="value")
            self.item_texts[item_id] = text
            self.radios[item_id] = radios
            self.item_boxes[item_id] = box
        if self.link is not None:
            typed = self._drafted_comments.get(condition.id, self._previous_comments.get(condition.id, ""))
            text = widgets.Textarea(value=typed, rows=3, layout=widgets.Layout(width="100%", max_width="40rem"))
            field = Field(t("questionnaire.comment.label", lang), text,
                          help=t("questionnaire.comment.help", lang, max=format_number(MAX_TEXT, lang, decimals=0)))
            text.observe(lambda _, f=field: (f.set_error(None), self._save_draft()), names="value")
            self.comment_fields[condition.id] = field
            page.children = (*page.children, field.box)
        return page

    def _build_review(self) -> widgets.VBox:
        lang = self.lang
        self.review = self._html()
        self.review_buttons = widgets.VBox(layout=self.frame.wide)
        self.send_button = widgets.Button(description=t("forms.q.send", lang), button_style="success", icon="check",
                                          layout=widgets.Layout(width="auto", margin="0.8rem 0"))
        self.send_button.on_click(self._on_send)
        self._sending = BusyButton(self.send_button, t("forms.sending", lang))
        self.status = self._html()
        return widgets.VBox([self.review, self.review_buttons, self.send_button, self.status], layout=self.frame.wide)

    def _item_html(self, item_id: str, *, flagged: bool = False) -> str:
        return self.frame.item_html(item_id, flagged=flagged)

    def _initial(self, item_id: str) -> int | None:
        """The value shown first: a draft's, else the partner's stored answer (with a link), else none."""
        if item_id in self._drafted:
            return self._drafted[item_id]
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
    def _organisation_options(self, territory: str | None) -> list[tuple[str, str]]:
        """The structures offered: "without saying" first, then the territory's partners."""
        options = [(t("forms.q.anonymous", self.lang), "")]
        if territory is not None:
            options += [(name, partner_id) for partner_id, name in self.store.partner_names(territory).items()]
        return options

    def _latest_wave(self, territory: str | None) -> int:
        """The wave proposed: the territory's latest one started (most of the time, the one being collected)."""
        # its number only: the page is built after the request, the answers are not read
        waves = self.store.waves(territory) if territory is not None else []
        return waves[-1] if waves else 1

    def _on_territory(self, territory: str | None) -> None:
        """Offer the territory's partners; propose its latest wave unless the address fixed one."""
        options = self._organisation_options(territory)
        if territory is not None:
            if self.wave is not None:
                self.wave.value = self._latest_wave(territory)
            if self.territory is not None:
                self.territory.field.set_error(None)
        self.organisation.options = options
        self.organisation.value = ""
        self._save_draft()

    def _answered(self, item_id: str) -> Callable[[dict], None]:
        def callback(change: dict) -> None:
            if change["new"] is not None:
                self.item_texts[item_id].value = self._item_html(item_id)
                self.item_boxes[item_id].remove_class("ci-missing")
            self._update_progress()
            self._save_draft()
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
        texts = {**self._previous_comments, **self._drafted_comments, **typed} if self.link is not None else {}
        cleaned = {cid: clean_text(text, multiline=True) for cid, text in texts.items()}
        return {cid: text for cid, text in cleaned.items() if text}

    def comment(self, condition_id: str) -> widgets.Textarea:
        """The comment box of a condition (its page is built if it was not yet); with a link only."""
        if condition_id not in self.comment_fields:
            self.steps.page(self.framework.condition_ids.index(condition_id))
        return self.comment_fields[condition_id].control

    def missing(self) -> list[str]:
        """Ids of the items without an answer, in questionnaire order."""
        return [item_id for item_id, value in self.answers().items() if value is None]

    def _condition_page(self, item_id: str) -> int:
        for i, condition in enumerate(self.framework.conditions):
            if any(item.id == item_id for item in condition.items):
                return i
        raise KeyError(item_id)

    def _flag(self, item_ids: Iterable[str]) -> None:
        for item_id in item_ids:
            self.radio(item_id)
            self.item_texts[item_id].value = self._item_html(item_id, flagged=True)
            self.item_boxes[item_id].add_class("ci-missing")

    # ------------------------------------------------------------ navigation
    def _guard(self, current: int, target: int) -> bool:
        if current == 0 and target > 0:
            return self._check_who()
        return True

    def _check_who(self) -> bool:
        """Whether territory and wave are known (always, with a link: they are the link's)."""
        territory_ok = self.territory is None or self.territory.check()
        return (self.wave is None or self._check_wave()) and territory_ok

    def _check_wave(self) -> bool:
        if not 1 <= (self.wave.value or 0) <= 99:
            self.wave_field.set_error(t("validation.wave_range", self.lang, min=1, max=99))
            return False
        self.wave_field.set_error(None)
        return True

    def _on_page(self, old: int, new: int) -> None:
        self._show_intro(new == 0)
        conditions = self.framework.conditions
        if old < len(conditions) and new > old:
            # leaving a page forward with unanswered items: mark them for when the partner
            # comes back, without holding them up (they may want to think it over)
            answers = self.answers()
            missing = [i.id for i in conditions[old].items if answers[i.id] is None]
            self._flag(missing)
            self.page_messages[old].value = (
                banner(t("forms.q.page_missing", self.lang, n=format_count(len(missing), "noun.question", self.lang)), "error") if missing else "")
        if new == len(self.steps) - 1:
            self._refresh_review()

    def _organisation_name(self) -> str:
        if self.link is not None:
            return self.link_names[1] or t("forms.q.anonymous", self.lang)
        return {value: label for label, value in self.organisation.options}.get(self.organisation.value, "")

    def _refresh_review(self) -> None:
        lang = self.lang
        who = t("forms.q.review_who", lang, territory=self._territory_name(), wave=self._wave_value(),
                organisation=self._organisation_name())
        self.review.value = (f"<p>{escape_html(t('forms.q.review_intro', lang, send=t('forms.q.send', lang)))}</p>"
                             f"<p><b>{escape_html(who)}</b></p>")
        answers = self.answers()
        rows = []
        button_layout = widgets.Layout(width="auto")
        row_layout = widgets.Layout(flex_flow="row wrap", align_items="center", justify_content="space-between",
                                    width="100%")
        for i, condition in enumerate(self.framework.conditions):
            ids = [item.id for item in condition.items]
            missing = [self.item_number[x] for x in ids if answers[x] is None]
            text = t("forms.q.review_part", lang, label=condition.label(lang),
                     n=format_count(len(ids) - len(missing), "noun.answer", lang),
                     total=len(ids))
            if missing:
                text += " — " + t("forms.q.review_missing", lang, items=", ".join(map(str, missing)))
            css, mark = ("ci-error", "⚠") if missing else ("ci-ok", "✓")
            button = widgets.Button(description=t("forms.q.go_to", lang), layout=button_layout)
            button.on_click(lambda _, page=i: self.steps.go(page))
            # 100%: the text takes the whole row, its button goes under it
            text_box = html_box(f'<span class="{css}">{mark}</span> {escape_html(text)}', width="100%")
            rows.append(widgets.HBox([text_box, button], layout=row_layout))
        self.review_buttons.children = rows

    # ------------------------------------------------------------ the draft kept across a reload
    def draft(self) -> dict[str, object]:
        """What the partner has entered so far, as the page keeps it (JSON-ready).

        ``answers`` (item id → 1–5 or :data:`DONT_KNOW`, answered items only); with a link,
        ``comments`` (condition id → text, the boxes built or restored); in open mode, what
        the partner chose of ``territory``, ``wave`` and ``organisation``. Nothing else: where
        the answers go stays the link's or the page's to decide.
        """
        draft: dict[str, object] = {"answers": {k: v for k, v in self.answers().items() if v is not None}}
        if self.link is not None:
            typed = {cid: field.control.value for cid, field in self.comment_fields.items()}
            draft["comments"] = {**self._drafted_comments, **typed}
        else:
            if self.territory is not None and self.territory.value:
                draft["territory"] = self.territory.value
            if self.wave is not None and self.wave.value is not None:
                draft["wave"] = int(self.wave.value)
            if self.organisation is not None and self.organisation.value:
                draft["organisation"] = self.organisation.value
        return draft

    def _save_draft(self) -> None:
        if self.receipt is None and not self._restoring:
            self.draft_out.value = draft_text(self.draft())

    def restore_draft(self, text: str) -> int:
        """Take back a draft the page kept (:meth:`draft`'s JSON); returns the number of answers restored.

        The text comes from the browser, so it is read as any input from outside: a text
        longer than :data:`MAX_DRAFT` or that is no JSON object is ignored; only known items
        with a value the radio buttons offer, comments (with a link) of known conditions, and
        (open mode) a territory, wave and structure the page offers are taken; the rest is
        left out. The pages not built yet get theirs when built. A line at the top says how
        many answers came back. Nothing is stored: the partner still sends.
        """
        draft = read_draft(text, MAX_DRAFT)
        if draft is None or self.receipt is not None:
            return 0
        self._restoring = True
        try:
            restored = self._restore(draft)
        finally:
            self._restoring = False
        lang = self.lang
        if self.restored_note is None:
            self.restored_note = self._html()
            children = self.widget.children
            self.widget.children = (children[0], self.restored_note, *children[1:])  # under the apps' style
        self.restored_note.value = banner(t("questionnaire.draft.restored", lang, send=t("forms.q.send", lang),
                                            n=format_count(restored, "noun.answer", lang)), "ok")
        self.draft_in.value = ""  # taken: a second page view does not bring it back twice
        self._save_draft()
        return restored

    def _restore(self, draft: dict) -> int:
        allowed = {value for _, value in self.frame.options}
        answers = draft.get("answers")
        restored = 0
        if isinstance(answers, dict):
            for item_id, value in answers.items():
                if item_id not in self.item_number or type(value) is not int or value not in allowed:
                    continue
                restored += 1
                if item_id in self.radios:
                    self.radios[item_id].value = value
                else:
                    self._drafted[item_id] = value
        comments = draft.get("comments")
        if self.link is not None and isinstance(comments, dict):
            for condition_id, value in comments.items():
                if condition_id not in self.framework.condition_ids or not isinstance(value, str):
                    continue
                if condition_id in self.comment_fields:
                    self.comment_fields[condition_id].control.value = value
                else:
                    self._drafted_comments[condition_id] = value
        if self.link is None:
            self._restore_who(draft)
        self._update_progress()
        return restored

    def _restore_who(self, draft: dict) -> None:
        """Open mode: the territory, wave and structure a draft chose, when the page offers them."""
        territory = draft.get("territory")
        if self.territory is not None and isinstance(territory, str) and territory in self._names:
            self.territory.value = territory
        wave = draft.get("wave")
        if self.wave is not None and type(wave) is int and 1 <= wave <= 99:
            self.wave.value = wave
        organisation = draft.get("organisation")
        if isinstance(organisation, str) and organisation in {value for _, value in self.organisation.options}:
            self.organisation.value = organisation

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
            territory_id=self._territory_id(), wave=self._wave_value(), respondent_id=self.respondent_id,
            partner_id=self.organisation.value or None, scores=scores, answered_on=self.today or date.today())

    def send(self) -> Receipt | None:
        """Check and store the answers, as the "Envoyer" button does.

        Returns the receipt, or ``None`` when something is to fix (shown next to the items
        or under the button) or when a click is already being handled.
        """
        self.steps.page(len(self.steps) - 1)  # the review page holds the button and the status line
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
            self._show_intro(True)  # where the fields to fix are (also when already on the first page)
            return None
        missing = self.missing()
        if missing:
            self._flag(missing)
            message = banner(t("forms.q.missing_total", lang, n=format_count(len(missing), "noun.answer", lang)), "error")
            self.status.value = message
            answers = self.answers()
            conditions = self.framework.conditions
            for i, page_message in self.page_messages.items():  # the pages built: those flagged, and any seen
                n = sum(answers[item.id] is None for item in conditions[i].items)
                page_message.value = banner(t("forms.q.page_missing", lang, n=format_count(n, "noun.question", lang)), "error") if n else ""
            first_page = self._condition_page(missing[0])
            self.page_messages[first_page].value = message
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
        self.draft_out.value = "{}"  # sent: the page forgets its draft (a reload is a new start)
        self.steps.widget.layout.display = "none"
        self.progress.layout.display = "none"
        self._show_intro(False)
        if self.done is None:
            # the end page's widgets, made when first needed (the first page stays small)
            self.done = self._html()
            self.edit_button = widgets.Button(description=t("questionnaire.edit", lang), icon="pencil",
                                              layout=widgets.Layout(width="auto", display="none"))
            self.edit_button.on_click(lambda _: self.edit())
            self.widget.children = (*self.widget.children, self.done, self.edit_button)
        again = ""
        if self.link is not None:
            again = f"<p>{escape_html(t('questionnaire.link.change', lang, closes=format_date(self.link.closes, lang)))}</p>"
            self.edit_button.layout.display = None
            self._previous = self.scores()  # what the store now holds: the first page says so
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
                self.steps.go(i, force=True)
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
        self.progress.layout.display = None
        self.steps.go(0, force=True)
        self._show_intro(True)  # also when the answers were sent from the first page


def link_questionnaire(store: Store, token: str, *, framework: Framework | None = None, lang: str = "fr",
                       today: date | None = None,
                       frame: QuestionnaireFrame | None = None) -> QuestionnaireApp | ResultsApp | widgets.Widget:
    """What a partner's personal link opens, the link resolved here in the kernel.

    An open link gives the questionnaire of its territory and wave, the partner's answers
    pre-filled; once the wave is closed (or past its closing date), the results; an
    unknown, malformed or revoked link, a message and no questionnaire. ``today`` decides
    whether the closing date is past (default: today). ``frame``: see :class:`QuestionnaireApp`.
    """
    link = resolve_link(store, token, today=today)
    if link is not None and link.state == "open":
        return QuestionnaireApp(store, link=link, framework=framework, lang=lang, today=today, frame=frame)
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

    In a Voila preheated kernel, which waits here for the request, the widgets that depend
    neither on the store nor on the request are made meanwhile, in French
    (:class:`~collective_impact.apps.questionnaire_frame.QuestionnaireFrame`): after the
    request, the kernel makes the rest only. A page in another language, or one without a
    questionnaire, closes them.
    """
    frame = QuestionnaireFrame(framework or load_framework()) if query is None and waits_for_request() else None

    def build(opened: Store, params) -> QuestionnaireApp | ResultsApp | widgets.Widget:
        ready = frame if frame is not None and frame.lang == params.lang else None
        if params.link is not None:
            return link_questionnaire(opened, params.link, framework=framework, lang=params.lang, today=today,
                                      frame=ready)
        return QuestionnaireApp(opened, territory=params.territory, wave=params.wave, framework=framework,
                                lang=params.lang, today=today, frame=ready)

    app = open_app(build, store=store, query=query, title="forms.q.title", unavailable="forms.store_unavailable")
    if frame is not None and not frame.used:
        frame.close()
    return app
