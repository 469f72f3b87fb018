"""Tests of collective_impact.report.execute: notebooks run in real kernels against a real store file,
HTML checked for what a reader must (and must not) see."""

from __future__ import annotations

import html
import json
import re
import sys
from datetime import date
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from collective_impact.cli import main
from collective_impact.errors import RunError
from collective_impact.framework import load_framework
from collective_impact.i18n.format import format_date, format_number
from collective_impact.report.bundle import open_territory
from collective_impact.report.execute import (
    EVALUATION_NOTEBOOK,
    execute_notebook,
    is_kernel_start_failure,
    run_report,
)
from collective_impact.store import Store

DEMO_IDS = ("QPV-GARE", "QPV-HAUTS", "QPV-NORD", "RURAL-VAL")


def visible_text(page: str) -> str:
    """What a reader sees: the page without styles and tags, entities decoded."""
    page = re.sub(r"<style.*?</style>", " ", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def code_lines(nb) -> list[str]:
    """Distinctive lines of the code cells (long enough not to occur in prose by chance)."""
    return [line.strip() for cell in nb.cells if cell.cell_type == "code"
            for line in cell.source.splitlines() if len(line.strip()) > 12 and not line.strip().startswith("#")]


# --------------------------------------------------------------------------------------
# formatting (no kernel)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "lang", "expected"), [
    (date(2026, 10, 1), "fr", "1er octobre 2026"),
    (date(2026, 3, 15), "fr", "15 mars 2026"),
    (pd.Timestamp("2026-10-01"), "en", "1 October 2026"),
    (None, "fr", "—"),
])
def test_format_date(value, lang, expected):
    assert format_date(value, lang) == expected


def test_format_number():
    assert format_number(3.14159, "fr") == "3,14"
    assert format_number(3.14159, "en", decimals=1) == "3.1"
    assert format_number(float("nan"), "fr") == "—"


# --------------------------------------------------------------------------------------


def test_report_refuses_an_id_that_cannot_name_a_file(demo_store, tmp_path):
    with pytest.raises(RunError, match="non valide"):
        run_report("../evil", store_path=demo_store, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil.html").exists()


def test_report_command_unknown_territory_exits_1_with_the_list(demo_store, tmp_path, capsys):
    code = main(["report", "QPV-SUD", "--store", str(demo_store), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert "Territoire inconnu : « QPV-SUD »" in err
    assert all(territory_id in err for territory_id in DEMO_IDS)
    assert "Traceback" not in err
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------------------
# kernel start failures
# --------------------------------------------------------------------------------------


def test_kernel_start_failures_are_recognised():
    import zmq
    from papermill.exceptions import PapermillExecutionError

    assert is_kernel_start_failure(RuntimeError("Kernel died before replying to kernel_info"))
    try:
        try:
            raise zmq.ZMQError(98)  # EADDRINUSE
        except zmq.ZMQError as inner:
            raise RuntimeError("could not start") from inner
    except RuntimeError as outer:
        assert is_kernel_start_failure(outer)
    cell_error = PapermillExecutionError(0, 1, "x", "RuntimeError", "Kernel died before replying to kernel_info", [])
    assert not is_kernel_start_failure(cell_error)  # raised by a cell: never a start failure
    assert not is_kernel_start_failure(ValueError("Address"))


_FLAKY_KERNEL = '''
import json, socket, sys
from pathlib import Path

counter, fail_first, connection = Path(sys.argv[1]), sys.argv[2] == "1", sys.argv[-1]
launches = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(launches))
if fail_first and launches == 1:
    # Another process takes the shell port between the moment jupyter_client chose it and
    # the moment the kernel binds it: the real port collision of many kernels starting at once.
    info = json.loads(Path(connection).read_text())
    blocker = socket.socket()
    blocker.bind((info["ip"], info["shell_port"]))
    blocker.listen()
sys.argv = [sys.argv[0], "-f", connection]
from ipykernel.kernelapp import launch_new_instance
launch_new_instance()
'''


@pytest.fixture
def flaky_kernel(tmp_path, monkeypatch):
    """A kernelspec ``flaky`` whose first launch dies on a port collision (tcp transport)."""
    def make(fail_first: bool) -> Path:
        script = tmp_path / "flaky_kernel.py"
        script.write_text(_FLAKY_KERNEL, encoding="utf-8")
        counter = tmp_path / "launches.txt"
        spec = tmp_path / "share" / "jupyter" / "kernels" / "flaky"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, str(script), str(counter), "1" if fail_first else "0", "-f", "{connection_file}"],
            "display_name": "flaky", "language": "python"}), encoding="utf-8")
        monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
        return counter

    return make


