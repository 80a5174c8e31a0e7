"""What the gateway's web answers share: JSON bodies read safely and French JSON errors; the static files of the
web chat and the consoles (static/), and the staff pages' templates (templates/)."""
