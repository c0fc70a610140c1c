"""Every notebook of notebooks/ runs top to bottom against the hand-built gold lake, so none can rot.

The notebooks share one kernel (one Spark start instead of one per notebook); its namespace is reset before
each, so a notebook that relies on another's variables fails here as it would alone.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from tests.gold_lake import RUN, gold_lake  # noqa: F401  (the fixture)

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
# The kernel's own Spark: small, no UI, next to the test session's JVM; a short-lived JVM spends less on the
# quick (C1) JIT alone than on also running the optimising one.
KERNEL_SETTINGS = ";".join(
    [
        "spark.master=local[1]",
        "spark.shuffle_partitions=2",
        "spark.ui_enabled=false",
        "spark.driver_memory=1g",
        "spark.conf={spark.driver.extraJavaOptions: -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dderby.system.home=/tmp}",
    ]
)
CELL_TIMEOUT = 300


@pytest.fixture(scope="module")
def kernel(gold_lake, tmp_path_factory) -> Iterator[KernelManager]:  # noqa: F811
    # A kernel of this interpreter whatever is first on PATH (the installed python3 spec runs `python`).
    specs = tmp_path_factory.mktemp("kernels")
    (specs / "shop-tests").mkdir()
    (specs / "shop-tests" / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "shop-analytics tests",
                "language": "python",
            }
        )
    )
    environment = {
        **os.environ,
        "SHOP_LAKE_ROOT": gold_lake,
        "SHOP_RUN_DATE": RUN.isoformat(),
        "SHOP_SETTINGS": KERNEL_SETTINGS,
        "PYSPARK_SUBMIT_ARGS": "--conf spark.ui.showConsoleProgress=false pyspark-shell",
    }
    manager = KernelManager(
        kernel_name="shop-tests", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(specs)])
    )
    manager.start_kernel(env=environment, cwd=str(NOTEBOOKS[0].parent))
    yield manager
    manager.shutdown_kernel(now=True)


def test_the_notebooks_are_the_five_readouts():
    assert [n.stem for n in NOTEBOOKS] == [
        "campaign_readout",
        "customer_value",
        "profile_exploration",
        "recommendation_inspection",
        "segment_analysis",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_notebook_runs_against_the_gold_lake(path: Path, kernel: KernelManager):
    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), (
        f"{path.name} is stored with outputs: clear them before committing"
    )
    notebook.cells.insert(0, nbformat.v4.new_code_cell("%reset -f"))
    client = NotebookClient(notebook, km=kernel, timeout=CELL_TIMEOUT, allow_errors=False)

    client.execute()

    errors = [
        o for cell in notebook.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert errors == []
    figures = [
        o
        for cell in notebook.cells
        for o in cell.get("outputs", [])
        if "application/vnd.plotly.v1+json" in o.get("data", {})
    ]
    assert figures, f"{path.name} drew no chart"
