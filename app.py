"""Sourced's chat page and HTTP API: `python app.py [--host H] [--port N] [--index DIR]`."""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def main(argv: list[str] | None = None) -> None:
    """Parse the options, load the index and serve the chat at http://HOST:PORT/."""
    from qa.shells.server import DEFAULT_HOST, DEFAULT_PORT

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"Interface to bind (default {DEFAULT_HOST}).")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)),
                        help=f"Port (default $PORT or {DEFAULT_PORT}).")
    parser.add_argument("--index", default=None, help="Index directory (default $QA_INDEX_DIR or ./.sourced-index).")
    parser.add_argument("--chroma-url", default=None, help="Use a Chroma server instead of the embedded store.")
    parser.add_argument("--llm", default=None, metavar="URL",
                        help="Write answers with an LLM on this OpenAI-compatible server (default $QA_LLM_URL); "
                             "every sentence is verified against its citations.")
    args = parser.parse_args(argv)

    from qa.engine import QA
    from qa.settings import Settings
    from qa.shells.server import serve

    serve(QA(args.index, chroma=args.chroma_url, settings=Settings(llm_url=args.llm)), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
