"""Warm kernels (collective_impact.report.execute.WarmKernel, report.kernel_state, the batch's workers):
notebooks run one after the other in the same kernel, and nothing of one reaches the next.

Small notebooks stand in for the report: each kind of leak is planted by the first notebook
(which checks in a later cell that its plant survived the cell: without the restore, the
second notebook would see it) and looked for by the second, in the same kernel.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from collective_impact.report.batch import run_batch
from collective_impact.report.execute import WarmKernel

pytestmark = pytest.mark.slow

PLANTED_MODULE = "ci_planted_module"


def notebook(path: Path, parameters: str, *cells: str) -> Path:
    """Write a notebook: a ``parameters`` cell, then one code cell per source."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                           "display_name": "Python 3"}})
    first = nbformat.v4.new_code_cell(parameters)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first, *(nbformat.v4.new_code_cell(source) for source in cells)]
    nbformat.write(nb, path)
    return path


def printed(nb) -> str:
    """Everything the notebook's cells printed (stdout)."""
    return "".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for output in cell.get("outputs", []) if output.get("name") == "stdout")


PLANT = (
    # a name
    "planted_name = territory_id",
    # the package's module state: a cached value mutated, an entry in a module-level dict,
    # a new module attribute, a new functools cache entry
    "from collective_impact.i18n import catalogue, text\n"
    "import collective_impact.report.steps as steps\n"
    "import collective_impact.metrics.assessment as assessment\n"
    "catalogue()['planted.key'] = {'fr': territory_id}\n"
    "steps._BUILDERS['planted'] = print\n"
    "assessment.PLANTED = territory_id\n"
    "before = text.cache_info().currsize\n"
    "text('planted.key')\n"
    "assert text.cache_info().currsize == before + 1",
    # a figure left open, rcParams, a warning filter, a pandas option
    "import warnings\n"
    "import matplotlib\n"
    "import matplotlib.pyplot as plt\n"
    "import pandas as pd\n"
    "plt.ioff()\n"
    "figure = plt.figure(num='planted')\n"
    "matplotlib.rcParams['lines.linewidth'] = 7.25\n"
    "warnings.filterwarnings('ignore', message='planted')\n"
    "pd.set_option('display.precision', 1)",
    # a module of its own on sys.path, the working directory, the environment
    "import os, sys\n"
    "sys.path.insert(0, module_dir)\n"
    f"import {PLANTED_MODULE}\n"
    f"{PLANTED_MODULE}.STATE.append(territory_id)\n"
    "os.chdir(module_dir)\n"
    "os.environ['CI_PLANTED'] = territory_id",
    # every plant survived its cell
    "import json\n"
    "print(json.dumps({'figures': plt.get_fignums(), 'linewidth': matplotlib.rcParams['lines.linewidth'],\n"
    "                  'pid': os.getpid()}))\n"
    "assert plt.get_fignums() and matplotlib.rcParams['lines.linewidth'] == 7.25\n"
    "assert any(f[1] is not None and f[1].pattern == 'planted' for f in warnings.filters)\n"
    "assert catalogue()['planted.key'] and steps._BUILDERS['planted'] is print\n"
    f"assert '{PLANTED_MODULE}' in sys.modules and os.getcwd() == module_dir",
)

LOOK = (
    "import json, os, sys, warnings\n"
    "import matplotlib\n"
    "import matplotlib.pyplot as plt\n"
    "import pandas as pd\n"
    "from collective_impact.i18n import catalogue, text\n"
    "import collective_impact.report.steps as steps\n"
    "import collective_impact.metrics.assessment as assessment\n"
    "print(json.dumps({\n"
    "    'names': sorted(n for n in ('planted_name', 'figure', 'before') if n in globals()),\n"
    "    'catalogue': 'planted.key' in catalogue(),\n"
    "    'text_cache': text.cache_info().currsize,\n"
    "    'builders': 'planted' in steps._BUILDERS,\n"
    "    'attribute': hasattr(assessment, 'PLANTED'),\n"
    "    'figures': plt.get_fignums(),\n"
    "    'interactive': matplotlib.is_interactive(),\n"
    "    'linewidth': matplotlib.rcParams['lines.linewidth'],\n"
    "    'filters': [f[1].pattern for f in warnings.filters if f[1] is not None and f[1].pattern == 'planted'],\n"
    "    'precision': pd.get_option('display.precision'),\n"
    f"    'module': '{PLANTED_MODULE}' in sys.modules,\n"
    "    'path': module_dir in sys.path,\n"
    "    'cwd': os.getcwd(),\n"
    "    'environ': os.environ.get('CI_PLANTED'),\n"
    "    'pid': os.getpid(),\n"
    "}))",
)


@pytest.fixture
def kernel(tmp_path):
    warm = WarmKernel(log_file=tmp_path / "kernels.log")
    yield warm
    warm.stop()


