"""The busy button: one action per click, however fast the clicks come."""

from __future__ import annotations

import threading
from collections.abc import Callable

import ipywidgets as widgets

__all__ = ["BusyButton"]


class BusyButton:
    """A button that cannot be clicked twice: disabled at once, one action at a time.

    Two clicks sent before the browser learns that the button is disabled both reach
    the kernel; the second one finds the lock taken (or the action done) and does nothing.
    """

    def __init__(self, button: widgets.Button, working_text: str) -> None:
        self.button = button
        self.idle_text = button.description
        self.working_text = working_text
        self._lock = threading.Lock()

    def acquire(self) -> bool:
        """Take the button for one action; false when an action is already running."""
        if not self._lock.acquire(blocking=False):
            return False
        self.button.disabled = True
        self.button.description = self.working_text
        return True

    def release(self, *, enable: bool = True) -> None:
        self.button.description = self.idle_text
        self.button.disabled = not enable
        self._lock.release()

    def run(self, work: Callable[[], bool]) -> bool:
        """Run ``work`` holding the button; false, without running it, when already busy."""
        if not self.acquire():
            return False
        try:
            return work()
        finally:
            self.release()
