"""The support API: FastAPI routes (`routes`), their `Annotated` dependencies (`deps`), the
response models (`views`) and the read-your-writes wait on log positions (`positions`).

May import: `storage` (reads), `ingest` (the live projector's status and commit pulse),
`complaints.readmodel`, `options`, FastAPI/Starlette. Nothing below imports this package.
"""
