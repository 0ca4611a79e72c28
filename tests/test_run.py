"""`pataudit run` end to end on the small organisation: outputs, PDF text, manifest, exit codes, history."""

import csv
import hashlib
import json
import re
from pathlib import Path

import pytest
from conftest import ACCOUNT, AS_OF
from pypdf import PdfReader


def run(cli, config: Path, *extra: str) -> tuple[int, str, str, Path]:
    out = config.parent / "out"
    code, stdout, stderr = cli("run", "--config", str(config), "--out", str(out), "--as-of", AS_OF, *extra)
    return code, stdout, stderr, out


def findings(out: Path) -> list[dict]:
    with (out / "findings.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_run_writes_every_output_and_a_valid_manifest(small_org, cli):
    code, stdout, stderr, out = run(cli, small_org)
    assert code == 0
    for name in (
        "report.pdf",
        "report.html",
        "findings.csv",
        "findings.json",
        "controls.csv",
        "inventory.csv",
        "manifest.json",
        "sources.json",
        f"evidence/aws/{ACCOUNT}/credential_report.csv.gz",
    ):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    listed = {f["path"]: f for f in manifest["files"]}
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != "manifest.json"}
    assert set(listed) == on_disk
    for path, entry in listed.items():
        data = (out / path).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)
    assert manifest["run"]["as_of"] == "2026-06-30T23:59:59+00:00"
    assert "[1/3] aws:123456789012: 5 tokens" in stderr
    assert f"report: {out / 'report.pdf'}" in stdout
    assert re.search(r"10 tokens from 3 sources; overall score \d+\.\d%", stdout)


def test_findings_csv_columns_and_known_results(small_org, cli):
    _, _, _, out = run(cli, small_org)
    rows = findings(out)
    assert list(rows[0])[:5] == ["control_id", "token_id", "status", "reason", "severity"]
    by_key = {(r["control_id"], r["token_id"]): r for r in rows}
    key = f"aws:{ACCOUNT}:aws_access_key:"
    assert by_key[("no_root_access_keys", key + "<root_account>/key1")]["status"] == "FAIL"
    assert by_key[("credential_recently_used", key + "api-only/key1")]["reason"] == (
        "never used since creation 171 days ago (grace 14)"
    )
    assert by_key[("credential_recently_used", key + "newbie/key1")]["status"] == "PASS"
    assert by_key[("key_rotated_within_max_age", key + "two-keys/key1")]["status"] == "PASS"
    assert by_key[("key_rotated_within_max_age", key + "two-keys/key2")]["reason"] == "key age 241 days exceeds 90"
    assert by_key[("owner_active", "github:example:github_fine_grained_pat:902")]["status"] == "FAIL"
    assert by_key[("owner_active", "gitlab:gitlab.example.com:gitlab_pat:4")]["status"] == "FAIL"
    assert by_key[("no_classic_pats", "github:example:github_classic_pat:161195")]["status"] == "FAIL"
    assert by_key[("stale_tokens_removed", "gitlab:gitlab.example.com:gitlab_pat:5")]["status"] == "FAIL"


def test_same_input_and_as_of_give_identical_findings(small_org, cli):
    _, _, _, out = run(cli, small_org)
    first = (out / "findings.csv").read_bytes()
    _, _, _, out = run(cli, small_org)
    assert (out / "findings.csv").read_bytes() == first


def test_pdf_holds_org_as_of_every_control_score_and_failing_tokens(small_org, cli):
    _, _, _, out = run(cli, small_org)
    reader = PdfReader(out / "report.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    assert "Example Corp" in flat and "2026-06-30 23:59 UTC" in flat
    with (out / "controls.csv").open() as handle:
        controls = list(csv.DictReader(handle))
    assert len(controls) == 12
    for row in controls:
        assert row["control_id"] in flat
        score = "n/a" if row["score"] == "" else f"{float(row['score']):.1f}%"
        assert f"{row['title']} — severity {row['severity']}, score {score}" in flat, row["control_id"]
    for row in findings(out):
        if row["status"] == "FAIL":
            assert row["token_id"].replace(" ", "") in flat.replace(" ", ""), row["token_id"]
    assert re.search(r"page 2 of \d+", flat)
    assert reader.metadata is not None


def test_fail_on_severity_sets_exit_code_1(small_org, cli):
    assert run(cli, small_org, "--fail-on", "critical")[0] == 1
    (small_org.parent / "aws" / "credential_report.csv").write_text(
        (small_org.parent / "aws" / "credential_report.csv").read_text().replace("<root_account>", "rootless")
    )
    assert run(cli, small_org, "--fail-on", "critical")[0] == 0
    assert run(cli, small_org, "--fail-on", "high")[0] == 1


def test_malformed_csv_row_is_error_for_that_source_and_the_rest_runs(small_org, cli):
    report = small_org.parent / "aws" / "credential_report.csv"
    report.write_text(report.read_text() + "broken,row\n")
    code, stdout, _stderr, out = run(cli, small_org)
    assert code == 3
    assert (
        "INCOMPLETE: aws:123456789012: 123456789012: credential report line 7: expected 22 columns, found 2" in stdout
    )
    rows = findings(out)
    errors = [r for r in rows if r["token_id"] == f"aws:{ACCOUNT}:*"]
    assert errors and all(r["status"] == "ERROR" for r in errors)
    assert any(r["source"] == "github" and r["status"] == "FAIL" for r in rows)
    text = " ".join(p.extract_text() for p in PdfReader(out / "report.pdf").pages)
    assert "INCOMPLETE" in text and "Incomplete collection" in text


def test_stale_report_is_incomplete_with_exit_3(small_org, cli):
    text = small_org.read_text().replace("2026-06-30T20:00:00Z", "2026-06-20T20:00:00Z")
    small_org.write_text(text)
    code, stdout, _, out = run(cli, small_org)
    assert code == 3
    assert "INCOMPLETE: aws:123456789012: data is stale: 244 hours old at the as-of time" in stdout
    assert {r["status"] for r in findings(out) if r["source"] == "aws"} == {"ERROR"}


def test_failed_run_keeps_the_previous_output(small_org, cli):
    _, _, _, out = run(cli, small_org)
    before = (out / "manifest.json").read_bytes()
    (small_org.parent / "gitlab" / "users.json").unlink()
    assert run(cli, small_org)[0] == 2
    assert (out / "manifest.json").read_bytes() == before


def test_history_lists_runs_with_scores(small_org, cli):
    run(cli, small_org)
    run(cli, small_org)
    code, stdout, _ = cli("history", "--config", str(small_org))
    assert code == 0
    lines = stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["run", "id", "organization"]
    assert len(lines) == 3 and all("Example Corp" in line for line in lines[1:])
    assert re.search(r"2026-06-30\s+\d+\.\d\s+\+0\.0\s+10", lines[2])


@pytest.mark.parametrize("arg", ["2026-13-01", "soon"])
def test_bad_as_of_is_a_usage_error(small_org, cli, arg, capsys):
    with pytest.raises(SystemExit) as caught:
        cli("run", "--config", str(small_org), "--as-of", arg)
    assert caught.value.code == 2