def test_nothing_of_one_notebook_reaches_the_next_in_the_same_kernel(kernel, tmp_path):
    module_dir = tmp_path / "modules"
    module_dir.mkdir()
    (module_dir / f"{PLANTED_MODULE}.py").write_text("STATE = []\n", encoding="utf-8")
    parameters = 'territory_id = "X"\nmodule_dir = ""'
    plant = notebook(tmp_path / "plant.ipynb", parameters, *PLANT)
    look = notebook(tmp_path / "look.ipynb", parameters, *LOOK)
    values = {"module_dir": str(module_dir)}

    # the state of a kernel that has run nothing yet: what the second notebook must find
    fresh_nb, _ = kernel.execute(look, tmp_path / "fresh.ipynb", {**values, "territory_id": "FRESH"})
    fresh = json.loads(printed(fresh_nb))
    planted_nb, _ = kernel.execute(plant, tmp_path / "A.ipynb", {**values, "territory_id": "A"})
    planted = json.loads(printed(planted_nb))
    second_nb, attempts = kernel.execute(look, tmp_path / "B.ipynb", {**values, "territory_id": "B"})
    second = json.loads(printed(second_nb))

    # one kernel ran the three notebooks
    assert fresh["pid"] == planted["pid"] == second["pid"] == kernel.pid
    assert kernel.starts == 1 and attempts == 1
    assert planted["figures"] and planted["linewidth"] == 7.25
    # nothing planted by A is seen by B, which sees what a kernel that ran nothing sees
    assert second["names"] == []
    assert second["catalogue"] is False and second["builders"] is False and second["attribute"] is False
    assert second["figures"] == [] and second["interactive"] is fresh["interactive"]
    assert second["linewidth"] == fresh["linewidth"] != 7.25
    assert second["filters"] == []
    assert second["precision"] == fresh["precision"] != 1
    assert second["module"] is False and second["path"] is False
    assert second["cwd"] == fresh["cwd"] != str(module_dir)
    assert second["environ"] is None
    # the cached text function keeps no entry of A's (the fresh kernel had loaded none either)
    assert second["text_cache"] == fresh["text_cache"]
    # papermill's conventions hold: the injected parameters, cells numbered from 1 in each notebook
    for nb, territory in ((planted_nb, "A"), (second_nb, "B")):
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(injected) == 1 and f'territory_id = "{territory}"' in injected[0].source
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1))
    assert nbformat.read(tmp_path / "B.ipynb", as_version=4).cells[-1].outputs


def test_a_kernel_over_its_memory_cap_is_replaced(tmp_path):
    small = notebook(tmp_path / "small.ipynb", 'territory_id = "X"', "import os\nprint(os.getpid())")
    kernel = WarmKernel(max_mb=1)  # any kernel holds more than 1 MiB
    try:
        first, _ = kernel.execute(small, tmp_path / "a.ipynb", {"territory_id": "A"})
        assert kernel.pid is None  # replaced after the notebook, started again at the next one
        second, _ = kernel.execute(small, tmp_path / "b.ipynb", {"territory_id": "B"})
    finally:
        kernel.stop()
    assert printed(first) != printed(second)
    assert kernel.starts == 2


def test_a_kernel_that_dies_is_replaced_and_only_its_territory_fails(demo_store, tmp_path):
    """One worker runs four demo territories in turn; the kernel dies in the second."""
    parameters = 'territory_id = "X"\nstore_path = None\nlang = "fr"\nwave = None\nas_of = None'
    dying = notebook(tmp_path / "dying.ipynb", parameters,
                     "import os\nprint(os.getpid())",
                     "if territory_id == 'QPV-HAUTS':\n    os._exit(3)",
                     "print('done', territory_id)")
    comparison = notebook(tmp_path / "comparison.ipynb", 'store_path = None\nlang = "fr"\nterritories = []',
                          "print(len(territories))")
    store = tmp_path / "evaluation.sqlite"
    store.write_bytes(Path(demo_store).read_bytes())
    out = tmp_path / "reports"
    result = run_batch(store_path=store, out_dir=out, workers=1, progress=False, notebook=dying,
                       comparison_notebook=comparison,
                       territories=["QPV-GARE", "QPV-HAUTS", "QPV-NORD", "RURAL-VAL"])

    statuses = {r.territory_id: r.status for r in result.results}
    assert statuses == {"QPV-GARE": "ok", "QPV-HAUTS": "failed", "QPV-NORD": "ok", "RURAL-VAL": "ok"}
    failed = result.results[1]
    assert "noyau" in failed.error and "Traceback" not in failed.error
    assert not (out / "QPV-HAUTS.html").exists()
    # what ran before the crash is kept for diagnosis
    partial = nbformat.read(out / "QPV-HAUTS.ipynb", as_version=4)
    assert partial.cells[-3].outputs and not partial.cells[-1].outputs
    assert result.comparison.status == "ok"
    pids = {tid: int(printed(nbformat.read(out / f"{tid}.ipynb", as_version=4)).split()[0])
            for tid in ("QPV-GARE", "QPV-NORD", "RURAL-VAL")}
    # the territory before the crash ran in the kernel that died; the next ones share its replacement
    assert pids["QPV-NORD"] == pids["RURAL-VAL"] != pids["QPV-GARE"]
    assert "replaced" in (out / "logs" / "QPV-HAUTS.log").read_text(encoding="utf-8")
    assert (out / "logs" / "kernels.log").exists()
