"""The whole /api/v1/ surface under schemathesis: cases generated from the OpenAPI schema, valid
and invalid, each answered as the schema says, never with a 5xx, every refusal in the project's
JSON error shape.

FOOTFALL_API_FUZZ_CASES sets the cases in all, spread over the operations: 550 by default for a
quick `make test`, 10,000 in CI. The cases actually generated are counted, and the last test
fails if they fall short of that number. The key's rate limit is off here: one client sending
thousands of requests a minute is the point, and 429s would hide the real answers.
"""

from __future__ import annotations

import math
import os
from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sites.keys import api_key_create
from tests.dashboard.api.test_openapi import OPERATIONS
from tests.factories import MembershipFactory, UserFactory

CASES = int(os.environ.get("FOOTFALL_API_FUZZ_CASES", "550"))
PER_OPERATION = math.ceil(CASES / len(OPERATIONS))

# Loaded at collection, as schemathesis's pytest integration expects (its lazy loader does not
# run on this pytest); the schema view needs no database.
fuzzed = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())


@pytest.fixture(scope="module")
def generated() -> Counter[tuple[str, str]]:
    """The cases sent in this module, by operation and by whether they fit the schema."""
    return Counter()


@pytest.fixture
def bearer(site, settings):
    """A key with every scope for the owner of stats.example (which has a day of data)."""
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    user = UserFactory()
    MembershipFactory(user=user, site=site)
    secret = api_key_create(user=user, name="fuzz", scopes=["events:write", "sites:manage", "stats:read"])[1]
    # As Django's test client does: closing "old" connections after each request would close
    # the test's own connection, with its uncommitted transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Bearer {secret}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def assert_project_error(response) -> None:
    """A refusal is {"error": {"code", "message", "field"}} with a code and a message."""
    assert response.headers["content-type"][0].startswith("application/json"), response.headers
    error = response.json()["error"]
    assert set(error) == {"code", "message", "field"}, error
    assert isinstance(error["code"], str), error
    assert isinstance(error["message"], str), error
    assert error["code"], error
    assert error["message"], error
    assert error["field"] is None or isinstance(error["field"], str), error


@fuzzed.parametrize()
@settings(max_examples=PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_conforms_to_its_schema(case, bearer, generated):
    generated[(case.operation.label, case.meta.generation.mode.value)] += 1
    for name in ("site_id", "site"):
        if case.query and name in case.query:
            # A random domain is always 404 (tested in test_api); the seeded site gets the
            # stats' and the export's 200 bodies checked against their schemas.
            case.query[name] = "stats.example"
    response = case.call_and_validate(
        headers=bearer,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
    assert response.status_code != 429, "the rate limit is off for the fuzzer"
    if response.status_code >= 400:
        assert_project_error(response)


# Marked like the fuzz test, so pytest-django keeps it in the same group, right after it (tests
# without a database run last, after the module's `generated` counter is gone).
@pytest.mark.django_db
def test_the_fuzzer_sent_the_cases_asked_for(generated):
    """Hypothesis stops early on an operation with few distinct inputs, so count what was sent."""
    fuzzed_operations = {operation for operation, _ in generated}
    if len(fuzzed_operations) < len(OPERATIONS):
        # A selection of tests (-k) left some out; a run that asks for a count must have sent it.
        assert "FOOTFALL_API_FUZZ_CASES" not in os.environ, f"only {sorted(fuzzed_operations)} were fuzzed"
        pytest.skip("the schemathesis test did not run for every operation in this session")
    total = sum(generated.values())
    assert total >= CASES, f"{total} cases, fewer than the {CASES} asked for: {dict(generated)}"
