"""crisisbot's gateway: channels, the stored message path, the database and the staff's web pages."""
