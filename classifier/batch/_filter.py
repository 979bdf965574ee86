"""The one ``on_error`` filter: every engine reads its documents through it, so a bad record means
the same whatever tags the rest."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from ..exceptions import InputError
from ..inputs import InputDocument, Record
from ._base import Summary

# "stop": every document before the first bad record is tagged and written, in order, none after
# it, and the bad record's error is raised. "skip": a bad record is reported and passed over.
ON_ERROR = ("stop", "skip")


class RecordFilter:
    """The documents of ``records`` to tag, in order. A bad record (an ``InputError``) is counted in
    ``summary``; with ``"skip"`` it is reported and passed over; with ``"stop"`` the documents end
    there (nothing after it is read) and ``check`` raises it, once the caller has written what came
    before. Ids in ``skip_ids`` (already in the output: ``--resume``) are passed over."""

    def __init__(
        self,
        records: Iterable[Record],
        on_error: str,
        summary: Summary,
        report: Callable[[InputError], None] | None = None,
        skip_ids: set[str] | None = None,
    ) -> None:
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {ON_ERROR}")
        self.records = records
        self.on_error = on_error
        self.summary = summary
        self.report = report
        self.skip_ids = skip_ids
        self.stopped: InputError | None = None

    def __iter__(self) -> Iterator[InputDocument]:
        # Never raises: a stopping error is kept for ``check``.
        summary, report, skip_ids, stop = self.summary, self.report, self.skip_ids, self.on_error == "stop"
        for item in self.records:
            if isinstance(item, InputError):
                summary.errors += 1
                summary.error_locations.append(item.location)
                if stop:
                    self.stopped = item
                    return
                if report:
                    report(item)
                continue
            if skip_ids and item.id in skip_ids:
                summary.already_done += 1
                continue
            yield item

    def check(self) -> None:
        """Raise the error that stopped the documents, if one did."""
        if self.stopped is not None:
            raise self.stopped
