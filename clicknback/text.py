"""What text the platform stores: one line, no control characters, no whitespace at the ends.

Names, identifiers, reasons, codes and account holders end up in the database, in bank
files, in the back office and in front of people. ``TEXT_PATTERN`` is the rule; the API's
``StrictCharField`` publishes it in the schema and the payout destinations apply it too.
"""

import re

# Characters no stored text may contain: the C0 and C1 control characters (NUL, tab, line
# feed, BEL, ...), the line and paragraph separators, the bidirectional embedding,
# override and isolate controls (they make a name display as something else) and the
# zero-width no-break space. Written as \u escapes, which Python's re and ECMA-262 (the
# schema's regex dialect) read alike; \s means the same in both for every other character.
FORBIDDEN_CHARACTERS = r"\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
TEXT_PATTERN = re.compile(rf"^[^\s{FORBIDDEN_CHARACTERS}](?:[^{FORBIDDEN_CHARACTERS}]*[^\s{FORBIDDEN_CHARACTERS}])?$")
# Lone surrogates (from JSON "\ud800" escapes) cannot be encoded to UTF-8 at all. They are
# not in the published pattern, where ECMA-262 would read them as halves of every emoji;
# DRF's CharField refuses them on its own, other text is checked here.
_FORBIDDEN = re.compile(rf"[{FORBIDDEN_CHARACTERS}\ud800-\udfff]")

CONTROL_CHARACTERS_REASON = "Must not contain control characters (NUL, tabs, line breaks, direction overrides)."
SURROUNDING_WHITESPACE_REASON = "Must not start or end with whitespace."


def has_forbidden_characters(value: str) -> bool:
    return _FORBIDDEN.search(value) is not None


def text_problem(value: str) -> str | None:
    """Why ``value`` is not acceptable text (``TEXT_PATTERN``), or None when it is."""
    if TEXT_PATTERN.fullmatch(value):
        return None
    if has_forbidden_characters(value):
        return CONTROL_CHARACTERS_REASON
    return SURROUNDING_WHITESPACE_REASON if value else "Must not be empty."
