"""The derived search index: takes the committed articles (sentences, chunks, vectors) from `index`,
gives memory-mapped segments, BM25 over postings and the lexicon that features read."""
