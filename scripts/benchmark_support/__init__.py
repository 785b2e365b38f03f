"""The benchmark behind `scripts/benchmark`: pytest functions and a Markdown renderer."""
