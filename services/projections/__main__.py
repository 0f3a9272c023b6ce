"""`python -m services.projections`: run the projections service (support API + live projector)."""

from services.projections.app import main

main()
