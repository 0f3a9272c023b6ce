"""The projections service: case views, queues and KPIs projected from the four lifecycle topics.

Wiring: `services.projections.app` (`create_app`, `main`); rebuild: `services.projections.ingest.replay` (`replay`).
"""
