#!/usr/bin/env python3
"""A minimal S3 client with its own SigV4 signing (hashlib/hmac), to check what sp-sink stored.

  s3_client.py ENDPOINT BUCKET list [PREFIX]   keys, one per line
  s3_client.py ENDPOINT BUCKET get KEY         the object's bytes on stdout
Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; region us-east-1.
"""
import datetime, hashlib, hmac, re, sys, urllib.parse, urllib.request

endpoint, bucket, op = sys.argv[1:4]
arg = sys.argv[4] if len(sys.argv) > 4 else ""
import os
ak, sk = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
region = "us-east-1"


def request(path, query):
    host = urllib.parse.urlparse(endpoint).netloc
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    payload = hashlib.sha256(b"").hexdigest()
    cpath = urllib.parse.quote(path, safe="/~")
    cquery = "&".join("%s=%s" % (urllib.parse.quote(k, safe="~"), urllib.parse.quote(v, safe="~"))
                      for k, v in sorted(query.items()))
    headers = {"host": host, "x-amz-content-sha256": payload, "x-amz-date": now}
    signed = ";".join(sorted(headers))
    creq = "\n".join(["GET", cpath, cquery, "".join("%s:%s\n" % (k, headers[k]) for k in sorted(headers)),
                      signed, payload])
    scope = "%s/%s/s3/aws4_request" % (now[:8], region)
    sts = "\n".join(["AWS4-HMAC-SHA256", now, scope, hashlib.sha256(creq.encode()).hexdigest()])
    key = ("AWS4" + sk).encode()
    for part in (now[:8], region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        ak, scope, signed, sig)
    url = endpoint + cpath + ("?" + cquery if cquery else "")
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
        return r.read()


if op == "list":
    token = None
    while True:
        q = {"list-type": "2", "prefix": arg}
        if token:
            q["continuation-token"] = token
        body = request("/" + bucket, q).decode()
        for k in re.findall(r"<Key>(.*?)</Key>", body):
            print(k)
        m = re.search(r"<NextContinuationToken>(.*?)</NextContinuationToken>", body)
        if not m:
            break
        token = m.group(1)
elif op == "get":
    sys.stdout.buffer.write(request("/" + bucket + "/" + arg, {}))
