"""Images and recordings in any S3-compatible object store (AWS S3, MinIO, Ceph) through boto3.

Keys: ``<branch>/<device>/<yyyy>/<mm>/<dd>/<session>/<role>.lgx`` (date of the
check's end, UTC). Every object is already encrypted for head office
(``envelope``); server-side encryption can be requested on top.
"""

from __future__ import annotations

import datetime as _dt
import logging
from typing import Any

from app.core.errors import LivegateError
from app.core.fleet.config import FleetConfig, get_secret

log = logging.getLogger(__name__)

SUFFIX = ".lgx"


class BucketUnavailable(LivegateError):
    """The object store cannot be reached or refused a request."""

    exit_code = 3


def object_prefix(branch: str, device_id: str, finished_at: float, session_id: str) -> str:
    """The folder of one session's objects (ends with ``/``)."""
    day = _dt.datetime.fromtimestamp(finished_at, _dt.timezone.utc)
    return f"{branch}/{device_id}/{day:%Y}/{day:%m}/{day:%d}/{session_id}/"


class ObjectStore:
    """A bucket reached through boto3 with the fleet settings.

    Credentials: ``s3-access-key``/``s3-secret-key`` fleet secrets when set,
    else boto3's usual chain (``AWS_*`` variables, instance roles, config files).
    """

    def __init__(self, config: FleetConfig, *, timeout_s: float = 10.0) -> None:
        import boto3
        from botocore.config import Config

        if not config.bucket:
            raise LivegateError("no bucket is configured: set `bucket` in fleet.json or LIVEGATE_FLEET_BUCKET")
        self.bucket = config.bucket
        self.sse = config.s3_sse
        options: dict[str, Any] = {
            "region_name": config.s3_region or None,
            # Few, quick retries: the outbox retries for hours, a check never waits on this.
            "config": Config(
                connect_timeout=timeout_s,
                read_timeout=timeout_s * 3,
                retries={"max_attempts": 2, "mode": "standard"},
                s3={"addressing_style": config.s3_addressing},
            ),
        }
        if config.s3_endpoint:
            options["endpoint_url"] = config.s3_endpoint
        if config.s3_ca_bundle:
            options["verify"] = config.s3_ca_bundle
        access, secret = get_secret("s3-access-key"), get_secret("s3-secret-key")
        if access and secret:
            options["aws_access_key_id"], options["aws_secret_access_key"] = access, secret
        self.client = boto3.session.Session().client("s3", **options)

    def _call(self, what: str, func: Any, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return func(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "?")
            raise BucketUnavailable(f"the bucket {self.bucket} refused {what} ({code})") from exc
        except BotoCoreError as exc:
            raise BucketUnavailable(f"cannot reach the bucket {self.bucket} for {what}: {type(exc).__name__}") from exc

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist (head-office set-up and tests)."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self._call("creating it", self.client.create_bucket)

    def put(self, key: str, body: bytes) -> None:
        """Upload one (already encrypted) object; overwriting the same key is harmless (at-least-once)."""
        extra: dict[str, Any] = {"ContentType": "application/octet-stream"}
        if self.sse:
            extra["ServerSideEncryption"] = self.sse
        self._call(f"the upload of {key}", self.client.put_object, Key=key, Body=body, **extra)

    def get(self, key: str) -> bytes:
        """Download one object."""
        response = self._call(f"the download of {key}", self.client.get_object, Key=key)
        return bytes(response["Body"].read())

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix``. Returns how many there were."""
        listed = self._call(f"listing {prefix}", self.client.list_objects_v2, Prefix=prefix)
        keys = [{"Key": item["Key"]} for item in listed.get("Contents", [])]
        if keys:
            self._call(f"deleting {prefix}", self.client.delete_objects, Delete={"Objects": keys, "Quiet": True})
        return len(keys)

    def keys(self, prefix: str = "") -> list[str]:
        """Object keys under ``prefix`` (first 1000)."""
        listed = self._call(f"listing {prefix or 'the bucket'}", self.client.list_objects_v2, Prefix=prefix)
        return [item["Key"] for item in listed.get("Contents", [])]
