"""Ingestion and the store: articles -> sentences (with offsets) -> chunks -> vectors -> Chroma."""

from index.embedder import SentenceTransformerEmbedder
from index.encoding import DEFAULT_MODEL, Embedder
from index.errors import IndexBusy, ModelMismatch, SourcedError, StoreError, StoreUnavailable, UnknownArticle
from index.ingest import IngestProgress, ingest_articles, ingest_paths
from index.layout import ArticleInfo, Corpus
from index.loaders import SUPPORTED, Limits, Loader, load, parse_bytes
from index.models import Article, Chunk, IngestReport, LoadProblem, Sentence
from index.sentences import split_sentences
from index.store import Store

__all__ = [
    "DEFAULT_MODEL", "SUPPORTED", "Article", "ArticleInfo", "Chunk", "Corpus", "Embedder", "IndexBusy",
    "IngestProgress", "IngestReport", "Limits", "LoadProblem", "Loader", "ModelMismatch", "Sentence",
    "SentenceTransformerEmbedder", "SourcedError", "Store", "StoreError", "StoreUnavailable", "UnknownArticle", "ingest_articles",
    "ingest_paths", "load", "parse_bytes", "split_sentences",
]
