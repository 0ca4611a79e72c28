"""The auditor-grade report and evidence package: sections, attachments, PDF/A, verify, signing, re-performance."""

import csv
import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import AS_OF
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from openpyxl import load_workbook
from pypdf import PdfReader

SECTIONS = [
    "Executive summary", "The ten riskiest tokens", "Overall score over the stored runs", "Scope and population",
    "Tokens by source and kind", "Control results", "Framework views", "Changes since the previous run",
    "Exceptions register", "Method and evidence", "Evidence manifest", "Re-performance", "Sign-off",
]  # fmt: skip
FRAMEWORK_NAMES = ["CIS Amazon Web Services Foundations Benchmark v3.0.0", "CIS Google Cloud Platform",
                   "SOC 2", "ISO/IEC 27001:2022", "NIST SP 800-53", "PCI DSS"]  # fmt: skip


@pytest.fixture
def run_dir(small_org, cli) -> Path:
    out = small_org.parent / "out"
    code, _, err = cli("run", "--config", str(small_org), "--out", str(out), "--as-of", AS_OF)
    assert code == 0, err
    return out


def pdf_text(path: Path) -> tuple[PdfReader, str]:
    reader = PdfReader(path)
    return reader, re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_pdf_has_every_section_numbered_pages_and_cover_hashes(run_dir):
    reader, text = pdf_text(run_dir / "report.pdf")
    for section in SECTIONS:
        assert section in text, section
    for name in FRAMEWORK_NAMES:
        assert name in text, name
    pages = len(reader.pages)
    for number in range(1, pages + 1):
        assert f"page {number} of {pages}" in text
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["run"]["data_digest"] in text.replace(" ", "") or manifest["run"]["data_digest"][:32] in text
    assert manifest["run"]["config_sha256"][:32] in text.replace(" ", "")
    assert "CONFIDENTIAL" in reader.pages[-1].extract_text()
    assert "Contents" in reader.pages[1].extract_text() and "Executive summary" in reader.pages[1].extract_text()
    last = re.sub(r"\s+", " ", reader.pages[-1].extract_text())
    for role in ("Prepared by (audit engineer)", "Reviewed by (auditor)", "Accepted by (security lead)"):
        assert role in last
    assert manifest["run"]["run_id"] in last


def test_sign_off_roles_come_from_the_config_and_can_be_left_out(tmp_path, cli):
    from conftest import write_small_org

    roles = [{"role": "Control owner", "name": "Dana Whitfield"}, {"role": "External auditor"}]
    config = write_small_org(tmp_path, report={"sign_off": roles})
    assert cli("run", "--config", str(config), "--out", str(tmp_path / "a"), "--as-of", AS_OF)[0] == 0
    last = re.sub(r"\s+", " ", PdfReader(tmp_path / "a" / "report.pdf").pages[-1].extract_text())
    assert "Control owner Dana Whitfield" in last and "External auditor" in last and "Reviewed by" not in last
    config = write_small_org(tmp_path, report={"sign_off": []})
    assert cli("run", "--config", str(config), "--out", str(tmp_path / "b"), "--as-of", AS_OF)[0] == 0
    assert "Sign-off" not in pdf_text(tmp_path / "b" / "report.pdf")[1]


def test_pdf_carries_findings_and_inventory_as_attachments(run_dir):
    reader = PdfReader(run_dir / "report.pdf")
    attachments = reader.attachments
    assert set(attachments) == {"findings.csv", "inventory.csv"}
    assert attachments["findings.csv"][0] == (run_dir / "findings.csv").read_bytes()
    assert attachments["inventory.csv"][0] == (run_dir / "inventory.csv").read_bytes()


def test_pdf_is_pdf_a_3b(run_dir):
    reader = PdfReader(run_dir / "report.pdf")
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    intents = root["/OutputIntents"]
    assert intents[0].get_object()["/S"] == "/GTS_PDFA1"
    assert "/AF" in root, "attachments are PDF/A-3 associated files"
    assert reader.metadata.title.startswith("Personal access token and machine credential audit")


def test_xlsx_has_a_summary_and_one_filtered_sheet_per_control(run_dir):
    book = load_workbook(run_dir / "findings.xlsx", read_only=False)
    assert book.sheetnames[0] == "summary"
    with (run_dir / "controls.csv").open() as handle:
        controls = [r["control_id"] for r in csv.DictReader(handle) if int(r["population"])]
    assert set(book.sheetnames[1:]) == set(controls)
    sheet = book["key_rotated_within_max_age"]
    assert sheet.auto_filter.ref == "A1:J6"
    assert [c.value for c in sheet[1]][:4] == ["token_id", "status", "reason", "severity"]
    assert book["summary"].auto_filter.ref.startswith("A1:K")


def test_findings_json_follows_its_schema(run_dir):
    document = json.loads((run_dir / "findings.json").read_text())
    schema = json.loads((Path(__file__).parents[1] / "docs" / "findings.schema.json").read_text())
    import jsonschema

    jsonschema.validate(document, schema)
    assert len(document["findings"]) == sum(1 for _ in (run_dir / "findings.csv").open()) - 1


