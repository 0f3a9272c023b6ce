"""Kafka plumbing shared by the services: producer, dead letters, faust app factory."""
