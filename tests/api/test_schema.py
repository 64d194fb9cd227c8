"""The OpenAPI schema validates, and the API keeps its promises under a fuzzer (schemathesis)."""

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts.models import ApiKey, hash_key
from generations.api.serializers import IMAGE_FORMAT
from tests.api.conftest import data_uri, jpeg_bytes, png_bytes
from tests.factories import fund, make_tenant, make_user
from tests.webhooks.helpers import dns  # noqa: F401 - fixture

# The images JSON Schema cannot describe (format "seedance-image"): real ones, as URLs and data: URIs.
schemathesis.openapi.format(
    IMAGE_FORMAT,
    st.sampled_from(
        [
            "https://images.example.com/cats/yawn.png",
            "https://cdn.example.org/frame.jpg?size=large",
            data_uri(png_bytes(640, 360)),
            data_uri(jpeg_bytes(720, 1280), "jpeg"),
        ]
    ),
)
# Every operation the schema lists, every check. Generated from the schema (examples, then
# fuzzing); the coverage phase is off: it derives boundary strings from patterns alone and so
# cannot honour the image format above.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
schema.config.phases.coverage.enabled = False


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
def fuzz_tenant(db, settings, keep_test_connection, dns):  # noqa: F811
    # Fuzzing sends many requests; the throttles have their own tests.
    settings.API_THROTTLE_KEY = settings.API_THROTTLE_TENANT = "100000/min"
    tenant = make_tenant("Fuzz", owner=make_user("fuzz@example.org"))
    fund(tenant, 10**9)
    ApiKey.objects.create(tenant=tenant, name="fuzz", prefix="f0220000", key_hash=hash_key(FUZZ_KEY))
    return tenant


@schema.parametrize()
@hypothesis_settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
def test_the_api_honours_its_schema(case, fuzz_tenant):
    if case.operation.definition.raw.get("operationId") == "files_create":
        # An uploaded file's content (a real image) is the one rule no schema format carries to a
        # multipart part: random bytes are rightly refused. Every other check still applies.
        case.call_and_validate(excluded_checks=[positive_data_acceptance])
        return
    case.call_and_validate()
