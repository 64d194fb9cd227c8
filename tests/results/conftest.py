from tests.webhooks.helpers import dns, queued  # noqa: F401 - fixtures
