"""Tests for the Printernizer integration."""
