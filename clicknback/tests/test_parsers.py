"""The API's JSON parser: exact numbers, bounded size and depth, every failure a 422."""

import io
from decimal import Decimal

import pytest

from clicknback.api.exceptions import exception_handler
from clicknback.api.parsers import DecimalJSONParser, InvalidJson, JsonNumber, json_decode, nesting_depth
from clicknback.errors import PayloadTooLarge


def _parse(raw: bytes, encoding: str = "utf-8"):
    return DecimalJSONParser().parse(io.BytesIO(raw), parser_context={"encoding": encoding})


def test_numbers_with_a_fraction_or_an_exponent_keep_the_text_they_were_written_as():
    # when
    data = _parse(b'{"a": 10.50, "b": 1.5E1, "c": 10.00E0, "d": -0.00}')
    # then: exact decimals, never floats, and the source text is kept
    assert all(isinstance(value, JsonNumber) for value in data.values())
    assert data["a"] == Decimal("10.50")
    assert [value.json_text for value in data.values()] == ["10.50", "1.5E1", "10.00E0", "-0.00"]


def test_integers_stay_integers_and_nan_and_infinity_are_numbers_fields_can_refuse():
    # when
    data = _parse(b'{"i": 10, "n": NaN, "p": Infinity, "m": -Infinity}')
    # then
    assert data["i"] == 10 and type(data["i"]) is int
    assert [data[k].json_text for k in "npm"] == ["NaN", "Infinity", "-Infinity"]
    assert not isinstance(data["n"], str)  # a text field never takes NaN for a string


def test_an_empty_body_is_an_empty_object():
    assert _parse(b"") == {}


@pytest.mark.parametrize(
    ("text", "depth"),
    [("1", 0), ("[]", 1), ('{"a": [1, {"b": []}]}', 4), ('["[[[[", "]]"]', 1), (r'["\"[[[["]', 1), ("[" * 5, 5)],
)
def test_nesting_depth_counts_arrays_and_objects_but_not_brackets_in_strings(text, depth):
    assert nesting_depth(text) == depth


def test_the_deepest_allowed_body_parses_and_one_level_more_is_refused(settings):
    # given
    settings.API_JSON_MAX_DEPTH = 32
    # when
    value = _parse(("[" * 32 + "]" * 32).encode())
    # then
    for _ in range(31):
        value = value[0]
    assert value == []
    with pytest.raises(InvalidJson) as refused:
        _parse(("[" * 33 + "]" * 33).encode())
    assert refused.value.contract_reason == "The body nests arrays and objects deeper than 32 levels."


def test_a_body_deeper_than_the_stack_is_refused_even_when_the_limit_is_raised(settings):
    # given a limit far above what Python's decoder can recurse
    settings.API_JSON_MAX_DEPTH = 10**9
    # when / then: the RecursionError is a refusal too
    with pytest.raises(InvalidJson):
        _parse(("[" * 100_000 + "]" * 100_000).encode())


def test_a_body_over_the_limit_is_refused_with_the_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    with pytest.raises(PayloadTooLarge) as refused:
        json_decode(b'{"a": "0123456789"}')
    assert refused.value.details == {"max_bytes": 10}


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        (b"{", "utf-8"),
        (b'{"a": "\xff"}', "utf-8"),
        (b"{}", "no-such-charset"),
        (b'{"a": ' + b"9" * 5000 + b"}", "utf-8"),
        (b"\xef\xbb\xbf{}", "utf-8"),
        (b"{} {}", "utf-8"),
    ],
)
def test_whatever_does_not_decode_is_a_422_on_the_body(raw, encoding):
    # when
    with pytest.raises(InvalidJson) as refused:
        _parse(raw, encoding)
    response = exception_handler(refused.value, {})
    # then
    assert response.status_code == 422
    assert response.data["error"]["code"] == "VALIDATION_ERROR"
    assert response.data["error"]["details"]["violations"][0]["field"] == "body"
    assert response.data["error"]["message"] == refused.value.contract_reason


def test_django_refusing_a_body_by_its_length_renders_a_413_envelope(settings):
    from django.core.exceptions import RequestDataTooBig

    # given
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    # when
    response = exception_handler(RequestDataTooBig("too big"), {})
    # then
    assert response.status_code == 413
    assert response.data == {
        "error": {
            "code": "PAYLOAD_TOO_LARGE",
            "message": "The request body is larger than 1000 bytes.",
            "details": {"max_bytes": 1000},
        }
    }


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (r'["\\", [[]]]', 3),  # an escaped backslash ends a string
        (r'["a\\\"[", []]', 2),  # an escaped backslash, then an escaped quote inside the string
        ('{"k[": "v]"}', 1),
        ('["\\u005b", "\\u005d"]', 1),
    ],
)
def test_nesting_depth_reads_escapes_as_json_does(text, depth):
    assert nesting_depth(text) == depth
