"""Commands a reporter can text: HELP, STOP, the panic word, LANGUAGE <code>, JOIN <code> (R33)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from channels.messages import Messages, fold

KINDS = ("help", "stop", "panic", "language", "join")
_JOIN_CODE = re.compile(r"[a-z0-9][a-z0-9-]{1,15}")
_EDGE_PUNCTUATION = ".,;:!?¡¿'\"()*#-–—…«»“”،؛؟"


@dataclass(frozen=True, slots=True)
class Keyword:
    kind: str
    """One of KINDS."""
    argument: str | None = None
    """The language code for ``language``, the upper-cased network code for ``join``, else None."""


def _tokens(text: str) -> tuple[str, ...]:
    stripped = (token.strip(_EDGE_PUNCTUATION) for token in fold(text).split(" "))
    return tuple(token for token in stripped if token)


def _phrases(messages: Messages, kind: str) -> set[tuple[str, ...]]:
    return {_tokens(word) for by_kind in messages.keywords.values() for word in by_kind.get(kind, ())} - {()}


def _language(token: str, messages: Messages) -> str | None:
    for code in messages.languages:
        if token == fold(code) or token in {fold(name) for name in messages.language_names.get(code, ())}:
            return code
    return None


def parse_keyword(text: str, messages: Messages, *, panic_word: str | None = None) -> Keyword | None:
    """The command when the message is only a keyword (and its argument), in any language; else None."""
    tokens = _tokens(text)
    if not tokens:
        return None
    # The panic word wins any clash: a woman in danger must never get a help text back instead.
    if tokens == _tokens(panic_word or messages.panic):
        return Keyword("panic")
    for kind in ("stop", "help"):
        if tokens in _phrases(messages, kind):
            return Keyword(kind)
    head, argument = tokens[:-1], tokens[-1]
    if head in _phrases(messages, "language"):
        code = _language(argument, messages)
        return Keyword("language", code) if code else None
    if head in _phrases(messages, "join") and _JOIN_CODE.fullmatch(argument):
        return Keyword("join", argument.upper())
    return None
