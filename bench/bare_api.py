"""Ceiling for intake: a bare FastAPI endpoint with intake's request validation and nothing else.

Same framework, same server (uvicorn, one process, same options as intake's `main()`), same
request model (`ComplaintIn`, so the same pydantic validation and 422s), same reply shape;
no vault, no database, no broker. Run: `python -m bench.bare_api PORT`.
"""

from __future__ import annotations

import sys
import uuid
from typing import Annotated

from fastapi import FastAPI, Header, Response

from complaints.http import install_error_handlers
from services.intake.api import Accepted, ComplaintIn


def create_app() -> FastAPI:
    app = FastAPI(title="bare intake (bench ceiling)")
    install_error_handlers(app)

    @app.post("/complaints", status_code=202, response_model=Accepted)
    async def post_complaint(body: ComplaintIn, response: Response,
                             idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> Accepted:
        complaint_id = str(uuid.uuid4())
        url = f"http://127.0.0.1:8000/complaints/{complaint_id}"
        response.headers["Location"] = url
        return Accepted(complaint_id=complaint_id, position="none:0:0", status_url=url)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    import uvicorn

    uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")


if __name__ == "__main__":
    main()
