"""A throwaway S3 server for the tests: moto on a free loopback port that checks request
signatures, one IAM user allowed everything on S3, and one bucket. Once ready it prints the
URL the tests read as CVDESK_TEST_S3_URL (http://KEY:SECRET@127.0.0.1:PORT/BUCKET, the key
and secret percent-encoded), then serves until it is stopped."""

import json
import sys
import time
import urllib.parse
import urllib.request

import boto3
from moto.iam import access_control
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

BUCKET = "cvdesk-test"

_signed_request = access_control.IAMRequestBase._create_aws_request


def _query_as_signed(self):  # type: ignore[no-untyped-def]
    """moto checks a signature against the query string as it decoded it, so a listing
    with a folder (prefix=a%2Fb) never matches; the query is encoded again as clients
    sign it (RFC 3986, as SigV4 asks) before moto checks."""
    path, _, query = self._path.partition("?")
    if query:
        encode = lambda text: urllib.parse.quote(urllib.parse.unquote(text), safe="-_.~")  # noqa: E731
        pairs = (pair.partition("=") for pair in query.split("&"))
        self._path = path + "?" + "&".join(f"{encode(k)}={encode(v)}" for k, _, v in pairs)
    return _signed_request(self)


access_control.IAMRequestBase._create_aws_request = _query_as_signed


def main() -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # Until authentication is switched on below, moto takes any credentials.
    setup = {
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "aws_access_key_id": "setup",
        "aws_secret_access_key": "setup",
    }
    iam = boto3.client("iam", **setup)
    iam.create_user(UserName="cvdesk")
    iam.put_user_policy(
        UserName="cvdesk",
        PolicyName="attachments",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName="cvdesk")["AccessKey"]
    boto3.client("s3", **setup).create_bucket(Bucket=BUCKET)
    # From now on every request must be signed by the user's key.
    # Sent as plain bytes: a form body would be parsed away before moto reads the count.
    urllib.request.urlopen(
        urllib.request.Request(
            f"{endpoint}/moto-api/reset-auth",
            data=b"0",
            method="POST",
            headers={"Content-Type": "application/octet-stream"},
        )
    ).read()
    quote = lambda text: urllib.parse.quote(text, safe="")  # noqa: E731
    print(
        f"http://{quote(key['AccessKeyId'])}:{quote(key['SecretAccessKey'])}"
        f"@{host}:{port}/{BUCKET}",
        flush=True,
    )
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
