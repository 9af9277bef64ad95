"""Score the system against a question file in our JSONL format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def evaluate_jsonl(engine: Any, path: str | Path) -> dict[str, Any]:
    """Ask every question; count evidence-first answers and abstentions on unanswerable ones."""
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            question = item["question"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise ValueError(f"{path}:{number}: expected a JSON object with a 'question' field") from None
        answer = engine.ask(question)
        evidence = item.get("evidence")
        answers = item.get("answers") or []
        first = answer.citations[0].sentence if answer.citations else ""
        rows.append({
            "id": item.get("id", str(number)),
            "question": question,
            "answerable": bool(evidence or answers),
            "abstained": answer.abstained,
            "evidence_first": bool(evidence) and _norm(first) == _norm(evidence),
            "answer_in_first": any(_norm(a) in _norm(first) for a in answers) if first else False,
            "first_citation": first,
            "answer": answer.answer,
        })
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    return {
        "n_questions": len(rows),
        "answerable": len(answerable),
        "evidence_first": sum(r["evidence_first"] for r in answerable),
        "answer_in_first_citation": sum(r["answer_in_first"] for r in answerable),
        "unanswerable": len(unanswerable),
        "abstained_unanswerable": sum(r["abstained"] for r in unanswerable),
        "false_abstentions": sum(r["abstained"] for r in answerable),
        "rows": rows,
    }


def format_table(result: dict[str, Any]) -> str:
    """A short terminal summary, with the misses listed."""
    lines = [
        f"questions                      {result['n_questions']}",
        f"evidence sentence cited first  {result['evidence_first']}/{result['answerable']}",
        f"answer in first citation       {result['answer_in_first_citation']}/{result['answerable']}",
        f"unanswerable abstained         {result['abstained_unanswerable']}/{result['unanswerable']}",
        f"answerable but abstained       {result['false_abstentions']}/{result['answerable']}",
    ]
    misses = [r for r in result["rows"] if (r["answerable"] and not r["evidence_first"])
              or (not r["answerable"] and not r["abstained"])]
    for r in misses:
        lines.append(f"  miss {r['id']}: {r['question']} -> {r['first_citation'][:80] or '(abstained)'}")
    return "\n".join(lines)
