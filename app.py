"""Start the chat UI: `python app.py [--host H] [--port P]` (same as `qa serve`). Local-only by default."""

from __future__ import annotations

import argparse
import sys

from qa.config import load_settings
from qa.errors import QAError
from qa.ui import serve


def main(argv: list[str] | None = None) -> int:
    settings = load_settings()
    parser = argparse.ArgumentParser(description="公报问答 chat UI")
    parser.add_argument("--host", default=settings.host, help=f"interface (default {settings.host}; QA_HOST)")
    parser.add_argument("--port", type=int, default=settings.port, help=f"port (default {settings.port}; QA_PORT)")
    args = parser.parse_args(argv)
    try:
        serve(settings, host=args.host, port=args.port)
    except QAError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
