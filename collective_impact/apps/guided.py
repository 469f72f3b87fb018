"""The guided evaluation (``notebooks/apps/evaluation.ipynb``): its steps, the evaluator's appraisals, the report.

:func:`evaluation_app` is what the notebook calls. The evaluator picks a territory and a
wave, then goes through the steps of the evaluation one page at a time
(:class:`EvaluationApp`). Each page shows a step of :mod:`collective_impact.report.steps`
(its introduction, blocks and conclusions, as the report does). On the five condition
steps a :class:`~collective_impact.apps.guided_judgment.JudgmentForm` records the
evaluator's own appraisal in the ``judgments`` table; the synthesis shows them beside the
computed bands; the last step produces the territory's report, HTML and PDF, in the page's
own kernel, and offers both for download
(:class:`~collective_impact.apps.guided_report.ReportPanel`).

The pages are built when first shown, behind a placeholder naming the step while their
figures are drawn; the next steps' figures are drawn ahead in the background
(:class:`EvaluationApp`'s notes). The appraisals typed and not saved are kept by the page
across a reload, and across the opening of another territory or wave
(:meth:`EvaluationApp.draft`, :meth:`EvaluationApp.restore_draft`).

Nothing here computes a metric or draws a figure: the steps' blocks do.
"""

from __future__ import annotations

import contextlib
import os
import threading
from datetime import date

import ipywidgets as widgets
import pandas as pd

# Imported now, not at the first page: in a Voila preheated kernel this runs before the
# request, so the evaluator does not wait for matplotlib and the metrics to load.
import collective_impact.plots.communication  # noqa: F401  (loads matplotlib, as every figure needs)
from collective_impact.apps.actions_panel import FOLLOW_UP_STEP, ActionsPanel
from collective_impact.apps.guided_judgment import JudgmentForm
from collective_impact.apps.guided_report import ReportPanel
from collective_impact.apps.widgets import (
    Steps,
    TerritoryWaveChooser,
    app_container,
    banner,
    draft_fields,
    draft_text,
    html_box,
    open_app,
    page_bundle,
    read_draft,
    spinner,
)
from collective_impact.errors import CollectiveImpactError
from collective_impact.framework import Framework, load_framework
from collective_impact.i18n import t
from collective_impact.i18n.format import escape_html, format_count
from collective_impact.report import steps as evaluation_steps
from collective_impact.report.blocks import Step, render_step
from collective_impact.report.bundle import TerritoryData, open_territory
from collective_impact.schema import MAX_TEXT
from collective_impact.store import Store

__all__ = ["EvaluationApp", "evaluation_app"]

#: Steps whose page shows what is stored when it is first shown (the action plan): never built ahead.
_NOT_AHEAD = (FOLLOW_UP_STEP,)
#: The most appraisals a draft kept by the page holds (the five conditions of a territory and
#: wave, and those left unsaved when the evaluator opened another): the oldest go first.
MAX_DRAFTED = 15
#: The longest draft taken back from a page (characters): that many appraisals with their
#: text at twice the schema's limit (what was typed, before the form says it is too long).
MAX_DRAFT = MAX_DRAFTED * (2 * MAX_TEXT + 600)


