"""The in-process engine (``-j 1``): each batch tagged in this process, one after the other."""
from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from ..inputs import InputDocument
from ._base import BATCH_CHARS, BATCH_SIZE, Engine, Model, Tagged, TagOptions, chunks, tag_chunk


class InProcess(Engine):
    """Tags in this process, with its single-threaded Kiwi (or Kiwi's own thread pool, with
    ``TagOptions.threads``)."""

    def tag(self, model: Model, documents: Iterator[InputDocument], options: TagOptions) -> Iterator[Tagged]:
        pending: deque[InputDocument] = deque()
        for chunk in chunks(full_texts(documents, pending), options.batch_size or BATCH_SIZE, BATCH_CHARS):
            docs = [pending.popleft() for _ in chunk]
            yield Tagged(docs, tag_chunk(model.tagger, chunk, options))


def full_texts(documents: Iterator[InputDocument], pending: deque[InputDocument]) -> Iterator[str]:
    """Each document's full text, the document kept in ``pending`` until its batch is cut."""
    for doc in documents:
        pending.append(doc)
        yield doc.full_text
