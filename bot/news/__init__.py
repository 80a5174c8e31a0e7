"""The chamber's news: artisans' subscriptions, news items, broadcasts through the outbox's low-priority lane,
and the news the bot mentions in its answers."""
