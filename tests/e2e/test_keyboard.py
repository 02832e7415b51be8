"""A whole quiz with the keyboard alone: Tab, Shift+Tab, arrow keys, Space and Enter; no mouse, no clicks."""
import re

import pytest

from tests.e2e.conftest import KEYBOARD_USER
from tests.e2e.helpers import focus_indicator_visible, focused
from tests.tools import need_module

pytestmark = pytest.mark.e2e
expect = need_module("playwright.sync_api", "playwright").expect


class Keyboard:
    """Presses keys and checks, after every press, that something is focused and that it shows."""

    def __init__(self, page):
        self.page = page
        self.visited: list[dict] = []

    def press(self, key: str) -> dict:
        self.page.keyboard.press(key)
        info = focused(self.page)
        assert info is not None, f"after {key} nothing is focused (focus fell back to the page body)"
        assert focus_indicator_visible(info), f"after {key} the focus on {info} is not visible"
        self.visited.append(info)
        return info

    def tab_to(self, wanted, what: str, limit: int = 40) -> dict:
        for _ in range(limit):
            info = self.press("Tab")
            if wanted(info):
                return info
        raise AssertionError(f"{limit} presses of Tab never reached {what}; last focus: {self.visited[-3:]}")


def test_whole_quiz_with_the_keyboard_alone(site, new_page):
    page = new_page()
    keys = Keyboard(page)

    # Sign in.
    page.goto("/login")
    keys.tab_to(lambda f: f["id"] == "email", "the email field")
    page.keyboard.type(KEYBOARD_USER)
    keys.tab_to(lambda f: f["id"] == "password", "the password field")
    page.keyboard.type(site.password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/$"))

    # The skip link is the first stop on every page, and it works.
    page.goto("/learn/hipaa-social-media/phi/")
    info = keys.press("Tab")
    assert info["text"] == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # Start the quiz.
    keys.tab_to(lambda f: f["tag"] == "button" and f["text"] == "Start the quiz", "the Start the quiz button")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    attempt_id = int(page.url.rsplit("/", 1)[1])
    key = site.answer_key(attempt_id)

    # Answer every question in page order: arrows move through a radio group, Space ticks a box.
    questions = page.evaluate("""() => [...document.querySelectorAll('fieldset.question')].map(f => ({
        name: f.querySelector('input').name, type: f.querySelector('input').type,
        order: [...f.querySelectorAll('input')].map(i => Number(i.value))}))""")
    assert len(questions) == len(key) > 0
    assert keys.press("Tab")["text"] == "Skip to main content"
    page.keyboard.press("Enter")  # past the site navigation, straight to the questions
    for q in questions:
        right = key[int(q["name"].removeprefix("answer-"))][0]
        info = keys.tab_to(lambda f: f["name"] == q["name"], f"question {q['name']}", limit=5)
        assert int(info["value"]) == q["order"][0], "Tab enters a question at its first option"
        if q["type"] == "radio":
            target = q["order"].index(right[0])
            if target == 0:
                keys.press("Space")
            for _ in range(target):
                keys.press("ArrowDown")
            assert int(focused(page)["value"]) == right[0]
        else:
            for position, option in enumerate(q["order"]):
                if position:
                    assert int(keys.press("Tab")["value"]) == option
                if option in right:
                    keys.press("Space")
        chosen = page.evaluate(f"() => [...document.querySelectorAll('input[name={q['name']}]:checked')]"
                               ".map(i => Number(i.value))")
        assert sorted(chosen) == sorted(right)

    # Shift+Tab goes back to the last answer, Tab forward again to Submit; Enter submits.
    keys.tab_to(lambda f: f["tag"] == "button" and f["text"] == "Submit answers", "the Submit button", limit=5)
    assert keys.press("Shift+Tab")["name"] == questions[-1]["name"]
    keys.tab_to(lambda f: f["tag"] == "button" and f["text"] == "Submit answers", "the Submit button", limit=5)
    page.keyboard.press("Enter")

    # Focus moves to the result, visibly, and reading on from there reaches its links.
    page.wait_for_url(re.compile(rf"/attempts/{attempt_id}#result$"))
    expect(page.locator("#result")).to_be_focused()
    result = focused(page)
    assert result["id"] == "result" and focus_indicator_visible(result), result
    expect(page.locator("#result h1")).to_contain_text("Passed")
    # the next steps: this person has not signed the policy yet, then the next module
    assert keys.press("Tab")["text"] == "Read and sign it"
    assert keys.press("Tab")["text"] == "Go to the next module"
