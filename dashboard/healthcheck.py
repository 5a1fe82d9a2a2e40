"""Docker's HEALTHCHECK (`python -m dashboard.healthcheck`): exit 0 when this container's /healthz
answers 200; otherwise print what it said (`docker inspect` shows it) and exit 1.

No Django import and no curl in the slim image: a probe every 30 s should cost nothing.
"""

import os
import sys
import urllib.error
import urllib.request


def main():
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=float(os.environ.get("HEALTHCHECK_TIMEOUT", "8"))):
            return 0
    except urllib.error.HTTPError as answer:
        print(f"{url} answered {answer.code}: {answer.read(2000).decode(errors='replace')}")
    except OSError as error:
        print(f"{url} did not answer: {error}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
