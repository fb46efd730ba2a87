"""Widgets the counter needs beyond Textual's: a password field nobody can copy out of, the live password-rule
checklist, and column sizing for Hangul (two cells per syllable).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widgets import Input, Static


class SecretInput(Input):
    """`Input(password=True)` that cannot leak its value: copy, cut and paste do nothing, no text selection.

    Plain `Input(password=True)` only masks the display; ctrl+c would still copy the plaintext to the clipboard.
    The key bindings are re-declared here so they are consumed by this widget and never reach the screen's
    `copy_text` binding either."""

    ALLOW_SELECT = False
    BINDINGS = [
        Binding("ctrl+x", "cut", "Cut disabled", show=False, id="secret_cut"),
        Binding("ctrl+c,super+c", "copy", "Copy disabled", show=False, id="secret_copy"),
        Binding("ctrl+v", "paste", "Paste disabled", show=False, id="secret_paste"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["password"] = True
        super().__init__(*args, **kwargs)

    def action_copy(self) -> None:
        """Deliberately nothing: a certificate or staff password never goes to a clipboard."""

    def action_cut(self) -> None:
        """Deliberately nothing (see action_copy)."""

    def action_paste(self) -> None:
        """Deliberately nothing: the password must be typed, not pasted from somewhere it was kept."""

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()

    @property
    def selected_text(self) -> str:
        return ""


class RuleChecklist(Static):
    """✓/✗ per password rule, updated on every keystroke; shows the rules, never the password."""

    def __init__(self, rules: Sequence[Any], *, id: str | None = None) -> None:
        self.rules = list(rules)
        self.states: list[bool] = [False] * len(self.rules)
        self.match: bool | None = None
        self.match_label = ("", "")
        super().__init__("", id=id)

    def check(self, password: str, repeat: str | None = None, match_label: tuple[str, str] = ("", "")) -> bool:
        """Re-evaluate against `password`; returns True when every rule is met (and both entries match)."""
        self.states = [bool(rule.is_met(password)) for rule in self.rules]
        self.match_label = match_label
        self.match = None if repeat is None else (bool(password) and password == repeat)
        self.refresh_text()
        return all(self.states) and (self.match is not False)

    def on_mount(self) -> None:
        self.refresh_text()

    def refresh_text(self) -> None:
        lang = getattr(self.app, "lang", "ko")
        text = Text()
        for rule, ok in zip(self.rules, self.states):
            label = getattr(rule, "en" if lang == "en" else "ko", str(rule))
            text.append("✓ " if ok else "✗ ", style="bold green" if ok else "bold red")
            text.append(f"{label}\n")
        if self.match is not None:
            label = self.match_label[1] if lang == "en" else self.match_label[0]
            text.append("✓ " if self.match else "✗ ", style="bold green" if self.match else "bold red")
            text.append(label)
        self.update(text)


def fit(text: str, width: int) -> str:
    """Cut or pad `text` to `width` terminal cells (Hangul counts two)."""
    out = ""
    for ch in text:
        if cell_len(out + ch) > width:
            if width >= 1 and cell_len(out) < width:
                out = out[:-1] + "…" if out and cell_len(out) >= width else out + "…"
            break
        out += ch
    return out + " " * max(0, width - cell_len(out))


def col_width(header: str, values: Sequence[str], minimum: int = 4, maximum: int = 40) -> int:
    """A DataTable column width in cells that fits the header and values."""
    widest = max([cell_len(header)] + [cell_len(v) for v in values]) if values else cell_len(header)
    return max(minimum, min(maximum, widest))
