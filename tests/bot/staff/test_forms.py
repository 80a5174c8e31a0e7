"""What the staff pages read from a browser (bot/staff/forms.py): fields as sent, ids or nothing."""

from multidict import MultiDict, MultiDictProxy

from bot.staff.forms import field, record_id, record_ids


def test_a_field_is_read_as_sent_and_missing_is_empty() -> None:
    form = MultiDictProxy(MultiDict([("password", "  with spaces  "), ("n", "1")]))
    assert field(form, "password") == "  with spaces  ", "a password keeps its spaces"
    assert field(form, "missing") == ""


def test_an_id_is_digits_only_and_at_most_18_of_them() -> None:
    assert record_id("42") == 42
    for bad in ("", "-1", "4 2", "1e3", "١٢", "9" * 19, None, 42):
        assert record_id(bad) is None, bad
    assert record_ids(["3", "1", "x", "3", "2"]) == [1, 2, 3]
