"""Blueprints: the only code that touches request, session, flash and current_user."""
