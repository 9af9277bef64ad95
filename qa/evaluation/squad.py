"""SQuAD JSON -> articles (one per paragraph) and open-retrieval questions with their gold answers."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from index.loaders import content_hash
from index.models import Article

SOURCE = "squad"
SAMPLE_SEED = 13  # `--limit N` draws the same N questions every run
SPLIT_SEED = 7  # which Wikipedia titles train the ranker (see `split_titles`)


@dataclass(frozen=True)
class Question:
    """A SQuAD question asked open, over every paragraph."""

    id: str
    question: str
    answers: tuple[str, ...]  # empty when unanswerable (v2.0 `is_impossible`)
    article_id: str  # the gold paragraph's article id
    title: str

    @property
    def answerable(self) -> bool:
        """False for v2.0-style impossible questions."""
        return bool(self.answers)


@dataclass(frozen=True)
class SquadSet:
    """The paragraphs as articles and every question."""

    articles: list[Article]
    questions: list[Question]


def paragraph_id(title_index: int, paragraph_index: int) -> str:
    """Article id of one SQuAD paragraph."""
    return f"squad-{title_index:03d}-{paragraph_index:03d}"


def load_squad(path: str | Path) -> SquadSet:
    """Read a SQuAD v1.1/v2.0 JSON file; raise ValueError naming the file when it isn't one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        entries = data["data"]
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a SQuAD JSON file ({exc})") from None
    articles: list[Article] = []
    questions: list[Question] = []
    seen: dict[str, str] = {}  # content hash -> id (identical paragraphs are one article)
    for ti, entry in enumerate(entries):
        title = str(entry.get("title", "")).replace("_", " ")
        for pi, para in enumerate(entry.get("paragraphs", [])):
            text = str(para["context"]).strip()
            digest = content_hash(text)
            aid = seen.get(digest)
            if aid is None:
                aid = seen[digest] = paragraph_id(ti, pi)
                articles.append(Article(id=aid, title=title, text=text, source=SOURCE, content_hash=digest))
            for qa in para.get("qas", []):
                answers = () if qa.get("is_impossible") else tuple(
                    dict.fromkeys(str(a["text"]) for a in qa.get("answers", []) if str(a["text"]).strip())
                )
                questions.append(Question(str(qa["id"]), str(qa["question"]).strip(), answers, aid, title))
    return SquadSet(articles, questions)


def sample(questions: list[Question], limit: int | None, *, seed: int = SAMPLE_SEED) -> list[Question]:
    """A fixed random sample of `limit` questions (all of them when `limit` is None)."""
    if limit is None or limit >= len(questions):
        return list(questions)
    picked = random.Random(seed).sample(range(len(questions)), limit)
    return [questions[i] for i in sorted(picked)]


def split_titles(questions: list[Question], *, seed: int = SPLIT_SEED) -> tuple[set[str], set[str]]:
    """Wikipedia titles split in two halves (train, test) by a fixed seed."""
    titles = sorted({q.title for q in questions})
    random.Random(seed).shuffle(titles)
    half = len(titles) // 2
    return set(titles[:half]), set(titles[half:])
