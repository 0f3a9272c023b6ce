"""The customer's link: signed (itsdangerous, HMAC-SHA256), expiring, scoped to one case.

The token carries only the case id and the page's language (no personal data); the page shows that case
and nothing else. A link past `COMPLAINTS_CUSTOMER_LINK_DAYS`, or altered, is refused.
"""

from __future__ import annotations

from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "complaints.customer-link.v1"


class LinkExpired(Exception):
    """Genuine, but older than the link's lifetime."""


class LinkInvalid(Exception):
    """Not a link we signed (altered, truncated, or for another installation)."""


class Links:
    def __init__(self, secret: str, base_url: str, lifetime: timedelta) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=SALT)
        self.base_url = base_url.rstrip("/")
        self.lifetime = lifetime

    def token(self, complaint_id: str, language: str | None = None) -> str:
        return self._serializer.dumps({"c": complaint_id, **({"l": language} if language else {})})

    def url(self, complaint_id: str, language: str | None = None) -> str:
        return f"{self.base_url}/c/{self.token(complaint_id, language)}"

    def complaint_id(self, token: str) -> str:
        return self.open(token)[0]

    def open(self, token: str) -> tuple[str, str | None]:
        """The case this token opens and the page's language; raises `LinkExpired` or `LinkInvalid`."""
        try:
            data = self._serializer.loads(token, max_age=int(self.lifetime.total_seconds()))
        except SignatureExpired as exc:
            raise LinkExpired() from exc
        except BadSignature as exc:
            raise LinkInvalid() from exc
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            raise LinkInvalid()
        language = data.get("l")
        return str(data["c"]), language if isinstance(language, str) else None
