"""The OpenAPI schema validates, and the API keeps its promises under a fuzzer (schemathesis)."""

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts.models import ApiKey, hash_key
from tests.factories import fund, make_tenant, make_user

# The operations of this app (generations.api); other apps' endpoints have their own tests.
OUR_PATHS = r"^/api/v1/(generations(/\{generation_id\}(/cancel)?)?|quotes|balance|ledger|providers|jobs/\w+)$"
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application()).include(
    path_regex=OUR_PATHS
)


def test_the_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_docs_are_served_without_a_key(client):
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/schema/").status_code == 200


@pytest.fixture
def keep_test_connection():
    # Django's WSGI handler closes the connection after each request, which would end the test's
    # transaction; its test client disconnects the same receivers for the same reason.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


FUZZ_KEY = "sds_f0220000_fuzzing-key-for-the-schema-test"


@schema.auth()
class FuzzKey:
    """Tells schemathesis how to authenticate, so it can also leave the key out on purpose."""

    def get(self, case, context):
        return FUZZ_KEY

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def fuzz_tenant(db, settings, keep_test_connection):
    # Fuzzing sends many requests; the throttles have their own tests.
    settings.API_THROTTLE_KEY = settings.API_THROTTLE_TENANT = "100000/min"
    tenant = make_tenant("Fuzz", owner=make_user("fuzz@example.org"))
    fund(tenant, 10**9)
    ApiKey.objects.create(tenant=tenant, name="fuzz", prefix="f0220000", key_hash=hash_key(FUZZ_KEY))
    return tenant


@schema.parametrize()
@hypothesis_settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_honours_its_schema(case, fuzz_tenant):
    # Every default check but "schema-valid data is accepted": JSON Schema cannot say that a
    # cursor must come from a `next` link, that a data: URI must hold a real image, or which
    # provider takes which ratio, so some schema-valid requests are rightly refused with 422.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
