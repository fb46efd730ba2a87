"""Widgets on their own: the password field leaks nothing through copy, cut or selection; Hangul column fitting;
the strings table has both languages."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.widgets import Input

from screens.strings import _S, t, won
from screens.widgets import SecretInput, fit
from tui_helpers import asynctest  # type: ignore[import-not-found]


class OneField(App[None]):
    def compose(self) -> ComposeResult:
        yield SecretInput(id="secret")
        yield Input(id="plain")


@asynctest
async def test_secret_input_never_copies_or_cuts_the_password() -> None:
    app = OneField()
    async with app.run_test() as pilot:
        field = app.query_one("#secret", SecretInput)
        field.focus()
        for ch in "Secret1!x":
            await pilot.press(ch if ch.isalnum() else "exclamation_mark")
        assert field.value == "Secret1!x"
        assert "Secret" not in str(field._value)  # masked on screen
        await pilot.press("ctrl+shift+a", "ctrl+c")
        await pilot.press("ctrl+x")
        await pilot.pause()
        assert app.clipboard == ""
        assert field.value == "Secret1!x"  # cut did not remove it either
        assert field.selected_text == ""


@asynctest
async def test_a_plain_input_would_copy_which_is_why_secret_input_exists() -> None:
    app = OneField()
    async with app.run_test() as pilot:
        plain = app.query_one("#plain", Input)
        plain.focus()
        for ch in "abc1":
            await pilot.press(ch)
        await pilot.press("ctrl+shift+a", "ctrl+c")
        await pilot.pause()
        assert app.clipboard == "abc1"


@asynctest
async def test_secret_input_ignores_paste() -> None:
    app = OneField()
    async with app.run_test() as pilot:
        field = app.query_one("#secret", SecretInput)
        field.focus()
        app.copy_to_clipboard("pasted!1")
        await pilot.press("ctrl+v")
        await pilot.pause()
        assert field.value == ""


def test_fit_counts_hangul_as_two_cells() -> None:
    assert cell_len(fit("김철수", 8)) == 8
    assert cell_len(fit("홍길동홍길동", 7)) <= 7
    assert fit("abc", 5) == "abc  "
    assert cell_len(fit("은행·보험용(용도제한)", 10)) == 10


def test_every_string_has_korean_and_english() -> None:
    for key, (ko, en) in _S.items():
        assert ko.strip() and en.strip(), key
    assert t("signin.title", "ko") == "직원 로그인" and t("signin.title", "en") == "Staff sign-in"
    assert t("no.such.key") == "no.such.key"
    assert won(4400) == "4,400원" and won(0, "en") == "free"
