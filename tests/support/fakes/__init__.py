"""Fakes of the platforms the gateway talks to, for tests and the benchmark (never used in production).

One module per platform, each a local HTTP server in a thread of its own plus builders of what the platform
sends: `telegram.FakeTelegram` (the Bot API) with `text_update` and its siblings, built with
python-telegram-bot's own classes; `whatsapp.FakeWhatsApp` (the Graph API's messages endpoint) with
`text_message`, `button_reply`, `list_reply` and `status_update`, shaped like ../shared/fixtures/whatsapp/.
Import them from their modules: `from tests.support.fakes import telegram as tg`.
"""
