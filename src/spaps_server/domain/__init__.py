"""Domain vocabulary of the local server: shared types and the error family."""
