"""What the tests and the benchmark use, never the product: local fakes of Telegram's and WhatsApp's servers,
and a whole stack started on free ports."""
