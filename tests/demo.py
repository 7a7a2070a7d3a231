"""`make demo`: serve the offline FP site on 127.0.0.1 and crawl it into output/.

For machines that cannot reach foreignpolicy.com. Extra arguments are passed
to `scrapy crawl cable` (e.g. `-a since=2016-01-01`).
"""

import subprocess
import sys

from fpsite import FPSite


def main(argv: list[str]) -> int:
    with FPSite() as site:
        print(f"demo: fixture site at {site.url}", flush=True)
        command = [sys.executable, "-m", "scrapy", "crawl", "cable", "-a", f"base_url={site.url}",
                   "-s", "AUTOTHROTTLE_START_DELAY=0", *argv]
        return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
