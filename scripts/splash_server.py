"""Starts Splash 3.5 with two fixes for the Python and PyQt5 of current Debian.

Splash 3.5 (2020) was written for older versions of both:
- it passes `encoding=` to json.loads, which Python 3.9 removed: every request
  with a JSON body (what scrapy-splash sends) fails with HTTP 500;
- it passes float milliseconds to QTimer.start (resource_timeout, wait), which
  PyQt5 5.15 refuses: the execute endpoint fails with HTTP 500.
Both are fixed here, in Splash's own process, before the server starts.
Run with the Python of Splash's venv: scripts/splash.sh does.
"""

import json
import sys

_json_loads = json.loads


def _loads(*args, **kwargs):
    kwargs.pop("encoding", None)
    return _json_loads(*args, **kwargs)


json.loads = _loads

from PyQt5.QtCore import QTimer  # noqa: E402

_timer_start = QTimer.start


def _start(self, *args):
    return _timer_start(self, *(int(arg) for arg in args))


QTimer.start = _start

from splash.server import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