# ============================================================================ the guided evaluation
class EvaluationApp:
    """The guided evaluation of one territory: its steps, the evaluator's appraisals, the report.

    Parameters
    ----------
    store
        The evaluation store.
    territory, wave
        From the link (``?territoire=ID&vague=2``); otherwise chosen on the page.
    framework
        The framework (default: the package's default).
    lang
        Language of everything shown.
    today
        The date recorded with the appraisals (default: today).
    prefetch
        Draw the figures of the steps not shown yet in a background thread, the next step
        first, then the synthesis with the appraisals stored now, so that moving to a step
        shows it at once (the Voila app does; see :meth:`wait_prefetched`).

    Notes
    -----
    What is on the page always belongs to the step named in the header: moving to a step
    whose figures are not all drawn yet first shows a placeholder naming that step, with a
    moving sign, then the page, built as soon as the header names the step. Figures are
    drawn once per territory opened, one at a time (:attr:`lock`: matplotlib draws in one
    thread at a time), whether for the page, by the background thread or for the report; a
    page whose figures are all drawn is built without waiting for the one being drawn.
    Widgets are created and changed by the kernel's own thread only (see :meth:`_prefetch`).

    The appraisals typed and not saved are kept by the page as a draft (:meth:`draft`,
    :mod:`~collective_impact.apps.widgets.draft`): a page reloaded after losing its kernel
    gets them back (:meth:`restore_draft`), and so does a territory opened again after
    another one was opened without saving them.
    """

    def __init__(self, store: Store, *, territory: str | None = None, wave: int | None = None,
                 framework: Framework | None = None, lang: str = "fr", today: date | None = None,
                 prefetch: bool = False) -> None:
        self.store = store
        self.lang = lang
        self.framework = framework or load_framework()
        self.today = today
        self.data: TerritoryData | None = None
        self.step_list: list[Step] = []
        self.steps: Steps | None = None
        self.forms: dict[str, JudgmentForm] = {}
        self.outputs: dict[str, widgets.Output] = {}
        self.report: ReportPanel | None = None
        self.synthesis: Step | None = None  # the synthesis as last drawn
        self.evaluator_name = ""
        self._synthesis_judgments: pd.DataFrame | None = None
        self._warned: int | None = None
        self.prefetch = prefetch
        #: Held while a page, a figure or the report is built (one at a time, see the notes).
        self.lock = threading.RLock()
        self._pages: dict[int, widgets.Widget] = {}  # the pages built (shown, or built ahead)
        self._frames: dict[int, widgets.VBox] = {}  # what the steps widget shows per step (page or placeholder)
        self._pending: int | None = None  # the step whose placeholder shows, built once the header names it
        self._prepared: int | None = None  # the step the guard prepared, for the move under way
        #: The synthesis drawn ahead, with the appraisals it was drawn with.
        self._synthesis_ahead: tuple[pd.DataFrame, Step] | None = None
        self._opened = 0  # bumped by each opening: a background build of an earlier opening stops
        self._prefetcher: threading.Thread | None = None
        #: Appraisals typed and not saved, whose form is not on the page: (territory, wave,
        #: condition) → (band, justification, evaluator), put in their form when it is built.
        self._drafted: dict[tuple[str, int, str], tuple[str | None, str, str]] = {}
        self._restoring = False
        self.restored_note: widgets.HTML | None = None
        self.draft_out, self.draft_in = draft_fields()
        self.draft_in.observe(lambda change: self.restore_draft(change["new"]), names="value")

        self.chooser = TerritoryWaveChooser(store, territory=territory, wave=wave, lang=lang)
        self.body = widgets.VBox(layout=widgets.Layout(width="100%"))
        header = [html_box(f"<h2>{escape_html(t('guided.e.title', lang))}</h2><p>{escape_html(t('guided.e.intro', lang))}</p>")]
        if not store.territory_names():
            header.append(html_box(banner(t("forms.no_territory", lang), "error")))
        self.widget = app_container([*header, self.chooser.box, self.body, self.draft_out, self.draft_in])
        self.widget.add_class("ci-wide")  # room for the figures at their drawn width
        self.chooser.on_change = self.open
        self.open(self.chooser.territory, self.chooser.current_wave)

    def _repr_mimebundle_(self, **kwargs):
        return page_bundle(self.widget, t("guided.e.title", self.lang))

    # ------------------------------------------------------------ opening
    def open(self, territory: str | None, wave: int | None) -> None:
        """Show the evaluation of ``territory`` at ``wave`` from its first step.

        Opening takes seconds (the territory's metrics and synthesis): meanwhile a moving
        sign names the territory and wave being opened, in place of the previous one's
        pages (at the first opening nothing is shown yet, so nothing stands in).
        """
        self._opened += 1  # first: a page built ahead for the previous opening stops at its next check
        if territory is not None and self.body.children:
            self.body.children = [self._opening_sign(territory, wave)]
        # under the lock: a page of the previous opening being built ahead lands nowhere
        with self.lock:
            self._open(territory, wave)

    def _opening_sign(self, territory: str, wave: int | None) -> widgets.HTML:
        return html_box(self.chooser.opening_sign("speed.guided.opening", territory, wave))

    def _open(self, territory: str | None, wave: int | None) -> None:
        self._keep_unsaved()
        try:
            self._open_territory(territory, wave)
        finally:
            self._save_draft()

    def _open_territory(self, territory: str | None, wave: int | None) -> None:
        self.data, self.steps, self.report, self.synthesis = None, None, None, None
        self.forms, self.outputs = {}, {}
        self._pages, self._frames, self._pending, self._synthesis_ahead = {}, {}, None, None
        self.actions: ActionsPanel | None = None
        self._synthesis_judgments = None
        self._warned = None
        if territory is None:
            self.body.children = [html_box(banner(t("guided.choose", self.lang), "info"))]
            return
        try:
            self.data = open_territory(self.store.path, territory, lang=self.lang, wave=wave,
                                       framework=self.framework)
            self.step_list = [s for s in evaluation_steps.build_steps(self.data).values() if s.number]
        except CollectiveImpactError as err:
            self.data = None
            self.body.children = [html_box(banner(t("guided.open_failed", self.lang, detail=str(err)), "error"))]
            return
        self.report = ReportPanel(self.data, unsaved=self._unsaved_labels, lock=self.lock, drawn=self._drawn_steps)
        self.actions = ActionsPanel(self.store, self.data, lang=self.lang, today=self.today,
                                    on_changed=self.report.outdated)
        pages = [lambda index=index: self._frame(index) for index in range(len(self.step_list))]
        self.steps = Steps([step.title for step in self.step_list], pages, guard=self._guard, lang=self.lang,
                           menu=True)
        self.steps.observe(self._on_page)
        self._prepare(0)
        self.body.children = [self.steps.widget]
        self._fill_pending()
        self._start_prefetch()

    @property
    def step_ids(self) -> list[str]:
        return [step.id for step in self.step_list]

    # ------------------------------------------------------------ building the pages
    def _frame(self, index: int) -> widgets.VBox:
        """What the steps widget shows for step ``index``: a box holding its page or its placeholder."""
        frame = self._frames.get(index)
        if frame is None:
            frame = self._frames[index] = widgets.VBox(layout=widgets.Layout(width="100%"))
        return frame

    def _prepare(self, index: int) -> None:
        """Put in the frame of step ``index`` its page if it can be shown at once, else its placeholder.

        A page can be shown at once when it is built (and, for the synthesis, drawn with the
        appraisals stored now) or when every figure it needs is drawn already: building it
        is then quick. Otherwise the placeholder names the step and the page is built by
        :meth:`_fill_pending`, once the header names the step.
        """
        frame = self._frame(index)
        if self._needs_building(index) and not self._ready(index):
            frame.children = (self.placeholder(index),)
            self._pending = index
        else:
            self._fill(index)

    def _fill_pending(self) -> None:
        index, self._pending = self._pending, None
        if index is not None:
            self._fill(index)

    def _fill(self, index: int) -> None:
        """Build page ``index`` now if needed (the synthesis drawn again if the appraisals changed) and show it."""
        step = self.step_list[index]
        try:
            # a page whose figures are all drawn is built without the lock: building it draws
            # nothing, and the figure the background thread is drawing for another step took
            # up to 1.7 s on a slow 2-core machine (the wait was most of a step change)
            with contextlib.nullcontext() if self._drawn_already(index) else self.lock:
                if index not in self._pages:
                    self._pages[index] = self._build_page(step)
                elif step.id == evaluation_steps.SYNTHESIS_STEP:
                    self.refresh_synthesis()
            shown: widgets.Widget = self._pages[index]
        except Exception as err:  # noqa: BLE001 - said on the page, whatever failed, instead of a placeholder left
            shown = html_box(banner(t("guided.open_failed", self.lang, detail=str(err)), "error"))
        frame = self._frame(index)
        if frame.children != (shown,):
            frame.children = (shown,)

    def placeholder(self, index: int) -> widgets.Widget:
        """What stands for page ``index`` while it is built: its name and a moving sign."""
        text = t("speed.guided.preparing", self.lang, step=self.step_list[index].title)
        box = html_box(spinner(text, "ci-step-preparing", step=self.step_list[index].id))
        box.add_class("ci-step-placeholder")
        return box

    def _needs_building(self, index: int) -> bool:
        if self.step_list[index].id == evaluation_steps.SYNTHESIS_STEP and index in self._pages:
            # the synthesis is drawn again when the stored appraisals changed
            return not self._judgments().equals(self._synthesis_judgments)
        return index not in self._pages

    def _ready(self, index: int) -> bool:
        """Whether page ``index`` can be built at once: every figure it needs is drawn."""
        step = self.step_list[index]
        if step.id == evaluation_steps.SYNTHESIS_STEP:
            ahead = self._synthesis_ahead
            return ahead is not None and ahead[0].equals(self._judgments())
        return self._drawn_already(index)

    def _drawn_already(self, index: int) -> bool:
        """Whether showing page ``index`` needs nothing drawn: a step drawn ahead (not the synthesis,
        which is drawn again with the appraisals) whose figures are all drawn."""
        step = self.step_list[index]
        if step.id in (*_NOT_AHEAD, evaluation_steps.SYNTHESIS_STEP):
            return False
        return all(block.cached_image() is not None for block in step.blocks if block.kind == "figure")

    def _prefetch_order(self) -> list[int]:
        current = self.steps.index if self.steps is not None else 0
        # the next step first, then onwards, then back
        order = [*range(current + 1, len(self.step_list)), *range(0, current)]
        return [index for index in order
                if self.step_list[index].id not in (*_NOT_AHEAD, evaluation_steps.SYNTHESIS_STEP)]

    def _start_prefetch(self) -> None:
        if not self.prefetch or self.data is None:
            return
        if self._prefetcher is not None and self._prefetcher.is_alive() and self._prefetcher.opened == self._opened:
            return  # it reads the appraisals again after drawing the synthesis
        self._prefetcher = threading.Thread(target=self._prefetch, args=(self._opened,), name="ci-steps", daemon=True)
        self._prefetcher.opened = self._opened
        self._prefetcher.start()

    def _prefetch(self, opened: int) -> None:
        """Draw ahead the figures of the steps not shown yet, then the synthesis with the appraisals stored now.

        Only figures and steps (data): never a widget. A widget created or changed from
        this thread while the browser loads the page's widgets is lost to it (their states
        are asked all at once, and what changes meanwhile breaks the page, as seen in
        chromium: "widget model not found"); the pages are built by the kernel's own thread,
        when a step is shown.
        """
        try:
            for index in self._prefetch_order():
                for block in self.step_list[index].blocks:
                    if opened != self._opened:
                        return
                    if block.kind == "figure" and block.cached_image() is None:
                        with self.lock:
                            if opened != self._opened:
                                return
                            block.image()
            while opened == self._opened and self._draw_synthesis_ahead(opened):
                pass  # drawn: again if the appraisals changed meanwhile
        except Exception:  # noqa: BLE001 - the page shown builds it again and says what failed
            return

    def _draw_synthesis_ahead(self, opened: int) -> bool:
        """Draw the synthesis with the appraisals stored now unless drawn already; return whether it drew."""
        data = self.data
        if data is None or evaluation_steps.SYNTHESIS_STEP not in self.step_ids:
            return False
        judgments = self.store.load(["judgments"], territories=[data.territory_id])["judgments"]
        ahead = self._synthesis_ahead
        if ahead is not None and ahead[0].equals(judgments):
            return False
        with self.lock:
            if opened != self._opened:
                return False
            step = evaluation_steps.build_step(data, evaluation_steps.SYNTHESIS_STEP, judgments=judgments)
            for block in step.blocks:
                if block.kind == "figure":
                    block.image()
            self._synthesis_ahead = (judgments, step)
        return True

    def wait_prefetched(self, timeout: float = 120.0) -> bool:
        """Wait until the background thread has drawn every figure it draws; return whether it has."""
        thread = self._prefetcher
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def _build_page(self, step: Step) -> widgets.VBox:
        output = widgets.Output(layout=widgets.Layout(width="100%"))
        output.add_class(f"ci-step-{step.id}")
        self.outputs[step.id] = output
        if step.id not in (evaluation_steps.SYNTHESIS_STEP, FOLLOW_UP_STEP):
            render_step(step, output)
        children: list[widgets.Widget] = [output]
        if step.condition is not None:
            children.append(self._judgment_part(step.condition))
        if step.id == evaluation_steps.SYNTHESIS_STEP:
            # drawn with the appraisals stored now, not those of when the territory was opened
            self._synthesis_judgments = None
            self.refresh_synthesis()
            children.append(self.actions.points_box)
        if step.id == FOLLOW_UP_STEP:
            self.actions.show_in(output)  # drawn with the actions stored now, and again after each change
            children.append(self.actions.list_box)
        if step.id == self.step_list[-1].id:  # the last page shown (the glossary is not one)
            children.append(self.report.box)
        return widgets.VBox(children, layout=widgets.Layout(width="100%"))

    def _judgment_part(self, condition: str) -> widgets.Widget:
        data = self.data
        if data.wave is None:
            box = html_box(banner(t("guided.j.no_wave", self.lang), "info"))
            box.add_class("ci-judgment")
            return box
        form = JudgmentForm(self.store, territory=data.territory_id, wave=data.wave, condition=condition,
                            framework=self.framework, computed=data.metrics.condition_row(condition),
                            evaluator=self.evaluator_name, lang=self.lang, today=self.today,
                            on_saved=self._on_saved)
        self.forms[condition] = form
        self._take_drafted(form)
        for control in (form.band, form.justification, form.evaluator):
            control.observe(lambda _: self._save_draft(), names="value")
        return form.box

    # ------------------------------------------------------------ moving
    def form_on_page(self, index: int) -> JudgmentForm | None:
        """The appraisal form of page ``index``, if it has one and was shown."""
        condition = self.step_list[index].condition
        return self.forms.get(condition) if condition is not None else None

    def _guard(self, current: int, target: int) -> bool:
        form = self.form_on_page(current)
        if form is None or not form.changed() or self._warned == current:
            self._warned = None
            if self.steps is not None:
                # before the header changes, the page under it becomes the new step's (or
                # its placeholder, naming it, while it is built): never the previous step's
                # content under the new step's name
                self._prepare(target)
                self._prepared = target
                self.steps.body.children = (self._frame(target),)
            return True
        # once: a second move goes on (what was typed stays on the page)
        self._warned = current
        form.warn_unsaved()
        return False

    def _on_page(self, old: int, new: int) -> None:
        self._warned = None
        if self._prepared != new:  # a forced move (the guard not asked)
            self._prepare(new)
        self._prepared = None
        self._fill_pending()  # the header names the step: its page, if it was not ready
        self._start_prefetch()

    def refresh_synthesis(self) -> None:
        """Draw the synthesis again if the stored appraisals changed since it was drawn."""
        output = self.outputs.get(evaluation_steps.SYNTHESIS_STEP)
        if output is None or self.data is None:
            return
        judgments = self._judgments()
        if self._synthesis_judgments is not None and judgments.equals(self._synthesis_judgments):
            return
        with self.lock:
            ahead = self._synthesis_ahead
            if ahead is not None and ahead[0].equals(judgments):
                step = ahead[1]  # drawn ahead by the background thread
            else:
                step = evaluation_steps.build_step(self.data, evaluation_steps.SYNTHESIS_STEP, judgments=judgments)
            render_step(step, output)
        self.synthesis = step
        self._synthesis_judgments = judgments

    def _drawn_steps(self) -> dict[str, Step]:
        """The steps as drawn on the page (the synthesis as last drawn), by id."""
        steps = {step.id: step for step in self.step_list}
        if self.synthesis is not None:
            steps[self.synthesis.id] = self.synthesis
        return steps

    def _judgments(self) -> pd.DataFrame:
        return self.store.load(["judgments"], territories=[self.data.territory_id])["judgments"]

    def _on_saved(self, form: JudgmentForm) -> None:
        name = form.values()[2]
        if name:
            self.evaluator_name = name
            # forms built ahead, before the name was known, get it as a form built now would
            for other in self.forms.values():
                if other is not form and other.saved is None and not other.evaluator.value:
                    other.evaluator.value = name
        if self.report is not None:
            self.report.outdated()
        self._save_draft()  # saved: no longer kept by the page
        self._start_prefetch()  # the synthesis drawn ahead with this appraisal

    def _unsaved_labels(self) -> list[str]:
        return [self.framework.condition(c).label(self.lang) for c, form in self.forms.items() if form.changed()]

    # ------------------------------------------------------------ the draft kept across a reload
    def _form_key(self, form: JudgmentForm) -> tuple[str, int, str]:
        return form.territory, form.wave, form.condition

    def draft(self) -> dict[str, object]:
        """The appraisals typed and not saved, as the page keeps them (JSON-ready; ``{}``: none).

        ``appraisals``: a list of ``territory``, ``wave``, ``condition``, ``band`` (or
        ``None``), ``justification`` and ``evaluator`` as typed, the forms on the page and
        those kept from an earlier opening or draft (at most :data:`MAX_DRAFTED`, the latest);
        ``territory`` and ``wave``: the evaluation open, to open it again after a reload.
        """
        kept = self._unsaved()
        if not kept:
            return {}
        appraisals = [{"territory": territory, "wave": wave, "condition": condition, "band": band,
                       "justification": text, "evaluator": evaluator}
                      for (territory, wave, condition), (band, text, evaluator) in kept.items()]
        draft: dict[str, object] = {"appraisals": appraisals}
        if self.chooser.territory is not None and self.chooser.current_wave is not None:
            draft.update(territory=self.chooser.territory, wave=int(self.chooser.current_wave))
        return draft

    def _save_draft(self, *, force: bool = False) -> None:
        if self._restoring:
            return
        draft = self.draft()
        # nothing written while nothing was ever kept: a new page's "{}" would only stand in the
        # way of the draft the page is about to hand in (forced once that draft is read)
        if draft or self.draft_out.value or force:
            self.draft_out.value = draft_text(draft)

    def _unsaved(self) -> dict[tuple[str, int, str], tuple[str | None, str, str]]:
        """The drafted appraisals with those of the forms on the page not saved, the latest :data:`MAX_DRAFTED`."""
        kept = dict(self._drafted)
        for form in self.forms.values():
            key = self._form_key(form)
            kept.pop(key, None)
            if form.changed():
                kept[key] = form.typed()
        return dict(list(kept.items())[-MAX_DRAFTED:])

    def _keep_unsaved(self) -> None:
        """Before another opening: the appraisals of the forms on the page not saved go with the drafted ones."""
        self._drafted = self._unsaved()

    def _take_drafted(self, form: JudgmentForm) -> None:
        """Put in a form just built (before its changes are watched) what a draft kept for it."""
        kept = self._drafted.pop(self._form_key(form), None)
        if kept is not None:
            form.restore(*kept)

    def restore_draft(self, text: str) -> int:
        """Take back a draft the page kept (:meth:`draft`'s JSON); returns the number of appraisals taken.

        The text comes from the browser, so it is read as any input from outside: a text
        longer than :data:`MAX_DRAFT` or that is no JSON object is ignored, and so is every
        appraisal whose territory is not in the store, whose condition or band the framework
        does not have, whose wave is no whole number from 1 to 99, or whose texts are no
        strings or too long. The evaluation the draft had open is opened again if the page
        offers it (a territory fixed by the link stays). Each appraisal goes into its form
        when the form is built, marked as not saved; a line at the top says how many came
        back. Nothing is stored: the evaluator still saves each one.
        """
        if not text:
            return 0
        draft = read_draft(text, MAX_DRAFT)
        taken = 0 if draft is None else self._restore(draft)
        if taken:
            lang = self.lang
            if self.restored_note is None:
                self.restored_note = html_box()
                children = self.widget.children
                self.widget.children = (children[0], self.restored_note, *children[1:])  # under the apps' style
            self.restored_note.value = banner(t("guided.draft.restored", lang, save=t("guided.j.save", lang),
                                                n=format_count(taken, "noun.appraisal", lang)), "ok")
        self.draft_in.value = ""  # taken: a second page view does not bring it back twice
        self._save_draft(force=True)  # "{}" if nothing was taken: the page forgets what it kept
        return taken

    def _restore(self, draft: dict) -> int:
        appraisals = draft.get("appraisals")
        if not isinstance(appraisals, list):
            return 0
        territories = self.store.territory_names()
        conditions = set(self.framework.condition_ids)
        bands = set(self.framework.bands.order)
        taken: dict[tuple[str, int, str], tuple[str | None, str, str]] = {}
        for entry in appraisals[:MAX_DRAFTED]:
            if not isinstance(entry, dict):
                continue
            territory, wave, condition = entry.get("territory"), entry.get("wave"), entry.get("condition")
            band, text, evaluator = entry.get("band"), entry.get("justification", ""), entry.get("evaluator", "")
            if not (isinstance(territory, str) and territory in territories and type(wave) is int and 1 <= wave <= 99
                    and isinstance(condition, str) and condition in conditions
                    and (band is None or (isinstance(band, str) and band in bands))
                    and isinstance(text, str) and len(text) <= 2 * MAX_TEXT
                    and isinstance(evaluator, str) and len(evaluator) <= MAX_TEXT):
                continue
            taken[(territory, wave, condition)] = (band, text, evaluator)
        if not taken:
            return 0
        self._restoring = True
        try:
            self._drafted.update(taken)
            territory, wave = draft.get("territory"), draft.get("wave")
            if isinstance(territory, str) and type(wave) is int:
                self.chooser.select(territory, wave)  # opens it (on_change) if the page can
            for form in list(self.forms.values()):  # the forms built already
                self._take_drafted(form)
        finally:
            self._restoring = False
        return len(taken)


def evaluation_app(*, store: str | os.PathLike | Store | None = None, query: str | None = None,
                   framework: Framework | None = None) -> EvaluationApp | widgets.Widget:
    """The guided evaluation as the Voila notebook shows it.

    The store is ``store`` or ``$COLLECTIVE_IMPACT_STORE``; territory, wave and language
    come from the page's address (``?territoire=ID&vague=2&lang=en``). When the store
    cannot be opened, a panel explains why instead.
    """
    return open_app(lambda opened, params: EvaluationApp(opened, territory=params.territory, wave=params.wave,
                                                         framework=framework, lang=params.lang, prefetch=True),
                    store=store, query=query, title="guided.e.title", unavailable="guided.unavailable")
