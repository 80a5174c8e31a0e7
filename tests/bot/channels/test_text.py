"""What channels do to text (bot/channels/text.py): cleaned for storage, cut to a platform's limit, remembered in parts."""

from bot.channels.text import SentParts, clean_text, split_text


def test_text_is_cleaned_of_what_the_database_or_utf_8_refuses() -> None:
    assert clean_text("a\x00b") == "ab"
    assert clean_text("caf\udce9") == "caf?"


def test_a_long_text_is_cut_between_paragraphs_then_lines_then_words() -> None:
    text = "Premier paragraphe assez long.\n\nSecond paragraphe, un peu plus long encore."
    assert split_text(text, 40) == ["Premier paragraphe assez long.", "Second paragraphe, un peu plus long", "encore."]
    assert split_text("mot " * 5, 9) == ["mot mot", "mot mot", "mot"]
    assert split_text("x" * 12, 5) == ["xxxxx", "xxxxx", "xx"], "only a word longer than a part is cut"
    assert split_text("   ", 10) == []


def test_the_memory_of_parts_sent_keeps_only_the_latest_messages() -> None:
    sent = SentParts(limit=2)
    sent.of(1).append("part 1 of message 1")
    sent.of(2)
    sent.of(3)  # a third message pushes out the oldest
    assert sent.of(1) == [], "message 1 was forgotten: a retry would send it whole"
    sent.of(3).append("x")
    sent.forget(3)
    assert sent.of(3) == []
