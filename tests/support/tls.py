"""A throwaway certificate authority and a server certificate for 127.0.0.1, made with
``cryptography``: what a test's TLS server (nginx) presents and what its clients trust.

Clients trust the authority, never "any certificate": requests through ``verify=`` or
``REQUESTS_CA_BUNDLE``, Chromium through ``--ignore-certificate-errors-spki-list`` naming the
server key (a pin, not a blanket exception). The certificates are valid from a day before to a
day after the real time, which TLS clients check against their own (real) clocks.
"""

from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.clock import real_time


@dataclass(frozen=True)
class ServerCertificate:
    authority: Path  # the CA certificate (PEM): what clients trust
    chain: Path  # the server certificate followed by the CA's (nginx's ssl_certificate)
    key: Path  # the server's private key (nginx's ssl_certificate_key)
    spki_sha256: str  # base64 SHA-256 of the server's public key, for Chromium's pin list


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_server_certificate(directory: Path, host: str = "127.0.0.1") -> ServerCertificate:
    """A new CA and a certificate for ``host`` (an IP address) and localhost, in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.fromtimestamp(real_time(), UTC)
    valid_from, valid_to = now - timedelta(days=1), now + timedelta(days=1)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("voxloop throwaway test CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )

    pem = serialization.Encoding.PEM
    authority = directory / "ca.pem"
    authority.write_bytes(ca.public_bytes(pem))
    chain = directory / "fullchain.pem"
    chain.write_bytes(server.public_bytes(pem) + ca.public_bytes(pem))
    key_path = directory / "privkey.pem"
    key_path.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key_path.chmod(0o600)
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(spki)
    return ServerCertificate(authority, chain, key_path, base64.b64encode(digest.finalize()).decode())
