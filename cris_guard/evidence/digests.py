"""Log-file integrity: check CloudTrail log files against the trail's signed digest files, as
``aws cloudtrail validate-logs`` does.

AWS's procedure (CloudTrail User Guide, "Custom implementations of CloudTrail log file integrity validation",
cloudtrail-log-file-custom-validation.html, and "CloudTrail digest file structure"):

- every hour a digest file lists each log file delivered (``logFiles[].s3Object``, ``hashValue``: hex SHA-256 of
  the log file's **uncompressed** contents) and carries the previous digest's signature
  (``previousDigestS3Object``, ``previousDigestSignature``);
- a digest is signed with SHA256withRSA over the string ``digestEndTime + "\\n" + bucket/key + "\\n" +
  hex(SHA-256(digest file contents)) + "\\n" + previousDigestSignature``; the AWS CLI hashes the decompressed
  digest (aws-cli ``customizations/cloudtrail/validation.py``: ``hashlib.sha256(inflated_digest)``, and the
  text ``null`` for the first digest's missing previous signature); the signature is the object's ``x-amz-meta-signature``
  metadata, hex; the public keys come from ``cloudtrail:ListPublicKeys`` (DER, PKCS #1), chosen by
  ``digestPublicKeyFingerprint``.

Offline, a digest's signature is known from the next digest's ``previousDigestSignature``; the newest digest's
only from its S3 metadata, which a downloaded folder does not keep: save it beside the file as
``<digest file>.signature`` (hex) to check it too, otherwise it is reported as not verifiable.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

_DIGEST_FOLDER = "/CloudTrail-Digest/"


@dataclass
class Integrity:
    """What the digests say about the digests themselves and the log files read."""

    digests_valid: list[str] = field(default_factory=list)
    digests_invalid: list[dict[str, str]] = field(default_factory=list)
    digests_unverifiable: list[dict[str, str]] = field(default_factory=list)
    digests_missing: list[str] = field(default_factory=list)  # a gap in the chain (a previous digest absent)
    logs_valid: list[str] = field(default_factory=list)
    logs_invalid: list[dict[str, str]] = field(default_factory=list)
    logs_missing: list[str] = field(default_factory=list)  # listed by a valid digest, in scope, but not here
    logs_not_in_a_digest: list[str] = field(default_factory=list)  # read, but no valid digest vouches for it

    @property
    def passed(self) -> bool:
        """Every log file read is vouched for by a valid digest, and nothing a valid digest lists (in the
        window and filters) or a link of the chain is missing: deleting or adding a file fails the check."""
        return not (self.digests_invalid or self.digests_missing or self.logs_invalid or self.logs_missing
                    or self.logs_not_in_a_digest)

    def summary(self) -> dict:
        return {"passed": self.passed, "digests_valid": len(self.digests_valid), "digests_invalid": self.digests_invalid,
                "digests_unverifiable": self.digests_unverifiable, "digests_missing": self.digests_missing,
                "logs_valid": len(self.logs_valid), "logs_invalid": self.logs_invalid, "logs_missing": self.logs_missing,
                "logs_not_in_a_digest": self.logs_not_in_a_digest}


def load_public_keys(document: Mapping) -> dict[str, bytes]:
    """``{fingerprint: DER public key}`` from a ListPublicKeys response (``PublicKeyList``; ``Value`` as bytes
    from boto3, or base64 text in a saved JSON file)."""
    keys: dict[str, bytes] = {}
    for item in document.get("PublicKeyList") or document.get("publicKeyList") or []:
        value = item.get("Value")
        keys[str(item.get("Fingerprint"))] = value if isinstance(value, bytes) else base64.b64decode(value)
    return keys


def _key_of(relative: str) -> str:
    """The S3 key suffix a local file stands for: from ``AWSLogs/`` on."""
    relative = relative.replace("\\", "/")
    return relative[relative.index("AWSLogs/"):] if "AWSLogs/" in relative else relative


def _verify(signature_hex: str, message: bytes, der_key: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    try:
        try:
            key = load_der_public_key(der_key)  # SubjectPublicKeyInfo
        except ValueError:
            key = _pkcs1(der_key)  # PKCS #1, as ListPublicKeys documents
        key.verify(binascii.unhexlify(signature_hex), message, padding.PKCS1v15(), hashes.SHA256())
        return True
    except (InvalidSignature, ValueError, binascii.Error, TypeError):
        return False


def _pkcs1(der_key: bytes):
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    # ListPublicKeys documents "DER encoded public key value in PKCS #1 format"; wrap it as
    # SubjectPublicKeyInfo (the rsaEncryption algorithm identifier) for the loader.
    algorithm = bytes.fromhex("300d06092a864886f70d0101010500")
    bit_string = b"\x03" + _der_length(len(der_key) + 1) + b"\x00" + der_key
    body = algorithm + bit_string
    return load_der_public_key(b"\x30" + _der_length(len(body)) + body)


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _inflate(data: bytes) -> bytes:
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


_REQUIRED = ("digestEndTime", "digestS3Bucket", "digestS3Object", "digestPublicKeyFingerprint", "logFiles")


@dataclass
class DigestFile:
    """One digest file, from a folder or S3: its key from ``AWSLogs/`` on, where it came from, its bytes (or
    why they could not be read) and its signature when known apart from the chain (S3 metadata, a sidecar)."""

    key: str
    origin: str
    data: bytes | None
    error: str = ""
    signature: str = ""


@dataclass
class LogFile:
    """One log file read: its key from ``AWSLogs/`` on, where it came from, and the hex SHA-256 of its
    uncompressed contents (a callable, so that a folder's files are hashed only when a digest lists them)."""

    key: str
    origin: str
    sha256: Callable[[], str]


def verify(digest_files: Iterable[DigestFile], log_files: Iterable[LogFile], public_keys: Mapping[str, bytes],
           in_scope: Callable[[str], bool] = lambda key: True) -> Integrity:
    """Check every digest and every log file against them. ``in_scope(key)`` says whether a log file a digest
    lists belongs to the window and filters (so must be present)."""
    result = Integrity()
    digests: dict[str, tuple[DigestFile, dict, bytes]] = {}  # S3 key suffix -> (file, document, inflated bytes)
    for digest in digest_files:
        try:
            if digest.data is None:
                raise OSError(digest.error or "not readable")
            inflated = _inflate(digest.data)
            document = json.loads(inflated)
        except (OSError, EOFError, zlib.error, ValueError, RecursionError) as exc:
            reason = digest.error or exc.__class__.__name__
            result.digests_invalid.append({"path": digest.origin, "reason": f"cannot be read ({reason})"})
            continue
        missing = [k for k in _REQUIRED if not isinstance(document, dict) or k not in document]
        if missing or not isinstance(document.get("logFiles"), list):
            result.digests_invalid.append({"path": digest.origin,
                                           "reason": f"not a CloudTrail digest (missing {missing or ['logFiles']})"})
            continue
        digests[digest.key] = (digest, document, inflated)
    for key, (_, document, _) in sorted(digests.items()):
        previous = document.get("previousDigestS3Object")
        if previous and _key_of(str(previous)) not in digests and in_scope(_key_of(str(previous))):
            result.digests_missing.append(_key_of(str(previous)))
    # A digest's signature: the next digest's previousDigestSignature, or its S3 metadata / a saved .signature file.
    signatures: dict[str, str] = {}
    for _, document, _ in digests.values():
        previous = document.get("previousDigestS3Object")
        if previous and document.get("previousDigestSignature"):
            signatures[_key_of(previous)] = document["previousDigestSignature"]
    hashes: dict[str, str] = {}  # log key suffix -> expected hex SHA-256, from valid digests only
    for key, (digest, document, inflated) in sorted(digests.items()):
        if _key_of(str(document.get("digestS3Object", ""))) != key:
            result.digests_invalid.append({"path": digest.origin, "reason": "moved: its digestS3Object names another place"})
            continue
        signature = signatures.get(key) or digest.signature
        if not signature:
            result.digests_unverifiable.append({"path": digest.origin, "reason": "newest digest: its signature is only"
                                                " in its S3 metadata (save it as <file>.signature to check it)"})
            continue
        der = public_keys.get(str(document.get("digestPublicKeyFingerprint")))
        if der is None:
            result.digests_unverifiable.append({"path": digest.origin, "reason": "no public key with fingerprint"
                                                f" {document.get('digestPublicKeyFingerprint')}"})
            continue
        # The first digest of a chain has no previous signature: the AWS CLI signs the text 'null' then, "to
        # match the Java implementation" (aws-cli, customizations/cloudtrail/validation.py).
        previous = document.get("previousDigestSignature")
        message = (f"{document['digestEndTime']}\n{document['digestS3Bucket']}/{document['digestS3Object']}\n"
                   f"{hashlib.sha256(inflated).hexdigest()}\n{'null' if previous is None else previous}").encode()
        if not _verify(signature, message, der):
            result.digests_invalid.append({"path": digest.origin, "reason": "signature does not match (changed or forged)"})
            continue
        result.digests_valid.append(digest.origin)
        for item in document.get("logFiles", []):
            if isinstance(item, dict):
                hashes[_key_of(str(item.get("s3Object", "")))] = str(item.get("hashValue", ""))
    log_files = list(log_files)
    present = {log.key for log in log_files}
    result.logs_missing = sorted(k for k in hashes if k not in present and in_scope(k))
    for log in log_files:
        expected = hashes.get(log.key)
        if expected is None:
            result.logs_not_in_a_digest.append(log.origin)
            continue
        try:
            actual = log.sha256()
        except (OSError, EOFError, zlib.error) as exc:
            result.logs_invalid.append({"path": log.origin, "reason": f"cannot be read ({exc.__class__.__name__})"})
            continue
        if actual == expected:
            result.logs_valid.append(log.origin)
        else:
            result.logs_invalid.append({"path": log.origin, "reason": "SHA-256 differs from its digest (changed)"})
    return result


def verify_folder(root: Path, log_files: Iterable[Path], public_keys: Mapping[str, bytes],
                  in_scope: Callable[[str], bool] = lambda key: True) -> Integrity:
    """:func:`verify` for a downloaded folder: every digest under ``root`` (``CloudTrail-Digest/``, with an
    optional ``<digest>.signature`` sidecar) and the log files read."""

    def digest_file(path: Path) -> DigestFile:
        sidecar = path.with_name(path.name + ".signature")
        try:
            data, error = path.read_bytes(), ""
        except OSError as exc:
            data, error = None, exc.__class__.__name__
        return DigestFile(_key_of(str(path.relative_to(root))), str(path), data, error,
                          sidecar.read_text().strip() if sidecar.is_file() else "")

    def log_file(path: Path) -> LogFile:
        key = _key_of(str(path.relative_to(root)) if path.is_relative_to(root) else str(path))
        return LogFile(key, str(path), lambda: hashlib.sha256(_inflate(path.read_bytes())).hexdigest())

    digests = [digest_file(p) for p in sorted(root.rglob("*.json.gz")) + sorted(root.rglob("*.json"))
               if _DIGEST_FOLDER in p.as_posix()]
    return verify(digests, [log_file(p) for p in log_files], public_keys, in_scope)


def s3_digest_files(client, bucket: str, keys: Iterable[str]) -> list[DigestFile]:
    """The digest objects at ``keys``, each with its signature from its S3 metadata (``x-amz-meta-signature``,
    which boto3 returns as ``Metadata["signature"]``)."""
    found = []
    for key in keys:
        origin = f"s3://{bucket}/{key}"
        try:
            response = client.get_object(Bucket=bucket, Key=key)
            found.append(DigestFile(_key_of(key), origin, response["Body"].read(), "",
                                    str((response.get("Metadata") or {}).get("signature", ""))))
        except Exception as exc:  # noqa: BLE001 - any client or network error: listed as unreadable, never fatal
            found.append(DigestFile(_key_of(key), origin, None, f"cannot be downloaded: {exc.__class__.__name__}"))
    return found


def public_keys_from_account(clients: Iterable, start, end) -> dict[str, bytes]:
    """``cloudtrail:ListPublicKeys`` in each Region's client, for the window (every page)."""
    keys: dict[str, bytes] = {}
    for client in clients:
        kwargs = {k: v for k, v in (("StartTime", start), ("EndTime", end)) if v is not None}
        while True:
            page = client.list_public_keys(**kwargs)
            keys.update(load_public_keys(page))
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
    return keys
