"""The solidarity initiatives: artisans propose them in conversation, staff check them, anyone finds them."""
