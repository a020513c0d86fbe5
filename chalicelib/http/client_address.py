"""Client addresses as the rate limit names them: keyed, so that a stored name cannot be reversed.

An address is personal data. A plain hash of it is no protection: hashing all 2^32 IPv4 addresses
takes minutes. The name is therefore an HMAC under a secret of the deployment that never leaves
it. That secret is derived from the ticket signing keys, which every deployment already keeps
secret (generated under KAPI_DATA_DIR locally; SSM Parameter Store or Secrets Manager in AWS), with
a label of its own, so there is no second secret to create, grant and back up. It comes from the
oldest key, so rotating the signing keys does not change it (removing that key does; the only
effect is that the current minute's rate-limit windows start afresh).
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress

from chalicelib.tickets.secrets import Keyring

LABEL = b"kapi/client-address/v1"


def key(address: str, secret: bytes | None = None) -> str:
    """The name of a client address for rate-limit windows: 80 bits of HMAC-SHA-256 of `limited_unit`."""
    return hmac.new(secret or _deployment_secret(), limited_unit(address).encode(), hashlib.sha256).hexdigest()[:20]


def limited_unit(address: str) -> str:
    """What one rate limit covers: an IPv4 address, or an IPv6 address's /64 (SPEC §16). One IPv6
    subscriber or host is given a whole /64 and picks any of its 2^64 addresses at will, so a limit
    per /128 limits nobody. An IPv4-mapped IPv6 address is its IPv4 address; anything that does not
    parse is taken as it is."""
    try:
        parsed = ipaddress.ip_address(address.strip().split("%")[0])
    except ValueError:
        return address
    if parsed.version == 6 and parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    if parsed.version == 6:
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def secret_of(keyring: Keyring) -> bytes:
    oldest = keyring.private_keys[min(keyring.private_keys)]
    return hmac.new(oldest.private_bytes_raw(), LABEL, hashlib.sha256).digest()


@functools.lru_cache(maxsize=1)
def _deployment_secret() -> bytes:
    from chalicelib.tickets.issuing import held_keyring

    return secret_of(held_keyring())
