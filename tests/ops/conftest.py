from tests.webhooks.helpers import dns  # noqa: F401 - fixture: no real DNS in tests
