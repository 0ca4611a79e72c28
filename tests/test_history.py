"""The history store on SQLite and on a real PostgreSQL server: recording, following findings, migrations,
concurrency, and the history commands."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig

from pataudit.history.record import read_run_output
from pataudit.history.store import MIGRATIONS, Store

QUARTERS = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
PG_URL = os.environ.get("PATAUDIT_TEST_PG_URL")


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as db:
        db.execute(sa.text("DROP SCHEMA public CASCADE"))
        db.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.sqlite'}"
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("PATAUDIT_TEST_PG_URL is not set: `make test` starts PostgreSQL and sets it")
        pytest.skip("no PostgreSQL server (run through `make test`, which starts one)")
    _reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def quarters(demo_run) -> list[Path]:
    result, out = demo_run
    assert result.returncode == 0, result.stderr
    return [out / q for q in QUARTERS]


def record_all(url: str, folders: list[Path]) -> Store:
    store = Store(url)
    for folder in folders:
        assert store.record(read_run_output(folder))
    return store


def test_demo_quarters_trend_and_recording_twice_does_not_double(store_url, quarters):
    store = record_all(store_url, quarters)
    runs = store.runs()
    assert list(runs["period"]) == QUARTERS
    assert list(runs["overall_score"]) == sorted(runs["overall_score"])
    assert not store.record(read_run_output(quarters[-1])), "second recording of the same output is refused"
    assert len(store.runs()) == 4
    with store.engine.connect() as db:
        assert db.execute(sa.text("SELECT count(*) FROM control_scores")).scalar() == 4 * 12
    trend = store.control_trend("key_rotated_within_max_age")
    assert list(trend["period"]) == QUARTERS and trend["score"].is_monotonic_increasing
    sources = store.source_trend()
    assert set(sources["source"]) == {"aws", "github", "gitlab", "azure_devops", "jenkins", "gcp"}


def test_findings_are_followed_across_runs(store_url, quarters):
    store = record_all(store_url, quarters)
    runs = store.runs().set_index("period")
    followed = store.lifecycle("Northwind Labs")
    root = followed[followed["control_id"] == "no_root_access_keys"]
    assert len(root) == 1
    item = root.iloc[0]
    assert item["state"] == "resolved"
    assert item["first_seen_run"] == runs.loc["2026-Q1", "run_id"]
    assert item["resolved_run"] == runs.loc["2026-Q3", "run_id"]
    q4 = store.open_findings(runs.loc["2026-Q4", "run_id"])
    open_now = followed[followed["state"] == "open"]
    assert set(zip(open_now["control_id"], open_now["token_id"], strict=True)) == set(
        zip(*[q4[q4["status"].isin(["FAIL", "WAIVED"])][c] for c in ("control_id", "token_id")], strict=True)
    )


def test_a_source_that_could_not_be_read_resolves_nothing(store_url, quarters):
    store = record_all(store_url, quarters[:2])
    runs = store.runs().set_index("period")
    followed = store.lifecycle("Northwind Labs")
    dev = followed[followed["token_id"].str.startswith("aws:345678901234:")]
    assert len(dev) and (dev["state"] == "open").all(), "Q2's aws-dev report was stale: its findings stay open"
    assert (dev["last_seen_run"] == runs.loc["2026-Q1", "run_id"]).all()


def test_out_of_order_recording_gives_the_same_lifecycle(store_url, quarters):
    in_order = record_all(store_url, quarters).lifecycle("Northwind Labs")
    if store_url.startswith("postgresql"):
        _reset_postgres(store_url)
    else:
        Path(store_url.removeprefix("sqlite:///")).unlink()
    shuffled = record_all(store_url, [quarters[0], quarters[2], quarters[1], quarters[3]]).lifecycle("Northwind Labs")
    columns = ["finding_key", "state", "first_seen_run", "resolved_run", "last_seen_run"]
    assert (
        in_order[columns]
        .sort_values("finding_key")
        .reset_index(drop=True)
        .equals(shuffled[columns].sort_values("finding_key").reset_index(drop=True))
    )


def test_failed_recording_leaves_the_history_as_it_was(store_url, quarters):
    store = record_all(store_url, quarters[:1])
    broken = read_run_output(quarters[1])
    broken.findings.loc[0, "severity"] = None  # NOT NULL column: the insert fails half-way through the run
    with pytest.raises(sa.exc.IntegrityError):
        store.record(broken)
    assert list(store.runs()["period"]) == ["2026-Q1"]
    with store.engine.connect() as db:
        assert db.execute(sa.text("SELECT count(*) FROM control_scores")).scalar() == 12
    assert store.record(read_run_output(quarters[1]))


def test_two_processes_recording_at_once_both_land(store_url, quarters):
    Store(store_url)
    code = (
        "import sys, pathlib; from pataudit.history.store import Store; "
        "from pataudit.history.record import read_run_output; "
        "assert Store(sys.argv[1]).record(read_run_output(pathlib.Path(sys.argv[2])))"
    )
    processes = [subprocess.Popen([sys.executable, "-c", code, store_url, str(q)]) for q in quarters[:2]]
    assert [p.wait(timeout=120) for p in processes] == [0, 0]
    assert sorted(Store(store_url).runs()["period"]) == QUARTERS[:2]


def _old_store(url: str) -> sa.Engine:
    """A store as pataudit 0.1 left it: schema revision 0001 and no alembic_version table."""
    engine = sa.create_engine(url)
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as db:
        config.attributes["connection"] = db
        command.upgrade(config, "0001")
        db.execute(sa.text("DROP TABLE alembic_version"))
    return engine


def test_migration_from_0_1_schema_keeps_and_follows_the_data(store_url, quarters):
    engine = _old_store(store_url)
    records = [read_run_output(q) for q in quarters[:3]]
    with engine.begin() as db:
        for record in records:
            run = {k: v for k, v in record.run.items()}
            db.execute(sa.text(
                "INSERT INTO runs VALUES (:run_id, :organization, :period, :as_of, :started_at, :finished_at, "
                ":tool_version, :config_sha256, :manifest_sha256, :complete, :overall_score, :token_count, "
                ":fail_count, :out_dir)"), run)  # fmt: skip
            scores = record.control_scores.astype(object).where(record.control_scores.notna(), None)
            db.execute(sa.text("INSERT INTO control_scores VALUES (:run_id, :control_id, :population, :pass, :fail, "
                               ":waived, :error, :not_applicable, :score)"),
                       [{**r, "run_id": run["run_id"]} for r in scores.to_dict("records")])  # fmt: skip
            db.execute(sa.text("INSERT INTO findings VALUES (:run_id, :control_id, :token_id, :status, :severity, "
                               ":reason, :waiver_id)"),
                       [{**r, "run_id": run["run_id"]} for r in record.findings.to_dict("records")])  # fmt: skip
    engine.dispose()
    store = Store(store_url)
    with store.engine.connect() as db:
        assert Store.revision(db) == "0002"
        assert db.execute(sa.text("SELECT count(*) FROM findings")).scalar() == sum(len(r.findings) for r in records)
    assert list(store.runs()["period"]) == QUARTERS[:3]
    followed = store.lifecycle("Northwind Labs")
    root = followed[followed["control_id"] == "no_root_access_keys"].iloc[0]
    assert root["state"] == "resolved" and root["resolved_run"] == records[2].run["run_id"]
    assert store.record(read_run_output(quarters[3])), "the upgraded store takes new runs"


def test_history_commands_on_the_demo(store_url, quarters, cli, tmp_path):
    for folder in quarters:
        assert cli("record", str(folder), "--store", store_url)[0] == 0
    assert cli("record", str(quarters[0]), "--store", store_url)[1].endswith("already stored; nothing changed\n")
    code, out, _ = cli("history", "--store", store_url)
    assert code == 0 and len(out.strip().splitlines()) == 5 and " NO" not in out.splitlines()[1]
    code, out, _ = cli(
        "trend", "--store", store_url, "--svg", str(tmp_path / "t.svg"), "--png", str(tmp_path / "t.png")
    )
    assert code == 0 and out.startswith("overall score: ▁") and out.splitlines()[0].endswith("█")
    assert (tmp_path / "t.svg").read_text().startswith("<?xml") and (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"
    code, out, _ = cli("trend", "--store", store_url, "--control", "owner_active", "--since", "2026-06-01")
    assert code == 0 and "2026-Q1" not in out and "2026-Q4" in out
    code, out, _ = cli("trend", "--store", store_url, "--source", "gitlab")
    assert code == 0 and len(out.strip().splitlines()) == 6
    runs = Store(store_url).runs()
    code, out, _ = cli("diff", runs["run_id"][2][:20], runs["run_id"][3], "--store", store_url)
    assert code == 0
    assert re.match(r"\S+ \(2026-Q3\) -> \S+ \(2026-Q4\): \d+ new, \d+ resolved, \d+ persisting", out)
    code, out, _ = cli("remediation", "--store", store_url, "--limit", "3")
    assert code == 0 and re.search(r"critical\s+1\s+\d+", out) and "past SLA:" in out
    code, out, _ = cli("dashboard", "--store", store_url, "--out", str(tmp_path / "dash"))
    html = (tmp_path / "dash" / "index.html").read_text()
    assert code == 0 and "Northwind Labs" in html and html.count("report.pdf</a>") == 4
    assert len(list((tmp_path / "dash").glob("*.svg"))) == 3 + 12
    code, _, err = cli("diff", "nope", runs["run_id"][0], "--store", store_url)
    assert code == 2 and "no stored run 'nope'" in err


def test_store_schema_matches_the_declared_tables(store_url):
    from pataudit.history.schema import metadata

    store = Store(store_url)
    inspector = sa.inspect(store.engine)
    for table in metadata.sorted_tables:
        assert {c["name"] for c in inspector.get_columns(table.name)} == {c.name for c in table.columns}, table.name


def test_sqlite_history_defaults_to_the_user_data_dir(monkeypatch, tmp_path):
    from pataudit.history.store import default_url

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_url() == f"sqlite:///{tmp_path / 'pataudit' / 'history.sqlite'}"
    pd.testing.assert_frame_equal(Store(default_url()).runs(), Store(default_url()).runs())
