"""WhatsApp, through Meta's Cloud API: a signed webhook in, Graph API calls out (WhatsAppChannel).

Receiving: Meta calls `/webhooks/whatsapp/webhook` (GET once for the verification handshake, then POST for
every event). A POST is trusted only with a valid `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with
the app secret). Each message becomes an `Inbound` (text, or a `kind` saying what it is when it is not text);
each status (sent, delivered, read, failed) updates the outbound message it is about. The answer is 200 only
once everything is stored, so Meta delivers again what we could not store.

Sending: one message of the outbox becomes one or more Graph API calls. Buttons are laid out for WhatsApp:
1 to 3 as reply buttons, 4 to 10 as a list, more as a numbered text menu that the artisan answers with a
number. A button's reply id is `b:<outbound message id>:<index>`, mapped back to the button's payload from
the stored message, so nothing about a button lives only in memory.

When the bot asks for a phone number, WhatsApp already knows it: the question carries one reply button
"Utiliser ce numéro" whose id is `phone:+<wa_id>`. Tapping it stores the text "+<wa_id>" (E.164, which the
form's phone validator accepts), taken from the sender of the reply, never from the id, so a crafted id
cannot put another number in the form.

Outside the 24-hour customer service window WhatsApp only takes approved templates: with
`WHATSAPP_TEMPLATE` set, the text goes out as the template's one body parameter; without one, the message is
held (`Held`) for staff and sent when the artisan writes again. No free text is ever sent outside the window.


channel   WhatsAppChannel: the webhook's verification and calls, the sender
inbound   a webhook call read: signature, messages as Inbound, statuses
layout    a reply laid out for WhatsApp: limits, buttons, menus, templates
graph     the Graph API's refusals as the outbox's RetryLater or DeliveryFailed
"""

from bot.channels.whatsapp.channel import WEBHOOK_PATH, WhatsAppChannel

__all__ = ["WEBHOOK_PATH", "WhatsAppChannel"]
