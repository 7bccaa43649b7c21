"""The report and the dbt docs site, opened in headless Chromium (Debian's `chromium`).

Each page is served from a local http.server inside a small harness page that frames it
and, once it has loaded, measures what the browser actually laid out and painted: chart
sizes and bar boxes in the report, the model list and the pixels of the lineage graph's
canvas in the docs site. `--dump-dom` hands the measurements back. Outside CI a machine
without chromium skips these tests; in CI (CI=true) that is a failure.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from test_report import build_scenario

from conftest import IN_CI, ROOT, Warehouse, make_warehouse

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
    "--virtual-time-budget=15000",
)


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        message = "chromium is not installed (apt-get install -y chromium; .ci/run does it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def dump_dom(chromium: str, url: str, profile: Path) -> str:
    """The DOM of `url` after Chromium ran its scripts for the virtual time budget."""
    result = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A folder served on 127.0.0.1 at a free port: (folder, base URL)."""
    folder = tmp_path_factory.mktemp("site")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    root = tmp_path_factory.mktemp("browser")
    with make_warehouse("duckdb", root, None) as warehouse:
        build_scenario(warehouse)
        yield warehouse


REPORT_HARNESS = """<!DOCTYPE html><html><body>
<iframe id="page" src="report.html" style="width:1200px;height:900px"></iframe>
<script>
window.addEventListener("load", function () {
  var doc = document.getElementById("page").contentDocument;
  var charts = doc.querySelectorAll("svg.chart"), drawn = 0, bars = 0, lines = 0;
  charts.forEach(function (svg) {
    var box = svg.getBoundingClientRect();
    if (box.width > 100 && box.height > 100) { drawn++; }
  });
  doc.querySelectorAll("rect.bar").forEach(function (rect) {
    var box = rect.getBBox();
    if (box.width > 0 && box.height > 0) { bars++; }
  });
  doc.querySelectorAll("polyline.line").forEach(function (line) {
    if (line.getBBox().width > 0) { lines++; }
  });
  document.body.setAttribute("data-result", [charts.length, drawn, bars, lines].join(" "));
});
</script></body></html>
"""


def test_report_charts_render(
    chromium: str, built: Warehouse, site: tuple[Path, str], tmp_path: Path
) -> None:
    folder, base = site
    built.cli("report", "--out", folder / "report.html")
    (folder / "report_harness.html").write_text(REPORT_HARNESS, encoding="utf-8")
    dom = dump_dom(chromium, f"{base}/report.html", tmp_path / "profile1")
    assert dom.count('<svg class="chart"') == 6
    assert "Meter-days per tier and day" in dom
    measured = dump_dom(chromium, f"{base}/report_harness.html", tmp_path / "profile2")
    # 6 charts laid out; bars with an area: 6 tier stacks, 5 non-empty histogram bins,
    # 5 deduction causes; lines with a length: north's peaks (south has one day) and
    # north's demand curve of the latest day
    assert re.findall(r'data-result="([^"]*)"', measured) == ["6 6 16 2"]


DOCS_HARNESS = """<!DOCTYPE html><html><body>
<iframe id="docs" src="index.html#!/model/model.greenstream.meter_day_quality?g_v=1"
  style="width:1400px;height:900px"></iframe>
<script>
setTimeout(function () {
  var doc = document.getElementById("docs").contentDocument, models = {}, painted = -1;
  // the project tree in the sidebar: one menu node per model
  doc.querySelectorAll('a.menu-node[data-nav-unique-id^="model.greenstream."]').forEach(
    function (node) { models[node.getAttribute("data-nav-unique-id").split(".")[2]] = true; }
  );
  var canvas = doc.querySelector('#cy canvas[data-id="layer2-node"]');
  if (canvas && canvas.width > 0 && canvas.height > 0) {
    var pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    painted = 0;
    for (var i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) { painted++; } }
  }
  document.body.setAttribute("data-models", Object.keys(models).sort().join(" "));
  document.body.setAttribute("data-painted", String(painted));
}, 10000);
</script></body></html>
"""


def test_docs_site_lists_the_models_and_draws_the_lineage_graph(
    chromium: str, built: Warehouse, site: tuple[Path, str], tmp_path: Path
) -> None:
    folder, base = site
    docs = folder / "docs"
    dbt = Path(sys.executable).with_name("dbt")
    generated = subprocess.run(
        [
            str(dbt),
            "docs",
            "generate",
            "--project-dir",
            str(ROOT),
            "--profiles-dir",
            str(ROOT),
            "--target-path",
            str(docs),
        ],
        env=built.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout[-3000:]
    (docs / "harness.html").write_text(DOCS_HARNESS, encoding="utf-8")
    dom = dump_dom(chromium, f"{base}/docs/harness.html", tmp_path / "profile")
    models = set(re.findall(r'data-models="([^"]*)"', dom)[0].split())
    gold = {
        "batch_audit",
        "billing_daily",
        "faulty_meters",
        "meter_day_quality",
        "ml_features",
        "peak_consumption",
        "quarantine",
    }
    assert gold | {"meter_readings", "meter_slots", "stg_raw__meter_readings"} <= models
    # the lineage graph of meter_day_quality is drawn on cytoscape's node canvas
    painted = int(re.findall(r'data-painted="(-?\d+)"', dom)[0])
    assert painted > 5000
