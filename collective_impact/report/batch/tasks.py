"""What a batch is made of: the tasks sent to workers, their results, the batch's result and its progress.

Plain frozen dataclasses: a :class:`Task` travels to another process or machine (paths are
absolute strings), a :class:`TaskResult` comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from collective_impact.paths import NOTEBOOKS_DIR

STATUSES = ("ok", "failed", "skipped", "cancelled")
#: File stem of the comparison report.
COMPARISON_NAME = "comparaison"
# Key of the comparison's rows in report_runs: not a valid territory id, so no territory
# can ever share it.
_COMPARISON_KEY = "*comparaison"


@dataclass(frozen=True)
class Task:
    """One notebook to run (a territory's, or the comparison), with everything a worker needs.

    Paths are absolute strings, so that a task can travel to another process or machine.
    ``notebook`` is the absolute path of a notebook, or the name of one of the package's
    own notebooks (``evaluation_territoire.ipynb``): each worker then runs its own
    installed copy, so that Dask workers need the package, not the checkout.
    """

    territory_id: str
    notebook: str
    parameters: dict
    out_dir: str
    title: str
    lang: str = "fr"
    kernel_name: str | None = None
    stem: str = ""  # file stem of the outputs; the territory id by default
    pdf: bool = False  # also print the HTML report to a PDF

    @property
    def name(self) -> str:
        return self.stem or self.territory_id

    @property
    def source(self) -> Path:
        """The notebook to run, found on the worker."""
        path = Path(self.notebook)
        return path if path.is_absolute() else NOTEBOOKS_DIR / path

    @property
    def notebook_path(self) -> Path:
        return Path(self.out_dir) / f"{self.name}.ipynb"

    @property
    def html_path(self) -> Path:
        return Path(self.out_dir) / f"{self.name}.html"

    @property
    def pdf_path(self) -> Path:
        return Path(self.out_dir) / f"{self.name}.pdf"

    @property
    def log_path(self) -> Path:
        return Path(self.out_dir) / "logs" / f"{self.name}.log"


@dataclass(frozen=True)
class TaskResult:
    """How a task ended.

    ``status`` is one of :data:`STATUSES`; ``error`` the first line of the error (empty
    when ok); ``notebook`` / ``html`` / ``pdf`` the files written (``None`` when not written);
    ``timings`` seconds spent in ``execute`` (kernel start and cells), ``cells`` (the
    cells alone, as papermill timed them), ``export`` (HTML) and ``pdf``.
    """

    territory_id: str
    status: str
    duration: float = 0.0
    error: str = ""
    notebook: str | None = None
    html: str | None = None
    attempts: int = 0
    timings: dict = field(default_factory=dict)
    pdf: str | None = None


@dataclass(frozen=True)
class BatchResult:
    """What a batch did: one result per territory (in order), the comparison, the files."""

    results: tuple[TaskResult, ...]
    comparison: TaskResult | None
    summary: Path
    index: Path
    interrupted: bool = False
    workbook: Path | None = None  # summary.xlsx


    @property
    def failed(self) -> tuple[TaskResult, ...]:
        """Territories whose notebook failed."""
        return tuple(r for r in self.results if r.status == "failed")

    @property
    def ok(self) -> bool:
        """True when nothing failed and nothing was interrupted."""
        comparison_ok = self.comparison is None or self.comparison.status in ("ok", "skipped")
        return not self.failed and not self.interrupted and comparison_ok

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


@dataclass(frozen=True)
class Progress:
    """How far a batch is, as given to ``run_batch(on_progress=...)``.

    ``done`` notebooks of ``total`` (the territories to run, then the comparison) have
    finished; ``result`` is the one that just finished (``None`` in the first call, made
    before any notebook runs), ``comparison`` whether it is the comparison's.
    ``running`` names the territories whose notebook runs now, ``comparison_running``
    whether the comparison's does (neither is known on a Dask cluster: empty, false);
    ``skipped`` names the territories whose report was already up to date, which do not run.
    """

    done: int
    total: int
    result: TaskResult | None = None
    comparison: bool = False
    running: tuple[str, ...] = ()
    comparison_running: bool = False
    skipped: tuple[str, ...] = ()


ProgressHandler = Callable[[Progress], None]
ResultHandler = Callable[[Task, TaskResult], None]
