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


CALIBRATION = {"version": "1.1", "data": [
    {"title": "Harbor", "paragraphs": [
        {"context": "The Harbor Bridge opened in 1932 after six years of work. It carries eight lanes of traffic and two "
                    "rail lines. Its chief engineer was Ada Kell, who also designed the Northgate tunnel.",
         "qas": [{"id": "h1", "question": "When did the Harbor Bridge open?", "answers": [{"text": "1932"}]},
                 {"id": "h2", "question": "How many lanes of traffic does the Harbor Bridge carry?",
                  "answers": [{"text": "eight"}]},
                 {"id": "h3", "question": "Who was the chief engineer of the Harbor Bridge?",
                  "answers": [{"text": "Ada Kell"}]}]},
        {"context": "A ferry crossed the harbor before the bridge was built. The ferry company closed in 1935, three years "
                    "after the opening, and sold its boats to a fishing cooperative.",
         "qas": [{"id": "h4", "question": "When did the ferry company close?", "answers": [{"text": "1935"}]},
                 {"id": "h5", "question": "Who bought the ferry company's boats?",
                  "answers": [{"text": "a fishing cooperative"}]}]}]},
    {"title": "Orchard", "paragraphs": [
        {"context": "The Dunmore orchard grows twelve varieties of apple. It was planted in 1871 by Mary Dunmore. "
                    "Its cider is sold in forty shops across the county.",
         "qas": [{"id": "o1", "question": "How many varieties of apple does the Dunmore orchard grow?",
                  "answers": [{"text": "twelve"}]},
                 {"id": "o2", "question": "Who planted the Dunmore orchard?", "answers": [{"text": "Mary Dunmore"}]},
                 {"id": "o3", "question": "In how many shops is the orchard's cider sold?",
                  "answers": [{"text": "forty"}]}]}]}]}


def test_qa_train_decision_refits_how_many_sentences_the_decision_reads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`qa train decision`: the calibration titles indexed, asked, read; the decision fitted for `--read` sentences."""
    import json
    import shutil

    from click.testing import CliRunner

    from qa.answers.reader import ReaderConfig
    from qa.answers.reading import WEIGHTS
    from qa.shells.cli import main

    data, work, folder = tmp_path / "train.json", tmp_path / "work", tmp_path / "reader"
    squad = json.loads(json.dumps(CALIBRATION))
    for para in (p for entry in squad["data"] for p in entry["paragraphs"]):
        for q in para["qas"]:
            q["answers"][0]["answer_start"] = para["context"].index(q["answers"][0]["text"])
    data.write_text(json.dumps(squad), encoding="utf-8")
    shutil.copytree(WEIGHTS, folder)
    out = CliRunner().invoke(main, ["train", "decision", str(data), "--work", str(work), "--reader-weights", str(folder)])
    assert out.exit_code != 0 and "calibration_titles.json" in out.output  # no titles held apart: said, not a traceback
    work.mkdir()
    (work / "calibration_titles.json").write_text(json.dumps(["Harbor", "Orchard"]), encoding="utf-8")
    out = CliRunner().invoke(main, ["train", "decision", str(data), "--work", str(work), "--reader-weights", str(folder),
                                    "--read", "2", "--target", "0.2"])
    assert out.exit_code == 0, out.output
    fitted = json.loads(out.stdout)
    config = ReaderConfig.load(folder / "reader.json")
    assert config.decision.n == 2 and config.info["calibration"]["questions"] == 8
    assert config.info["calibration"]["false_abstention_target"] == 0.2
    assert 0.0 <= fitted["false_abstention_rate"] <= 0.25 and fitted["answer_em"] > 0.5
    assert ReaderConfig.load(WEIGHTS / "reader.json").decision.n == 3  # the shipped reader's own is untouched


def test_near_misses_are_the_engines_own_ranked_sentences_that_do_not_answer(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`reader_mining`: a training title's retrieval dumped with the real engine; per question its answer's sentence
    (with the span) and negatives from the gold-out and normal runs, none holding a gold answer; calibration titles
    never mined."""
    import json

    from qa.training.reader_mining import dump_near_misses, near_miss_examples

    data = tmp_path / "train.json"
    squad = json.loads(json.dumps(CALIBRATION))
    squad["data"][0]["paragraphs"][1]["context"] += " Crowds watched the Harbor Bridge open in 1932 from its deck."
    for para in (p for entry in squad["data"] for p in entry["paragraphs"]):
        for q in para["qas"]:
            q["answers"][0]["answer_start"] = para["context"].index(q["answers"][0]["text"])
    data.write_text(json.dumps(squad), encoding="utf-8")
    dump = dump_near_misses(data, tmp_path, {"Orchard"})
    assert json.loads((tmp_path / "near-miss-titles.json").read_text()) == ["Harbor"]
    examples = near_miss_examples(dump, 100)
    answers = {q["question"]: q["answers"][0]["text"] for p in squad["data"][0]["paragraphs"] for q in p["qas"]}
    positives = [e for e in examples if e.label == 1]
    assert sorted(e.question for e in positives) == sorted(answers)  # every Harbor question, no Orchard one
    for e in positives:
        (start, end), = e.spans
        assert e.item[0][start:end] == answers[e.question]
    negatives = [e for e in examples if e.label == 0]
    assert {e.kind for e in negatives} == {"retrieval_miss", "retrieval_miss_normal"}
    assert all(answers[e.question] not in e.item[0] for e in negatives)  # "open in 1932" in the other paragraph too
    gold_out = [e for e in negatives if e.kind == "retrieval_miss" and e.question == "When did the ferry company close?"]
    assert gold_out and all("ferry" not in e.item[0] for e in gold_out)  # only the other paragraph is left to rank
    assert len(near_miss_examples(dump, 2)) <= 2 * 5
