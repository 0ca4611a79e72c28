"""The bundled demo organisation: four quarters, every control failing somewhere, scores improving."""

import csv
import re
import subprocess
import sys
from pathlib import Path

from pataudit.history.store import Store

ROOT = Path(__file__).parents[1]


def test_demo_runs_four_quarters_and_prints_the_pdf(demo_run):
    result, out = demo_run
    assert result.returncode == 0, result.stderr
    assert f"report: {out / '2026-Q4' / 'report.pdf'}" in result.stdout
    assert (out / "2026-Q4" / "report.pdf").stat().st_size > 10_000
    assert "== 2026-Q1, as of 2026-03-31 ==" in result.stderr


def test_demo_scores_improve_over_the_year(demo_run):
    _, out = demo_run
    runs = Store(f"sqlite:///{out / 'history.sqlite'}").runs()
    assert list(runs["period"]) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    scores = list(runs["overall_score"])
    assert scores[0] < scores[1] < scores[2] < scores[3]
    assert list(runs["complete"]) == [True, False, True, True], "Q2's dev credential report is stale"


def test_every_control_fails_somewhere_in_the_demo(demo_run):
    _, out = demo_run
    failing = set()
    for quarter in out.glob("2026-Q*"):
        with (quarter / "findings.csv").open() as handle:
            failing |= {r["control_id"] for r in csv.DictReader(handle) if r["status"] == "FAIL"}
    expected = {p.stem for p in (ROOT / "pataudit/checks/controls").glob("*.yaml")}
    assert expected <= failing


def test_demo_has_a_few_hundred_tokens_and_an_expired_waiver(demo_run):
    _, out = demo_run
    with (out / "2026-Q4" / "inventory.csv").open() as handle:
        assert 200 <= len(list(csv.DictReader(handle))) <= 600
    with (out / "2026-Q4" / "findings.csv").open() as handle:
        reasons = [r["reason"] for r in csv.DictReader(handle)]
    assert any(re.search(r"waiver W-2026-001 expired on 2026-09-30", r) for r in reasons)


def test_demo_data_is_what_the_generator_writes(tmp_path):
    generator = ROOT / "examples/demo/generate.py"
    subprocess.run([sys.executable, str(generator), str(tmp_path)], check=True)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert len(written) == 69
    for relative in written:
        assert (tmp_path / relative).read_bytes() == (ROOT / "examples/demo" / relative).read_bytes(), relative


def test_q4_report_compares_with_q3_and_flags_the_expired_waiver(demo_run):
    from pypdf import PdfReader

    _, out = demo_run
    text = " ".join(p.extract_text() for p in PdfReader(out / "2026-Q4" / "report.pdf").pages)
    flat = re.sub(r"\s+", " ", text)
    assert re.search(
        r"Compared with run \S+ \(2026-Q3, as of 2026-09-30\): \d+ new, \d+ resolved and \d+ persisting", flat
    )
    assert re.search(r"\d+ days", flat.split("Persisting findings")[1][:2000])
    assert "Expired waivers: W-2026-001 (expired 2026-09-30" in flat
    for period in ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"):
        assert period in flat
