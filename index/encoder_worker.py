"""A worker process that encodes texts for `OnnxEmbedder`: `python -m index.encoder_worker MODEL QUANTIZE`.

Started with `subprocess`, not `multiprocessing`: spawn re-imports the caller's main module, and a
user's script without a `__main__` guard would run again in every worker. Frames on stdin and
stdout are an 8-byte length and a pickle: a list of texts in, a float32 matrix out. The worker
exits at end of input, which is also what it sees when its parent dies.
"""

from __future__ import annotations

import os
import signal
import sys

from index.frames import read_frame, write_frame


def main() -> None:
    """Encode frames of texts until the input ends."""
    from index.onnx_embedder import OnnxEmbedder

    # Ctrl+C reaches the whole process group: the parent decides when to stop, and ends this
    # worker by closing its input.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Frames get a private copy of stdout; anything a library prints goes to stderr instead.
    sink = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    source = sys.stdin.buffer
    model, quantize = sys.argv[1], sys.argv[2] == "1"
    embedder = OnnxEmbedder(model, quantize=quantize, workers=1)
    write_frame(sink, embedder.dim)  # ready
    while True:
        try:
            texts = read_frame(source)
        except EOFError:
            return
        write_frame(sink, embedder.encode(texts))


if __name__ == "__main__":
    main()
