"""A local emulator of every provider protocol, mounted at /sandbox/ when SANDBOX_ENABLED."""
