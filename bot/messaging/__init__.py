"""The message path: each stored artisan message answered in order (router, through Rasa), the answers sent
(outbox), and the few sentences the gateway says itself (replies)."""
