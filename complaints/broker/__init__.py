"""Broker profiles and the embedded (Tansu) broker for local runs and tests."""
