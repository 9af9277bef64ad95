"""A shipped reader's graph trains on: its weights come back from the int8 ONNX into the torch net."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.real

QUESTION = "How many US troops are in Agadez?"
ITEM = ("Currently, there are approximately 1,100 American soldiers stationed in Agadez.",
        "The base cost $110 million to build.", "")


@pytest.fixture(scope="module")
def net_and_folder():  # type: ignore[no-untyped-def]
    from index.encoding import packaged_model_path
    from qa.training.reader_trainer import reader_net

    folder = Path(packaged_model_path())
    return reader_net(folder), folder


def _inputs(folder: Path) -> dict[str, np.ndarray]:
    from qa.answers.reader import encode, load_tokenizer

    batch = encode(load_tokenizer(folder / "tokenizer.json"), QUESTION, [ITEM], context_tokens=0)
    return {"input_ids": batch.input_ids, "attention_mask": batch.attention_mask,
            "token_type_ids": batch.token_type_ids}


def _run_torch(net, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    import torch

    net.eval()
    with torch.inference_mode():
        out = net(*(torch.from_numpy(feeds[k]) for k in ("input_ids", "attention_mask", "token_type_ids")))
    return [o.numpy() for o in out]


def test_the_weights_of_an_exported_float32_graph_are_the_nets_own(net_and_folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from qa.training.reader_export import export, weights_of

    net, _ = net_and_folder
    plain, _ = export(net, tmp_path, quantize=False)
    weights = weights_of(plain)
    state = net.state_dict()
    assert set(state) - set(weights) == {"bert.pooler.dense.weight", "bert.pooler.dense.bias"}  # no output reads it
    for name, value in weights.items():
        assert np.array_equal(value, state[name].numpy()), name


def test_the_shipped_int8_reader_comes_back_as_a_torch_net_that_reads_alike(net_and_folder) -> None:  # type: ignore[no-untyped-def]
    import onnxruntime as ort
    import torch

    from qa.answers.reader import MODEL_FILE
    from qa.answers.reading import WEIGHTS
    from qa.training.reader_export import weights_of

    net, folder = net_and_folder
    before = {k: v.clone() for k, v in net.state_dict().items()}
    weights = weights_of(Path(WEIGHTS) / MODEL_FILE)
    net.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=False)
    feeds = _inputs(folder)
    start, end, answerable = _run_torch(net, feeds)
    session = ort.InferenceSession(str(Path(WEIGHTS) / MODEL_FILE), providers=["CPUExecutionProvider"])
    o_start, o_end, o_answerable = session.run(None, feeds)
    assert int(start.argmax()) == int(o_start.argmax()) and int(end.argmax()) == int(o_end.argmax())
    assert abs(float(answerable[0]) - float(o_answerable[0])) < 0.5  # the int8 graph quantises activations too
    assert float(answerable[0]) > 0
    net.load_state_dict(before)
