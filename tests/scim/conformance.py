"""SCIM conformance: scim2-tester's check_server against a running Gatehouse.

    python conformance.py BASE_URL TOKEN

Prints every check; exits 1 when any is neither SUCCESS nor SKIPPED.
"""

import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status
from scim2_tester import check_server


def main() -> int:
    base, token = sys.argv[1], sys.argv[2]
    http = httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
    results = check_server(SyncSCIMClient(http))
    failed = 0
    for result in results:
        ok = result.status in (Status.SUCCESS, Status.SKIPPED)
        failed += 0 if ok else 1
        line = f"{result.status.name} {result.title}"
        if result.reason and not ok:
            line += f": {result.reason}"
        print(line)
    print(f"{len(results)} checks, {failed} failing")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
