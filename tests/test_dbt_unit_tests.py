"""The dbt unit tests (`unit_tests:` beside each model) pass on both engines.

`greenstream build` skips them (they check SQL, not data), so the suite runs a
full `dbt build` on an empty warehouse: every parent exists before its unit
tests run, and every data test passes on no data.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, Warehouse

DBT = str(Path(sys.executable).with_name("dbt"))


def test_every_dbt_unit_test_passes(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in warehouse.env.items():
        monkeypatch.setenv(name, value)
    from greenstream.settings import Settings
    from greenstream.warehouse import Warehouse as Connection

    connection = Connection(Settings.from_env())
    connection.ensure_raw_schema()
    connection.close()
    Path(warehouse.env["GREENSTREAM_LAKE_DIR"]).mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [DBT, "build", "--project-dir", ROOT, "--profiles-dir", ROOT, "--target", warehouse.target],
        env=warehouse.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:]
    target = Path(warehouse.env["DBT_TARGET_PATH"])
    defined = json.loads((target / "manifest.json").read_text())["unit_tests"]
    outcomes = {
        outcome["unique_id"]: outcome["status"]
        for outcome in json.loads((target / "run_results.json").read_text())["results"]
        if outcome["unique_id"].startswith("unit_test.")
    }
    assert len(defined) >= 20  # the SPEC boundaries of silver and gold
    assert outcomes == dict.fromkeys(defined, "pass")
