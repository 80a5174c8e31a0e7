"""The advisers' list filters (bot/desk/request_filters.py), read from a page's query: a bad value is the default."""

from bot.desk.request_filters import CallbackFilters, PledgeFilters


def test_the_callback_queue_shows_open_requests_unless_asked_otherwise() -> None:
    assert CallbackFilters.from_query({}) == CallbackFilters("open", "", "")
    assert CallbackFilters.from_query({"status": "called_back", "subject": "faq_pge", "commune": "71270"}).params() == {
        "status": "called_back", "subject": "faq_pge", "commune": "71270"
    }
    assert CallbackFilters.from_query({"status": "'; drop table"}).status == "open"
    assert CallbackFilters.from_query({"status": "open"}).params() == {}, "the default is not repeated in links"
    assert len(CallbackFilters.from_query({"subject": "x" * 500}).subject) == 64


def test_the_pledges_list_shows_all_unless_asked_otherwise() -> None:
    assert PledgeFilters.from_query({}) == PledgeFilters("all", "", "")
    assert PledgeFilters.from_query({"status": "pledged", "type": "ffp2"}).params() == {"status": "pledged", "type": "ffp2"}
    assert PledgeFilters.from_query({"status": "lost"}).status == "all"
