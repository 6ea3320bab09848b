"""Schemathesis against /api/v1/openapi.json: no server error, every response as documented.

The app runs in-process (WSGI). A demo official of Lund, whose response is in review with
one version and a comment, authenticates with a real token. Half the generated cases get the
real ids (path, section_id, version_number), so they reach the services, not only the 404s.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from drafting.extensions import db as _db
from drafting.services import comments, drafting, responses
from drafting.services.tokens import create_token
from drafting.views import api  # noqa: F401  (its views register their operations)
from drafting.views.api_spec import OPERATIONS
from tests.conftest import coordinator, municipality, official

pytestmark = pytest.mark.slow

TRIO = ["Malmö", "Lund", "Eslöv"]
EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance]


def isolated(app) -> Callable:
    """The app as WSGI, each request in its own app context, as IsolatedClient does."""

    def wsgi(environ, start_response):
        from flask import has_app_context

        if has_app_context():
            _db.session.commit()  # the test's own transaction would hold SQLite's write lock
        with app.app_context():
            return list(app.wsgi_app(environ, start_response))

    return wsgi


OPERATION_IDS = sorted(operation.operation_id for operation in OPERATIONS.values())


@pytest.fixture
def api_schema(app, db, demo):
    """The schema as served by the app, and the real ids and token for the official of Lund."""
    responses.invite(demo, coordinator(), [municipality(n).id for n in TRIO])
    for name in TRIO:
        responses.answer_invitation(demo, official(name), join=True)
    drafting.publish_version(demo, coordinator(), "")
    section = drafting.working_sections(demo)[0]
    comments.add_comment(demo, official("Malmö"), section, "Bra formulerat.", exact="tillstyrker")
    _token, plaintext = create_token(official("Lund"), "schemathesis")
    real_ids = {"response_id": demo.id, "cooperation_id": demo.cooperation_id, "number": 1,
                "version_number": 1, "section_id": section.id}
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", isolated(app))
    return schema, real_ids, {"Authorization": f"Bearer {plaintext}"}


# Schemathesis' own pytest integration (from_fixture) does not run on pytest 9.2 yet; each
# operation is a plain Hypothesis test over the operation's strategies instead.
@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_operation_conforms_to_the_openapi_document(api_schema, operation_id):
    schema, real_ids, headers = api_schema
    operation = schema.find_operation_by_id(operation_id)
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(case=cases, use_real_ids=st.booleans())
    def run(case, use_real_ids: bool) -> None:
        if use_real_ids:
            case.path_parameters = {key: real_ids.get(key, value)
                                    for key, value in (case.path_parameters or {}).items()}
            if isinstance(case.body, dict):
                case.body = {key: real_ids.get(key, value) for key, value in case.body.items()}
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
