"""What an evaluation reports about generated answers: verified, dropped and fallen-back sentences."""

from __future__ import annotations

from typing import Any

from qa.answers.verify import claims


def row_fields(answer: Any, gold: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Per-question fields of an answer for the LLM metrics (zero counts for extractive answers)."""
    kept = len(claims(answer.answer)) if answer.answerer == "llm" else 0
    reply = answer.answer if answer.answerer == "llm" else (answer.short_answer or "")
    return {
        "answerer": answer.answerer,
        "llm_asked": answer.llm_model is not None,
        "warning": answer.warning,
        "sentences_kept": kept,
        "sentences_dropped": len(answer.dropped),
        "sentences_attributed": len(getattr(answer, "attributed", [])),
        "dropped_with_citation": sum(bool(d.cited) for d in answer.dropped),
        "dropped": [d.to_dict() for d in answer.dropped],
        "states_answer": bool(reply) and any(g.lower() in reply.lower() for g in gold),
    }


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Citation precision, dropped share and fallbacks over the rows where an LLM was asked (else {})."""
    asked = [r for r in rows if r.get("llm_asked")]
    answerable = [r for r in rows if r.get("answerable") and "states_answer" in r]
    out: dict[str, Any] = {"states_answer": round(sum(r["states_answer"] for r in answerable) / len(answerable), 4)
                           if answerable else None}
    if not asked:
        return out
    kept = sum(r["sentences_kept"] for r in asked)
    dropped = sum(r["sentences_dropped"] for r in asked)
    attributed = sum(r.get("sentences_attributed", 0) for r in asked)
    # precision over what the model cited itself: kept sentences the checker cited are counted apart
    cited = kept - attributed + sum(r["dropped_with_citation"] for r in asked)
    return {
        **out,
        "llm_asked": len(asked),
        "llm_answered": sum(r["answerer"] == "llm" for r in asked),
        "fell_back": sum(bool(r["warning"]) for r in asked),
        "answer_sentences": kept + dropped,
        "citation_precision": round((kept - attributed) / cited, 4) if cited else None,
        "attributed_by_checker": attributed,
        "dropped_share": round(dropped / (kept + dropped), 4) if kept + dropped else None,
    }


LINES = (
    ("states the answer (LLM text / short answer)", "states_answer", "{:.3f}"),
    ("asked the LLM", "llm_asked", "{}"),
    ("answered by the LLM (verified)", "llm_answered", "{}"),
    ("fell back to extractive", "fell_back", "{}"),
    ("LLM answer sentences", "answer_sentences", "{}"),
    ("citation precision (checker)", "citation_precision", "{:.3f}"),
    ("answer sentences dropped", "dropped_share", "{:.3f}"),
    ("kept, cited by the checker (no [n])", "attributed_by_checker", "{}"),
)


def format_lines(result: dict[str, Any]) -> list[str]:
    """The LLM metrics present in `result` as table lines."""
    return [f"{label:<44}{'n/a' if result.get(key) is None else fmt.format(result[key])}"
            for label, key, fmt in LINES if key in result]
