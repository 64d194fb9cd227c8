from tests.webhooks.helpers import dns  # noqa: F401 - fixtures
