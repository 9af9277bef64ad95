"""The reader's input cutting and span decoding (no model weights needed: the packaged tokenizer only)."""

from __future__ import annotations

import numpy as np
import pytest

from qa.answers.reader import MARKS, best_spans, encode, load_tokenizer


@pytest.fixture(scope="module")
def tokenizer():  # type: ignore[no-untyped-def]
    from index.encoding import packaged_model_path

    return load_tokenizer(packaged_model_path() / "tokenizer.json")


ITEM = ("The Denver Broncos won Super Bowl 50, beating the Carolina Panthers 24-10.",
        "The game was played in February.", "It was the Broncos' third title.")


def test_sentence_pieces_map_back_to_the_sentence(tokenizer) -> None:  # type: ignore[no-untyped-def]
    batch = encode(tokenizer, "Who won Super Bowl 50?", [ITEM], context_tokens=4)
    cols = np.flatnonzero(batch.target[0])
    ids = batch.input_ids[0]
    assert ids[cols[0] - 1] == tokenizer.token_to_id(MARKS[0])
    assert ids[cols[-1] + 1] == tokenizer.token_to_id(MARKS[1])
    pieces = "".join(ITEM[0][batch.char_start[0, c]:batch.char_end[0, c]] for c in cols)
    assert pieces == ITEM[0].replace(" ", "")
    assert (batch.char_start[0][~batch.target[0]] == -1).all()


def test_neighbours_are_cut_to_the_width_and_the_length_limit(tokenizer) -> None:  # type: ignore[no-untyped-def]
    wide = encode(tokenizer, "Who won?", [ITEM], context_tokens=100)
    none = encode(tokenizer, "Who won?", [ITEM], context_tokens=0)
    four = encode(tokenizer, "Who won?", [ITEM], context_tokens=4)
    n = [int(b.attention_mask.sum()) for b in (none, four, wide)]
    assert n[0] + 8 == n[1] < n[2]
    tight = encode(tokenizer, "Who won?", [ITEM], context_tokens=100, max_tokens=n[0] + 3)
    assert int(tight.attention_mask.sum()) == n[0] + 3
    assert tight.target.sum() == none.target.sum()  # the sentence itself is kept whole


def test_best_span_is_widened_to_whole_words(tokenizer) -> None:  # type: ignore[no-untyped-def]
    items = [("Photosynthesis happens in chloroplasts.", "", ""), ITEM]
    batch = encode(tokenizer, "Where?", items)
    start = np.zeros(batch.input_ids.shape)
    end = np.zeros(batch.input_ids.shape)
    cols = np.flatnonzero(batch.target[0])
    pieces = [batch.input_ids[0, c] for c in cols]
    inner = next(i for i, p in enumerate(pieces) if tokenizer.id_to_token(int(p)).startswith("##"))
    start[0, cols[inner]] = 9.0  # a piece inside "photosynthesis"
    end[0, cols[inner]] = 9.0
    start[0, 0] = end[0, 0] = 50.0  # outside the sentence: never read
    spans = best_spans(batch, start, end)
    a, b, score = spans[0]
    assert items[0][0][a:b] == "Photosynthesis"
    assert score < 0
    assert 0 <= spans[1][0] < spans[1][1] <= len(ITEM[0])


@pytest.mark.real
def test_a_sentence_reads_the_same_whatever_else_is_read_and_is_read_once_per_question() -> None:
    """Each item is its own model call (the int8 graph scales activations over a call), so a sentence's reading
    does not depend on its company; a sentence read again for the same question is not run through the model."""
    from qa.answers.reader import Reader
    from qa.answers.reading import WEIGHTS

    reader = Reader(WEIGHTS)
    question = "Who won Super Bowl 50?"
    other = ("Photosynthesis happens in chloroplasts, the green organelles of plant cells, "
             "using light, water and carbon dioxide.", "", "")
    calls = []
    run = reader.session.run
    reader.session.run = lambda *a, **k: calls.append(1) or run(*a, **k)  # type: ignore[method-assign]
    alone = reader.read(question, [ITEM])[0]
    assert alone.answer == "Denver Broncos" and len(calls) == 1
    beside = reader.read(question, [other, ITEM])
    assert beside[1] == alone and len(calls) == 2  # the Broncos sentence was kept; only the other one ran
    assert reader.read("Who lost Super Bowl 50?", [ITEM])[0] != alone and len(calls) == 3  # another question reads
    together = reader.read(question, [other, ITEM], batched=True)  # one padded call: close, not necessarily equal
    assert together[1].answer == alone.answer and abs(together[1].answerable - alone.answerable) < 1.0


@pytest.mark.real
def test_the_readers_answer_for_the_checker_is_a_sure_short_answer_or_none() -> None:
    from qa.answers.reading import load_reader, reader_answer

    reader = load_reader()
    assert reader is not None
    agadez = ("Currently, there are approximately 1,100 American soldiers stationed in Agadez.", "", "")
    assert reader_answer(reader, "How many US troops are in Agadez?", agadez) == "approximately 1,100"
    assert reader_answer(reader, "Who is the president of France?", agadez) is None
