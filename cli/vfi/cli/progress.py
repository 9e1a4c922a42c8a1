"""A rich progress bar on stderr for long commands (bench, eval); hidden when stderr is not a
terminal or the user asked for quiet output."""

from __future__ import annotations

import sys


class progress_bar:
    """Context manager yielding ``update(done, total, label=None)``, or None when hidden.

    Args:
        label: the bar's initial description.
        unit: what is counted ("samples", "calls").
        enabled: None shows the bar only when stderr is a terminal.
        rate: show the rate (units per second) instead of the time remaining.
    """

    def __init__(self, label: str, unit: str, enabled: bool | None = None, rate: bool = False):
        self.label, self.unit, self.rate = label, unit, rate
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._progress = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        last = (
            [TextColumn("{task.fields[rate]}"), TimeElapsedColumn()]
            if self.rate
            else [TimeElapsedColumn(), TimeRemainingColumn()]
        )
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(self.unit),
            *last,
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        task = self._progress.add_task(self.label, total=None, rate="")
        progress = self._progress
        unit = {"frames": "fps"}.get(self.unit, f"{self.unit}/s")

        def update(done: int, total: int | None, label: str | None = None) -> None:
            fields = {"completed": done, "total": total}
            if label is not None:
                fields["description"] = label
            if self.rate:
                elapsed = progress.tasks[0].elapsed or 0.0
                fields["rate"] = f"{done / elapsed:.1f} {unit}" if elapsed > 0 else ""
            progress.update(task, **fields)

        return update

    def __exit__(self, *exc_info) -> None:
        if self._progress is not None:
            self._progress.stop()