def test_verify_passes_then_names_every_one_byte_change(run_dir, cli):
    code, out, _ = cli("verify", str(run_dir))
    assert code == 0 and "every file matches manifest.json" in out
    files = [p for p in run_dir.rglob("*") if p.is_file() and p.name != "manifest.json"]
    assert len(files) >= 15
    for path in files:
        original = path.read_bytes()
        changed = bytearray(original)
        changed[len(changed) // 2] ^= 0x01
        path.write_bytes(bytes(changed))
        code, out, _ = cli("verify", str(run_dir))
        path.write_bytes(original)
        assert code == 1, path
        assert f"changed: {path.relative_to(run_dir).as_posix()}" in out


def test_verify_names_missing_and_added_files_and_a_tampered_manifest(run_dir, cli):
    (run_dir / "controls.csv").rename(run_dir / "controls.old")
    code, out, _ = cli("verify", str(run_dir))
    assert code == 1 and "missing: controls.csv" in out and "added: controls.old" in out
    (run_dir / "controls.old").rename(run_dir / "controls.csv")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["files"] = [f for f in manifest["files"] if f["path"] != "findings.csv"]
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    code, out, _ = cli("verify", str(run_dir))
    assert "added: findings.csv" in out and "data digest in manifest.json does not match" in out


def test_signed_manifest_verifies_with_the_public_key_and_fails_when_touched(small_org, cli):
    key = Ed25519PrivateKey.generate()
    folder = small_org.parent
    (folder / "sign.pem").write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    (folder / "pub.pem").write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    (folder / "other.pem").write_bytes(other)
    data = yaml.safe_load(small_org.read_text())
    data["report"] = {"signing_key": "sign.pem"}
    small_org.write_text(yaml.safe_dump(data))
    out = folder / "out"
    assert cli("run", "--config", str(small_org), "--out", str(out), "--as-of", AS_OF)[0] == 0
    code, text, _ = cli("verify", str(out), "--public-key", str(folder / "pub.pem"))
    assert code == 0 and "and its signature" in text
    code, text, _ = cli("verify", str(out), "--public-key", str(folder / "other.pem"))
    assert code == 1 and "signature: INVALID for manifest.json" in text
    _, text = pdf_text(out / "report.pdf")
    assert "is signed (Ed25519, manifest.json.sig)" in text


def test_reperformance_from_evidence_gives_identical_findings(run_dir, cli):
    out = run_dir.parent / "check"
    code, stdout, err = cli("check", "--evidence", str(run_dir / "evidence"), "--as-of", AS_OF, "--out", str(out))
    assert code == 0, err
    assert (out / "findings.csv").read_bytes() == (run_dir / "findings.csv").read_bytes()
    assert "re-performed 10 tokens" in stdout


def test_reperformance_of_the_demo_quarter_with_stale_source(tmp_path, cli):
    demo = Path(__file__).parents[1] / "examples" / "demo" / "2026-Q2" / "pataudit.yaml"
    out = tmp_path / "q2"
    assert cli("run", "--config", str(demo), "--out", str(out), "--as-of", "2026-06-30",
               "--store", f"sqlite:///{tmp_path / 'h.sqlite'}")[0] == 3  # fmt: skip
    check = tmp_path / "check"
    assert cli("check", "--evidence", str(out / "evidence"), "--as-of", "2026-06-30", "--out", str(check))[0] == 3
    assert (check / "findings.csv").read_bytes() == (out / "findings.csv").read_bytes()


HOSTILE = [
    '<script>alert("x")</script>',
    '<img src="http://127.0.0.1:9/steal.png">',
    "</td></tr></table><h1>forged</h1>",
    "x{background: url(file:///etc/passwd)}",
    '<style>body{background:url("file:///etc/passwd")}</style>',
    "A" * 3000,
]


def test_hostile_token_names_are_text_and_nothing_is_fetched(small_org, cli, monkeypatch):
    from pataudit.reports import pdf as pdf_module

    fetchers = []
    original = pdf_module.RefusingFetcher.__init__

    def remember(self):
        original(self)
        fetchers.append(self)

    monkeypatch.setattr(pdf_module.RefusingFetcher, "__init__", remember)
    folder = small_org.parent
    pats = json.loads((folder / "github" / "pats.json").read_text())
    hostile = [{**pats[0], "id": 100 + i, "token_id": 700 + i, "token_name": name} for i, name in enumerate(HOSTILE)]
    (folder / "github" / "pats.json").write_text(json.dumps(pats + hostile))
    out = folder / "out"
    assert cli("run", "--config", str(small_org), "--out", str(out), "--as-of", AS_OF)[0] == 0
    html = (out / "report.html").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert '<img src="http' not in html and "<h1>forged</h1>" not in html
    assert fetchers and all(f.refused == [] for f in fetchers), "nothing to fetch was ever generated"
    reader, text = pdf_text(out / "report.pdf")
    packed = text.replace(" ", "")
    assert '<script>alert("x")</script>' in packed and "url(file:///etc/passwd)" in packed
    assert "</td></tr></table><h1>forged</h1>" in packed
    widths = {round(float(p.mediabox.width)) for p in reader.pages}
    assert widths == {595}, "A4 pages throughout: long names wrap instead of widening pages"


def test_refusing_fetcher_refuses_files_and_network(tmp_path):
    from pataudit.reports.pdf import write_pdf

    html = ('<html><head><link rel="stylesheet" href="file:///etc/passwd"></head><body>'
            '<img src="http://127.0.0.1:9/x.png"><div style="background: url(file:///etc/hostname)">x</div>'
            '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
            "</body></html>")  # fmt: skip
    fetcher = write_pdf(html, tmp_path / "x.pdf")
    assert sorted(fetcher.refused) == ["file:///etc/hostname", "file:///etc/passwd", "http://127.0.0.1:9/x.png"]
