"""The emulated protocols, by the provider slug in the sandbox URL."""

from generations.sandbox.protocols.aizfw import AizfwProtocol
from generations.sandbox.protocols.ark import ArkProtocol
from generations.sandbox.protocols.base import Protocol
from generations.sandbox.protocols.jiekou import JiekouProtocol
from generations.sandbox.protocols.kie import KieProtocol

_kie, _ark = KieProtocol(), ArkProtocol()

PROTOCOLS: dict[str, Protocol] = {
    "kie": _kie,
    "apikley": _kie,
    "kkiai": _ark,
    "ark": _ark,
    "aizfw": AizfwProtocol(),
    "jiekou": JiekouProtocol(),
}
