# Checks of our own for schemathesis, loaded by scripts/fuzz through SCHEMATHESIS_HOOKS.
import schemathesis

PROBLEM_JSON = "application/problem+json"


@schemathesis.check
def error_is_problem_json(ctx, response, case):
    """Every error answer is an RFC 9457 problem with the platform's stable `code`."""
    if response.status_code < 400:
        return None
    content_type = ";".join(response.headers.get("content-type", []))
    if not content_type.startswith(PROBLEM_JSON):
        raise AssertionError(
            f"{response.status_code} answered with content type {content_type!r}, "
            f"not {PROBLEM_JSON}"
        )
    body = response.json()
    if not isinstance(body, dict) or not isinstance(body.get("code"), str):
        raise AssertionError(f"{response.status_code} problem without a `code`: {body!r}")
    if body.get("status") != response.status_code:
        raise AssertionError(
            f"the problem says status {body.get('status')!r}, the answer {response.status_code}"
        )
    return None
