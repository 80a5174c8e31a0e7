"""Running the engine: the Rasa environment, the base model, child processes and their supervisor."""
