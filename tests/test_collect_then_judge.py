"""`pataudit collect` keeps the evidence; `run --evidence` and `check` judge it later, failed sources included."""

import gzip
import json
from pathlib import Path

import yaml
from conftest import AS_OF


def test_collect_then_run_from_evidence_matches_a_direct_run(small_org, cli, tmp_path):
    # Every source states when its data was taken, so inventory.csv does not carry the clock of each run.
    config = yaml.safe_load(small_org.read_text())
    for source in config["sources"][1:]:  # the AWS source has its report's credential_report_generated_at
        source["collected_at"] = "2026-06-30T20:00:00Z"
    small_org.write_text(yaml.safe_dump(config, sort_keys=False))
    collected = tmp_path / "collected"
    code, stdout, err = cli("collect", "--config", str(small_org), "--out", str(collected))
    assert code == 0, err
    assert "Example Corp 2026-Q2: collected 10 tokens from 3 sources" in stdout
    assert sorted(p.name for p in collected.iterdir()) == [
        "config.yaml",
        "evidence",
        "inventory.csv",
        "manifest.json",
        "sources.json",
    ]
    assert json.loads((collected / "manifest.json").read_text())["run"]["kind"] == "collection"
    assert cli("verify", str(collected))[0] == 0

    judged, direct = tmp_path / "judged", tmp_path / "direct"
    store = f"sqlite:///{tmp_path / 'other.sqlite'}"
    code, stdout, err = cli("run", "--config", str(small_org), "--evidence", str(collected / "evidence"),
                            "--as-of", AS_OF, "--out", str(judged))  # fmt: skip
    assert code == 0, err
    assert cli("run", "--config", str(small_org), "--as-of", AS_OF, "--out", str(direct), "--store", store)[0] == 0
    assert (judged / "findings.csv").read_bytes() == (direct / "findings.csv").read_bytes()
    assert (judged / "inventory.csv").read_bytes() == (collected / "inventory.csv").read_bytes()
    assert (judged / "report.pdf").stat().st_size > 10_000


def test_a_failed_source_stays_error_when_its_evidence_is_judged(tmp_path, cli, monkeypatch):
    from conftest import write_small_org

    config = write_small_org(tmp_path)
    (tmp_path / "github" / "members.json").write_text('{"login": "octocat"')  # truncated download
    monkeypatch.chdir(tmp_path)
    code, stdout, _ = cli("collect", "--config", "pataudit.yaml", "--out", "collected")
    assert code == 3
    assert "INCOMPLETE: github:example: example: " in stdout
    kept = json.loads(gzip.decompress(Path("collected/evidence/source_errors.json.gz").read_bytes()))
    assert [(k["label"], k["errors"][0]["scope"]) for k in kept] == [("github:example", "example")]

    store = yaml.safe_load(config.read_text())["store"]["url"]
    assert cli("run", "--config", "pataudit.yaml", "--out", "direct", "--as-of", AS_OF, "--store", store)[0] == 3
    assert cli("run", "--config", "pataudit.yaml", "--evidence", "collected/evidence", "--out", "judged",
               "--as-of", AS_OF, "--store", store)[0] == 3  # fmt: skip
    assert cli("check", "--evidence", "direct/evidence", "--as-of", AS_OF, "--out", "checked")[0] == 3
    direct = Path("direct/findings.csv").read_bytes()
    assert b"github:example:*,ERROR," in direct
    assert Path("judged/findings.csv").read_bytes() == direct
    assert Path("checked/findings.csv").read_bytes() == direct


def test_run_with_a_missing_evidence_folder_is_a_usage_error(small_org, cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli("run", "--config", str(small_org), "--evidence", str(tmp_path / "nowhere"))
    assert code == 2
    assert err.strip() == (
        f"pataudit: error: {tmp_path / 'nowhere'}: not an evidence folder "
        "(give the evidence/ folder `pataudit collect` wrote)"
    )
    assert not (tmp_path / "pataudit-out").exists()


def test_recording_collected_evidence_asks_to_judge_it_first(small_org, cli, tmp_path):
    collected = tmp_path / "collected"
    assert cli("collect", "--config", str(small_org), "--out", str(collected))[0] == 0
    code, _, err = cli("record", str(collected), "--store", f"sqlite:///{tmp_path / 'h.sqlite'}")
    assert code == 2
    assert err.strip() == (
        f"pataudit: error: {collected}: collected evidence, not a run; judge it first: "
        f"pataudit run --config CONFIG --evidence {collected / 'evidence'}"
    )


def test_an_empty_evidence_folder_is_an_input_error_not_zero_tokens(small_org, cli, tmp_path):
    empty = tmp_path / "empty" / "evidence"
    empty.mkdir(parents=True)
    code, _, err = cli("run", "--config", str(small_org), "--evidence", str(empty), "--out", str(tmp_path / "o"))
    assert code == 2
    assert (
        err.strip() == f"pataudit: error: {empty}: holds no collected source (no <source>/<scope>/collection.json.gz)"
    )
    assert not (tmp_path / "o").exists()
