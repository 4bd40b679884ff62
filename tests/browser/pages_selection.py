"""Page objects of the selection of resettlement flats: a round's page (its steps), the
selection-day page of the hall (the desks of the households called, their combinations of flats,
the board of flats) and the published result. Locators use data-testid / data-* hooks, never
translated text."""

from __future__ import annotations

from collections.abc import Sequence

from playwright.sync_api import Locator

from tests.browser.pages import RecordPage


class _Messages:
    @property
    def errors(self) -> Locator:
        return self.page.locator("main > .alert-danger")  # type: ignore[attr-defined]

    @property
    def successes(self) -> Locator:
        return self.page.locator("main > .alert-success")  # type: ignore[attr-defined]


class RoundPage(_Messages, RecordPage):
    """A selection round: its households in order, its flats, and its steps."""

    url_name = "resettlement:round"

    @property
    def status(self) -> Locator:
        return self.page.get_by_test_id("round-status")

    def entry(self, code: str) -> Locator:
        return self.page.locator(f"[data-testid=entry-row][data-household='{code}']")

    def _confirmed(self, testid: str) -> None:
        """Press a step's button, accepting its confirmation, and wait for the next page."""
        self.page.once("dialog", lambda dialog: dialog.accept())
        with self.page.expect_navigation():
            self.page.get_by_test_id(testid).click()

    def close(self) -> None:
        self._confirmed("close-round")

    def publish(self) -> ResultPage:
        self._confirmed("publish-round")
        found = ResultPage(self.page, self.base_url, self.pk)
        return found


class SelectionDayPage(_Messages, RecordPage):
    """The hall: the households called now, at their desks, and the board of flats."""

    url_name = "resettlement:round_day"

    @property
    def hall(self) -> Locator:
        return self.page.get_by_test_id("hall")

    @property
    def desks(self) -> Locator:
        return self.hall.get_by_test_id("desk")

    def desk(self, code: str) -> Locator:
        return self.hall.locator(f"[data-testid=desk][data-household='{code}']")

    def place(self, code: str) -> Locator:
        return self.desk(code).get_by_test_id("desk-place")

    def combination(self, code: str, units: Sequence[str]) -> Locator:
        return self.desk(code).locator(f"[data-testid=combination][data-units='{','.join(units)}']")

    @property
    def done(self) -> Locator:
        return self.hall.get_by_test_id("hall-done")

    @property
    def hall_errors(self) -> Locator:
        return self.hall.locator("[data-testid=desk-error], [data-testid=hall-error]")

    def board_flat(self, unit: str) -> Locator:
        return self.page.get_by_test_id("board").locator(
            f"[data-testid=board-flat][data-unit='{unit}']"
        )

    def choose(self, code: str, units: Sequence[str]) -> None:
        """The household at its desk chooses a combination (confirmed in the dialog); the hall
        is redrawn in place."""
        self.page.once("dialog", lambda dialog: dialog.accept())
        with self.page.expect_response(lambda r: "/choose/" in r.url):
            self.combination(code, units).get_by_test_id("choose").click()

    def mark_absent(self, code: str) -> None:
        with self.page.expect_response(lambda r: "/absent/" in r.url):
            self.desk(code).get_by_test_id("mark-absent").click()


class ResultPage(_Messages, RecordPage):
    """The published result (printable, masked)."""

    url_name = "resettlement:round_result"

    @property
    def rows(self) -> Locator:
        return self.page.get_by_test_id("result-row")

    def row(self, code: str) -> Locator:
        return self.page.locator(f"[data-testid=result-row][data-household='{code}']")

    def name(self, code: str) -> Locator:
        return self.row(code).get_by_test_id("result-name")

    def flats(self, code: str) -> Locator:
        return self.row(code).get_by_test_id("result-flats")
