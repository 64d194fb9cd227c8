"""The product's settings for the test suite, with the sandbox provider on: tests drive it.

Set in the environment before the settings are read, so every value derived from it (provider
base URLs, the /sandbox/ mount) is what a development run has; worker processes started by
tests inherit it.
"""

import os

os.environ.setdefault("SANDBOX_ENABLED", "true")

from seedance_site.settings import *
