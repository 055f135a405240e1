"""Signs a demo login in at onboarding and prints its refresh token.

Staff who decide or move money pass a TOTP second factor after the password; the demo staff's
secrets derive from their usernames exactly as onboarding's `seed::demo_totp_secret` derives
them (the first 20 bytes of the SHA-256 of `imkon-demo-second-factor:<username>`), so the code
is computed here as an authenticator would (RFC 6238: HMAC-SHA1, 30-second steps, six digits).

Usage: demo_sign_in.py ONBOARDING_URL USERNAME
"""

import hashlib
import hmac
import json
import struct
import sys
import time
import urllib.request


def post_json(url, body):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def demo_code(username):
    secret = hashlib.sha256(f"imkon-demo-second-factor:{username}".encode()).digest()[:20]
    counter = struct.pack(">Q", int(time.time()) // 30)
    digest = hmac.new(secret, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def main():
    onboarding, username = sys.argv[1], sys.argv[2]
    answer = post_json(
        f"{onboarding}/v1/auth/password",
        {"username": username, "password": f"{username}-demo-pass"},
    )
    if "challenge" in answer:
        answer = post_json(
            f"{onboarding}/v1/auth/second-factor",
            {"challenge": answer["challenge"], "code": demo_code(username)},
        )
    print(answer["refresh_token"])


if __name__ == "__main__":
    main()
