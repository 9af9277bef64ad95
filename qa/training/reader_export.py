"""The trained reader exported as Sourced ships it: float32 ONNX, then int8 (MatMul weights per channel and the
embedding tables), with its tokenizer and `reader.json` beside it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from qa.answers.reader import CONFIG_FILE, MODEL_FILE, TOKENIZER_FILE, ReaderConfig


def export(model: Any, out: Path, *, quantize: bool = True) -> tuple[Path, Path | None]:
    """Write reader.onnx (float32) and, with `quantize`, reader-int8.onnx (int8 MatMul weights per channel and
    embedding tables: 24 MB, no measurable loss on the shipped reader, docs/reader.md)."""
    import warnings

    import torch

    out.mkdir(parents=True, exist_ok=True)
    plain = out / "reader.onnx"
    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = torch.ones((2, 12), dtype=torch.int64)
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (sample, sample, torch.zeros_like(sample)), str(plain), input_names=names,
                          output_names=["start", "end", "answerable"], opset_version=17, dynamo=False,
                          dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names},
                                        "start": {0: "batch", 1: "tokens"}, "end": {0: "batch", 1: "tokens"},
                                        "answerable": {0: "batch"}})
    if not quantize:
        return plain, None
    return plain, quantize_model(plain, out / MODEL_FILE, gather=True)


def quantize_model(source: Path, target: Path, *, keep_first_ffn: bool = True, gather: bool = False) -> Path:
    """int8 dynamic quantisation of the encoder's MatMuls, per channel (the embedder's recipe, `index.onnx_embedder`).

    The heads stay float32; so does the first layer's feed-forward output when `keep_first_ffn`. With
    `gather` the embedding tables are int8 too (the file shrinks from about 60 to about 23 MB).
    """
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    nodes = onnx.load(str(source), load_external_data=False).graph.node
    matmuls = [n.name for n in nodes if n.op_type in ("MatMul", "Gemm")]
    keep = [n for n in matmuls if not n.startswith("/bert/")]
    if keep_first_ffn:
        keep += [n for n in matmuls if n.endswith("/output/dense/MatMul") and "/attention/" not in n][:1]
    root, level = logging.getLogger(), logging.getLogger().level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(str(source), str(target), per_channel=True,
                         op_types_to_quantize=["MatMul", "Gather"] if gather else ["MatMul"],
                         weight_type=QuantType.QInt8, nodes_to_exclude=keep,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        root.setLevel(level)
    return target


def ship(out: Path, folder: Path, cfg: ReaderConfig) -> None:
    """The tokenizer and config beside the weights."""
    shutil.copy(folder / "tokenizer.json", out / TOKENIZER_FILE)
    cfg.save(out / CONFIG_FILE)


def weights_of(graph: Path) -> dict[str, Any]:
    """The float32 weights of a reader graph `export` wrote, by the torch parameter names of `reader_net`:
    int8 tables and matrices dequantised ((q - zero point) x scale, per channel), MatMul weights transposed
    back. How a shipped reader is trained further when its training checkpoint is gone."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    g = onnx.load(str(graph)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}

    def value(name: str) -> Any:
        if name in inits:
            return inits[name].astype(np.float32)
        q = inits[name + "_quantized"].astype(np.float32)
        zero = inits.get(name + "_zero_point", np.zeros(1)).astype(np.float32)
        return (q - zero) * inits[name + "_scale"].astype(np.float32)

    state: dict[str, Any] = {}
    for node in g.node:  # a Linear's weight is a MatMul input named onnx::MatMul_N: the node's name is its module
        for name in node.input:
            base = name.removesuffix("_quantized")
            matrix = name != base or (name in inits and inits[name].ndim == 2)
            if base.startswith("onnx::MatMul_") and matrix:
                module = node.name.strip("/").rsplit("/", 1)[0].replace("/", ".")
                state[module + ".weight"] = value(base).T
    for name in inits:
        base = name.removesuffix("_quantized")
        if base.startswith("onnx::") or name.endswith(("_scale", "_zero_point")):
            continue
        if base.endswith(".weight_Transposed"):
            state[base.removesuffix("_Transposed")] = value(base).T
        else:
            state[base] = value(base)
    return {k: np.ascontiguousarray(v) for k, v in state.items()}
