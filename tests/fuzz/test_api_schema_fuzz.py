"""Schemathesis fuzzing of every API operation against the project's own OpenAPI schema.

The schema is served by a live test server (pytest-django's ``live_server``, real HTTP)
and every operation is exercised as a user and as an admin, with data that fits the
schema (positive) and data that does not (negative). Path ids are sometimes swapped
for ids of real rows (purchases, payouts, merchants, offers in every state), so the
fuzzer reaches the handlers' happy paths and state conflicts, not only 404s.

Checks on every response:
* ``not_a_server_error`` — no 5xx, ever;
* ``status_code_conformance`` — the status is documented for that operation;
* ``content_type_conformance`` and ``response_schema_conformance`` — the body is what
  the schema says;
* ``negative_data_rejection`` — data that violates the schema is refused with a 4xx
  (for cases whose ids were not swapped for real ones).

The run is deterministic (Hypothesis ``derandomize``) and bounded: ``FUZZ_EXAMPLES``
examples per operation and generation mode (default 10). ``make test-deep`` raises it.
Failures are collected over the whole run and reported together with a curl command.
"""

import os
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import record
from tests.world import build_world

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


@pytest.fixture(autouse=True)
def _no_float_trap():
    """Schemathesis generates JSON floats; the server parses them as Decimal itself."""
    import decimal

    context = decimal.getcontext()
    previous = context.traps[decimal.FloatOperation]
    context.traps[decimal.FloatOperation] = False
    yield
    context.traps[decimal.FloatOperation] = previous


def _operations(schema):
    operations = []
    for result in schema.get_all_operations():
        operations.append(result.ok())
    return sorted(operations, key=lambda op: (op.path, op.method))


def _fuzz_operation(operation, mode, *, base_url, headers, known_ids, stats, failures):
    # the token is a fixed header of every case, so negative cases mutate the request
    # itself, not the authentication (token attacks are in tests/security)
    strategy = operation.as_strategy(generation_mode=mode, headers=headers)
    path_names = [p.name for p in operation.path_parameters]

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(case=strategy, pick=st.integers(min_value=0, max_value=1000))
    def run(case, pick):
        # two times in three, ids (in the path, the query and the body) name real rows
        if pick % 3:
            for name in path_names:
                if known_ids.get(name):
                    case.path_parameters[name] = known_ids[name][pick % len(known_ids[name])]
            for container in (case.query, case.body):
                if isinstance(container, dict):
                    for name in list(container):
                        if known_ids.get(name):
                            container[name] = known_ids[name][pick % len(known_ids[name])]
        try:
            response = case.call(base_url=base_url, timeout=30)
            stats[response.status_code] += 1
            if os.environ.get("FUZZ_DEBUG"):
                print("FUZZ", operation.label, mode, response.status_code, response.text[:150])
            # invalid data must be refused, unless real ids were swapped in above; an empty
            # query parameter (``?actor_id=``, or only whitespace) means "no filter" here
            sent = parse_qs(urlsplit(response.request.url).query, keep_blank_values=True)
            empty_query = any(not value.strip() for values in sent.values() for value in values)
            checks = CHECKS if pick % 3 or empty_query else [*CHECKS, negative_data_rejection]
            case.validate_response(response, checks=checks)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = (operation.label, failure.title)
                if key not in failures:
                    message = " ".join(str(failure.message).split())[:400]
                    failures[key] = f"[{response.status_code}] {failure.title}: {message}\n    {case.as_curl_command()}"

    try:
        run()
    except Unsatisfiable:
        return False  # nothing in this operation can be made invalid (e.g. GET /users/me)
    return True


def _partner_operation(operation) -> bool:
    return "/partner/" in operation.path or "/postbacks/" in operation.path


def _fuzz_as(role, live_server, world):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    user = world.admin if role == "admin" else world.alice
    if role == "partner":
        # a partner key opens the partner API (and postbacks are signed, not keyed): the
        # operations a partner uses are fuzzed with its key
        headers = {"Authorization": f"Api-Key {world.partner_key}"}
        operations = [op for op in _operations(schema) if _partner_operation(op)]
    else:
        headers = {"Authorization": f"Bearer {AccessToken.for_user(user)}"}
        operations = _operations(schema)
    stats: Counter = Counter()
    failures: dict = {}
    runs = 0
    for operation in operations:
        for mode in MODES:
            runs += _fuzz_operation(
                operation,
                mode,
                base_url=live_server.url,
                headers=headers,
                known_ids={**world.ids(), "user_id": [str(user.pk), str(world.mallory.pk)]},
                stats=stats,
                failures=failures,
            )
    statuses = ", ".join(f"{code}×{count}" for code, count in sorted(stats.items()))
    record(
        "schemathesis",
        f"as {role}: {len(operations)} operations, {runs} operation×mode runs (positive and negative) "
        f"× ≤{EXAMPLES} examples "
        f"= {sum(stats.values())} requests; statuses {statuses}; {len(failures)} failures",
    )
    return operations, stats, failures


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["user", "admin", "partner"])
def test_every_operation_survives_fuzzing_without_5xx_or_schema_violations(role, live_server, settings):
    # given a world with rows in every state (and no login throttle, so login and
    # registration are fuzzed rather than answering 429 after five calls)
    settings.AUTH_THROTTLE_RATE = "off"
    world = build_world()

    # when every operation is fuzzed with positive and negative data
    operations, stats, failures = _fuzz_as(role, live_server, world)

    # then nothing answered 5xx and every response matched the schema
    assert len(operations) >= (8 if role == "partner" else 20)
    report = "\n".join(f"- {label}: {text}" for (label, _), text in sorted(failures.items()))
    assert not failures, f"{len(failures)} failures:\n{report}"
    assert not [code for code in stats if code >= 500]
