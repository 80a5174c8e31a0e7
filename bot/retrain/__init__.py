"""Retraining: admins teach the assistant from what it misunderstood, then check, activate or roll back models.

The loop, module by module:

* `masking`: personal data (phone numbers, e-mails, recognisable names) masked out of a message before it
  can become training data.
* `grouping`: similar messages grouped, so forty variants of one new question read as one group.
* `inbox`: the misunderstood artisan messages (low confidence, fallback, the message before a hand-off),
  grouped; admins label them (an existing intent, a new intent with its French answer, or ignore).
* `answers`: the live text of the FAQ answers, edited by admins and used from the next message on, with
  the history of every change.
* `export`: the training data (nlu/ and the admins' labels) written as Rasa YAML for `rasa train`, and
  the evaluation set (nlu/heldout and the labels kept aside).
* `evaluation`: per-intent precision, recall and F1, the most confused pairs, and the gate that refuses a
  model worse than the active one.
* `jobs`: training and evaluation in the background, one at a time, their log live.
* `registry`: every model with who, when, data hash and scores; activation in the running Rasa without a
  lost message; rollback.
* `audit`: who did what, when.
"""
