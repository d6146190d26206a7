# The seed page's Python example, verbatim, run against a real delivery:
#   python3 seed_verify.py <body file> <signature header value> <secret>
# Exits 0 when verify_signature is True.
import sys
import hmac, hashlib

def verify_signature(body: bytes, signature: str, secret: str) -> bool:
    expected = hmac.new(
        secret.encode(), body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, signature)

with open(sys.argv[1], "rb") as f:
    body = f.read()
ok = verify_signature(body, sys.argv[2], sys.argv[3])
print("verified" if ok else "REJECTED")
sys.exit(0 if ok else 1)
