"""Feature families: every ranker column comes from exactly one family, in the fitted order."""

from __future__ import annotations

import numpy as np

from qa.evidence.features import FAMILIES, FEATURES, Pool, Query, feature_matrix, per_article
from tests.conftest import SEEDS


def test_every_feature_comes_from_one_family_and_the_matrix_follows_features(fake_qa):
    fake_qa.ingest([SEEDS])
    retriever = fake_qa.retriever()
    question = "How many US troops are in Agadez?"
    vector = fake_qa.embedder.encode_query(question)
    found = retriever.candidates(question, vector)
    assert found is not None and found.features.shape == (len(found.rows), len(FEATURES))
    lex = retriever.lexicon
    q = Query.of(question, lex)
    m = len(lex.corpus.sentence_ids)
    pool = Pool(lex, found.rows, vector, {int(r): 1.0 for r in found.rows}, {0: 1.0},
                np.ones(m, np.float32), np.ones(len(lex.corpus.chunk_ids), np.float32),
                np.ones(len(lex.corpus.articles), np.float32))
    names: list[str] = []
    cols: dict[str, np.ndarray] = {}
    for family in FAMILIES:
        part = family(q, pool)
        names += part
        cols.update(part)
    names += per_article(cols, pool)
    assert sorted(names) == sorted(FEATURES) and len(names) == len(set(names))
    matrix = feature_matrix(q, pool)
    assert np.isfinite(matrix).all()
    assert np.array_equal(matrix[:, FEATURES.index("dense_sentence")],
                          lex.corpus.sentence_vectors[found.rows] @ vector)


def test_the_question_is_tokenised_once_into_terms_words_and_type(fake_qa):
    fake_qa.ingest([SEEDS])
    q = Query.of("When did the 1,100 US troops arrive in Agadez?", fake_qa.retriever().lexicon)
    assert q.kind == "date" and "agadez" in q.terms and "when" in q.word_set
    assert abs(q.overlap(frozenset(q.terms)) - 1.0) < 1e-6 and q.overlap(frozenset()) == 0.0
