"""A worker process that encodes texts for `OnnxEmbedder`: `python -m index.encoder_worker MODEL QUANTIZE`.

Started with `subprocess`, not `multiprocessing`: spawn re-imports the caller's main module, and a
user's script without a `__main__` guard would run again in every worker. Frames on stdin and
stdout are an 8-byte length and a pickle: a list of texts in, a float32 matrix out. The worker
exits at end of input, which is also what it sees when its parent dies.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from typing import IO, Any

_LENGTH = struct.Struct("<Q")


def write_frame(stream: IO[bytes], value: Any) -> None:
    """One length-prefixed pickle."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any:
    """The next length-prefixed pickle; EOFError at end of input."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


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
