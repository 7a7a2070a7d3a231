"""`make demo`: serve the offline FP site on 127.0.0.1 and crawl it into output/.

For machines that cannot reach foreignpolicy.com. Extra arguments are passed
to `scrapy crawl cable` (e.g. `-a since=2016-01-01`).
"""

import subprocess
import sys
import tempfile

from fpsite import FPSite


def main(argv: list[str]) -> int:
    # A crawl state of its own: every demo writes the whole site again, and the
    # crawl state of real crawls (state/) never learns about 127.0.0.1 URLs.
    with FPSite() as site, tempfile.TemporaryDirectory(prefix="cable-demo-state-") as state:
        print(f"demo: fixture site at {site.url}", flush=True)
        command = [sys.executable, "-m", "scrapy", "crawl", "cable", "-a", f"base_url={site.url}",
                   "-s", "AUTOTHROTTLE_START_DELAY=0", "-s", f"CABLE_STATE_DIR={state}", *argv]
        return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
