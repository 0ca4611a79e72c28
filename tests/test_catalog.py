"""Conformance: every control loads, maps to real framework requirements, has tests and help text."""

import re
from pathlib import Path

import pytest
import yaml

from pataudit.checks.catalog import default_catalog, load_catalog
from pataudit.checks.predicates import PREDICATES
from pataudit.errors import ControlDefinitionError

CATALOG = default_catalog()
DESIGN_CONTROLS = {
    "token_expires",
    "token_lifetime_within_max",
    "key_rotated_within_max_age",
    "credential_recently_used",
    "one_active_key_per_principal",
    "no_root_access_keys",
    "no_admin_privilege",
    "least_resource_scope",
    "owner_active",
    "no_user_managed_sa_keys",
    "no_classic_pats",
    "stale_tokens_removed",
}
FRAMEWORKS = {
    "cis_aws_3.0",
    "cis_aws_5.0",
    "cis_gcp_3.0",
    "soc2_2017",
    "iso27001_2022",
    "nist_800_53_r5",
    "pci_dss_4.0",
}
RULE_TESTS = (Path(__file__).parent / "test_rules.py").read_text()


def test_catalog_has_the_design_controls_and_frameworks():
    assert set(CATALOG.controls) == DESIGN_CONTROLS
    assert set(CATALOG.frameworks) == FRAMEWORKS
    assert set(PREDICATES) == {c.predicate for c in CATALOG.controls.values()}


@pytest.mark.parametrize("control_id", sorted(DESIGN_CONTROLS))
def test_control_is_complete(control_id):
    control = CATALOG.controls[control_id]
    assert len(control.title.split()) >= 3
    for text in (control.objective, control.test_procedure, control.remediation):
        assert len(text.split()) >= 8
    refs = CATALOG.references(control_id)
    assert any(not r.startswith("GitHub Docs") for r in refs), "maps to at least one framework requirement"
    assert re.search(rf'\(\s*"{control_id}",', RULE_TESTS), "has a rule-table test"
    for name in control.parameters:
        assert "{" + name + "}" in control.test_procedure, "the procedure shows the threshold actually used"


def test_framework_thresholds_are_real_parameters():
    for framework in CATALOG.frameworks.values():
        for req in framework.requirements:
            assert re.match(r"^[A-Z0-9][A-Za-z0-9.()-]*$", req.id), req.id
            for control_id, limits in req.thresholds.items():
                assert set(limits) <= set(CATALOG.controls[control_id].parameters)


def test_cis_aws_rotation_requirement_carries_90_days():
    (req,) = [r for r in CATALOG.frameworks["cis_aws_3.0"].requirements if r.id == "1.14"]
    assert req.thresholds == {"key_rotated_within_max_age": {"max_age_days": 90}}


def test_broken_control_file_is_reported(tmp_path):
    controls = tmp_path / "controls"
    controls.mkdir()
    source = yaml.safe_load((Path(__file__).parents[1] / "pataudit/checks/controls/owner_active.yaml").read_text())
    (controls / "owner_active.yaml").write_text(yaml.safe_dump({**source, "predicate": "nope"}))
    with pytest.raises(ControlDefinitionError, match=r"owner_active.yaml: predicate 'nope' is not registered"):
        load_catalog(controls, tmp_path)
    (controls / "owner_active.yaml").write_text(yaml.safe_dump({**source, "severity": "urgent"}))
    with pytest.raises(ControlDefinitionError, match=r"owner_active.yaml: severity: input should be"):
        load_catalog(controls, tmp_path)


def test_controls_command_lists_every_control(cli):
    code, out, _ = cli("controls")
    assert code == 0
    for control_id in DESIGN_CONTROLS:
        assert control_id in out
    assert "CIS AWS 3.0 1.14" in out and "PCI DSS 4.0 8.2.6" in out