def _tiny_notebook(path: Path, source: str) -> Path:
    nb = new_notebook(cells=[new_code_cell("x = 0", metadata={"tags": ["parameters"]}), new_code_cell(source)],
                      metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_kernel_port_collision_is_retried(tmp_path, flaky_kernel):
    counter = flaky_kernel(fail_first=True)
    notebook = _tiny_notebook(tmp_path / "in.ipynb", "y = x + 1\nprint(y)")
    nb, attempts = execute_notebook(notebook, tmp_path / "out.ipynb", {"x": 41}, kernel_name="flaky", transport="tcp")
    assert attempts == 2
    assert counter.read_text() == "2"
    assert nb.cells[-1].outputs[0]["text"] == "42\n"


@pytest.mark.slow
def test_a_failing_cell_is_not_retried(tmp_path, flaky_kernel):
    from papermill.exceptions import PapermillExecutionError

    counter = flaky_kernel(fail_first=False)
    notebook = _tiny_notebook(tmp_path / "in.ipynb", "raise ValueError('données incohérentes')")
    with pytest.raises(PapermillExecutionError, match="données incohérentes"):
        execute_notebook(notebook, tmp_path / "out.ipynb", {"x": 1}, kernel_name="flaky", transport="tcp")
    assert counter.read_text() == "1"
    assert (tmp_path / "out.ipynb").exists()  # the partial notebook is kept


# --------------------------------------------------------------------------------------
# reports of the demo territories (real kernels)
# --------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("territory_id", DEMO_IDS)
def test_report_of_each_demo_territory(demo_reports, demo_store, territory_id):
    html_path, nb_path = demo_reports / f"{territory_id}.html", demo_reports / f"{territory_id}.ipynb"
    assert html_path.exists() and nb_path.exists()
    page = html_path.read_text(encoding="utf-8")
    text = visible_text(page)
    executed = nbformat.read(nb_path, as_version=4)
    # no code input, no prompt, no script
    lines = code_lines(executed)
    assert any("open_territory(" in line for line in lines)
    for line in lines:
        assert line not in page, line
    assert "open_territory" not in page
    assert "In [" not in visible_text(page)
    assert 'class="jp-CodeMirrorEditor' not in page  # no input area at all
    assert "<script" not in page.lower()
    # the five conditions, the territory's name and the date, in the title too
    for condition in load_framework().conditions:
        assert condition.label("fr") in text
    tables = Store(demo_store).load(territories=[territory_id])
    name = tables["territories"]["name"].iloc[0]
    when = format_date(open_territory(demo_store, territory_id).as_of, "fr")
    assert name in text and when in text
    title = html.unescape(re.search(r"<title>(.*?)</title>", page, flags=re.DOTALL).group(1))
    assert name in title and when in title
    # a table of contents whose links lead somewhere
    nav = re.search(r'<nav [^>]*class="ci-toc".*?</nav>', page, flags=re.DOTALL)
    assert nav is not None
    targets = re.findall(r'href="#([^"]+)"', nav.group(0))
    assert len(targets) >= 3
    assert all(f'id="{target}"' in page for target in targets)
    # the executed notebook got the parameters
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and f'territory_id = "{territory_id}"' in injected[0].source


@pytest.mark.slow
@pytest.mark.parametrize("territory_id", DEMO_IDS)
def test_report_shows_the_seven_steps_in_order_in_the_text_and_the_contents(demo_reports, territory_id):
    from collective_impact.i18n import t
    from collective_impact.report.steps import STEP_IDS, step_number

    page = (demo_reports / f"{territory_id}.html").read_text(encoding="utf-8")
    # the essentials page and the glossary have no number
    headings = [f"{step_number(step_id)}. {t(f'steps.title.{step_id}', 'fr')}" if step_number(step_id)
                else t(f"steps.title.{step_id}", "fr") for step_id in STEP_IDS]
    nav = re.search(r'<nav [^>]*class="ci-toc".*?</nav>', page, flags=re.DOTALL)
    toc = [html.unescape(re.sub(r"<[^>]+>", "", x)).strip()
           for x in re.findall(r"<a [^>]*>(.*?)</a>", nav.group(0))]
    # the essentials page first, then the "how to", then the other steps
    assert toc == [headings[0], t("steps.howto", "fr").splitlines()[0].lstrip("# "), *headings[1:]]
    body = visible_text(page[nav.end():])
    positions = [body.index(heading) for heading in headings]
    assert positions == sorted(positions)
    assert body.count("Ce qu'il faut retenir") == len(STEP_IDS) - 2  # not on the essentials page, nor the glossary
    # figures embedded, not linked
    assert page.count("data:image/svg+xml;base64,") + page.count("data:image/png;base64,") >= 10


@pytest.mark.slow
def test_the_notebook_stops_right_after_the_parameters_for_an_unknown_territory(demo_store, tmp_path):
    from papermill.exceptions import PapermillExecutionError

    output = tmp_path / "NOPE.ipynb"
    with pytest.raises(PapermillExecutionError) as info:
        execute_notebook(EVALUATION_NOTEBOOK, output, {"territory_id": "QPV-SUD", "store_path": str(demo_store)})
    assert info.value.ename == "UnknownTerritoryError"
    assert "Territoire inconnu" in info.value.evalue
    assert all(territory_id in info.value.evalue for territory_id in DEMO_IDS)
    cells = nbformat.read(output, as_version=4).cells
    code = [c for c in cells if c.cell_type == "code"]
    tags = [c.metadata.get("tags", []) for c in code]
    first_after = next(i for i, t in enumerate(tags) if "parameters" not in t and "injected-parameters" not in t)
    assert "open_territory(" in code[first_after].source
    assert any(o.get("output_type") == "error" for o in code[first_after].outputs)
    assert all(c.execution_count is None for c in code[first_after + 1:])


@pytest.mark.slow
def test_text_from_the_data_is_escaped_in_the_report(hostile_report):
    page = (hostile_report.out / "QPV-GARE.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>Quartier</b>" not in page
    assert "&lt;b&gt;Quartier&lt;/b&gt;" in page
    assert "<script" not in page.lower()
    assert "<b>Quartier</b> de la Gare" in visible_text(page)


@pytest.mark.slow
def test_report_in_english(demo_store, tmp_path, capsys):
    code = main(["report", "QPV-HAUTS", "--store", str(demo_store), "--out", str(tmp_path), "--lang", "en"])
    assert code == 0
    assert "Report written" in capsys.readouterr().out
    page = (tmp_path / "QPV-HAUTS.html").read_text(encoding="utf-8")
    text = visible_text(page)
    assert 'lang="en"' in page
    for condition in load_framework().conditions:
        assert condition.label("en") in text
    for english in ("How to use this report", "Contents", "Collective impact evaluation", "Data as of"):
        assert english in text
    for french in ("Mode d'emploi", "Sommaire", "Données au", "Point fort", "À consolider"):
        assert french not in text
    for title in ("1. The territory and its partners", "3. Shared measurement system", "7. Synthesis and next steps",
                  "Key points"):
        assert title in text


# --------------------------------------------------------------------------------------
# messages
# --------------------------------------------------------------------------------------

_PACKAGE = Path(__file__).resolve().parents[2] / "collective_impact"


def test_every_message_key_used_by_reports_exists():
    from collective_impact.i18n import catalogue
    from collective_impact.report.batch import STATUSES

    batch = sorted(path.relative_to(_PACKAGE).as_posix() for path in (_PACKAGE / "report" / "batch").glob("*.py"))
    sources = [(_PACKAGE / name).read_text(encoding="utf-8") for name in ("report/execute.py", "report/bundle.py", *batch, "report/markdown.py",
                                                                      "report/tables.py")]
    sources.append((_PACKAGE.parent / "templates" / "report" / "batch_index.html.j2").read_text(encoding="utf-8"))
    sources += [cell.source for name in ("evaluation_territoire.ipynb", "comparaison_territoires.ipynb")
                for cell in nbformat.read(_PACKAGE.parent / "notebooks" / name, as_version=4).cells]
    used = set(re.findall(r"""["']((?:report|batch|narrative)\.[\w.]+)["']""", "\n".join(sources)))
    used |= {f"batch.status.{s}" for s in STATUSES} | {f"batch.count.{s}" for s in STATUSES}
    used -= {"report.py", "batch.py", "narrative.py"}
    assert sorted(key for key in used if key not in catalogue()) == []
