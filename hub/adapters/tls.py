"""TLS for the MLLP listener from configuration: a server certificate and key, and optionally a
CA bundle, which turns on required client certificates (mutual TLS)."""

from __future__ import annotations

import ssl

from hub.errors import ConfigError


def server_context(cert: str, key: str, client_ca: str | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
        if client_ca:
            context.load_verify_locations(client_ca)
            context.verify_mode = ssl.CERT_REQUIRED
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"MLLP TLS: cannot load the certificate, key or CA: {exc}") from exc
    return context


def client_context(ca: str, cert: str | None = None, key: str | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    if cert:
        context.load_cert_chain(cert, key)
    return context
