#!/usr/bin/env python3
"""Check a presigned S3 GET URL against botocore, the AWS SDK's own Signature V4 signer.

  check_presigned.py URL ACCESS_KEY SECRET

Re-signs the URL's bare address with botocore's S3SigV4QueryAuth at the URL's own X-Amz-Date, region
and X-Amz-Expires, and prints one JSON object: {"ok": true|false, "expected": ..., "got": ...}. The exit
status is 1 when the signatures differ. moto's S3 server does not verify presigned signatures, so the
Playwright spec runs this beside fetching the object. Needs the venv made by `make s3-venv`.
"""

import datetime
import json
import sys
from unittest import mock
from urllib.parse import parse_qs, urlsplit

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def main() -> int:
    url, access_key, secret = sys.argv[1:4]
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    at = datetime.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
    region = query["X-Amz-Credential"][0].split("/")[2]
    expires = int(query["X-Amz-Expires"][0])
    request = AWSRequest(method="GET", url=f"{parts.scheme}://{parts.netloc}{parts.path}", headers={})
    auth = S3SigV4QueryAuth(Credentials(access_key, secret), "s3", region, expires=expires)
    with mock.patch("botocore.auth.get_current_datetime", return_value=at):
        auth.add_auth(request)
    expected = parse_qs(urlsplit(request.url).query)["X-Amz-Signature"][0]
    got = query.get("X-Amz-Signature", [""])[0]
    print(json.dumps({"ok": expected == got, "expected": expected, "got": got, "signed_url": request.url}))
    return 0 if expected == got else 1


if __name__ == "__main__":
    sys.exit(main())
