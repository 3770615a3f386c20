"""Shared helpers for the attack-and-failure suites.

``record(section, line)`` collects what a fuzzing, state-machine or fault test tried;
the lines are printed in a "what was tried" section at the end of every pytest run,
so a CI log shows the size of each run without ``-s``.
"""

from collections import defaultdict

_TRIED: dict[str, list[str]] = defaultdict(list)


def record(section: str, line: str) -> None:
    _TRIED[section].append(line)


def pytest_terminal_summary(terminalreporter):
    if not _TRIED:
        return
    terminalreporter.section("what the attack and failure tests tried")
    for section, lines in _TRIED.items():
        terminalreporter.write_line(f"[{section}]")
        for line in lines:
            terminalreporter.write_line(f"  {line}")
