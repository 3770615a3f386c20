"""The pip-audit gate fails on a real finding and only warns when it could not audit."""

from tests.security.pip_audit_gate import verdict


def test_a_known_vulnerability_fails_the_gate():
    # given
    report = {"dependencies": [
        {"name": "django", "version": "5.2.0", "vulns": [{"id": "PYSEC-0000-1", "fix_versions": ["5.2.1"]}]},
        {"name": "six", "version": "1.17.0", "vulns": []},
    ]}  # fmt: skip

    # when
    code, lines = verdict(report)

    # then
    assert code == 1
    assert any("django 5.2.0: PYSEC-0000-1 (fixed in: 5.2.1)" in line for line in lines)


def test_packages_that_could_not_be_audited_pass_with_a_loud_warning():
    # given
    report = {"dependencies": [
        {"name": "six", "skip_reason": "Dependency not found on PyPI and could not be audited: six (1.17.0)"},
    ]}  # fmt: skip

    # when
    code, lines = verdict(report)

    # then
    assert code == 0
    assert lines[0].startswith("WARNING: pip-audit could not audit 1 of 1 packages")
    assert "NOT a clean audit" in lines[0]


def test_a_clean_audit_passes_without_warning():
    # given
    report = {"dependencies": [{"name": "six", "version": "1.17.0", "vulns": []}]}

    # when
    code, lines = verdict(report)

    # then
    assert code == 0
    assert lines == ["pip-audit: 1 packages audited, no known vulnerabilities."]
