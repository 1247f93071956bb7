"""The outbox: every e-mail the server "sends" is stored (and shown at ``/_dev/mailbox``);
when SMTP is configured it is also delivered, in a worker thread, without blocking the
request that wrote it."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from ..config import SmtpSettings
from ..domain.clock import Clock
from ..domain.emails import is_email
from ..domain.error_codes import ErrorCode
from ..domain.errors import InvalidError, NotFoundError
from ..domain.ids import new_id
from ..domain.models import MailMessage
from ..storage.database import Database
from ..storage.mailbox import MailboxRepository
from .metrics import MetricsRegistry

logger = logging.getLogger("spaps_server.mailbox")

DEFAULT_SENDER = "SPAPS Local <no-reply@spaps.local>"


class MailboxService:
    """Writes e-mails to the outbox and reads them back."""

    def __init__(
        self,
        db: Database,
        metrics: MetricsRegistry,
        smtp: SmtpSettings | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self._repo = MailboxRepository(db)
        self._now = (clock or Clock()).now
        self._smtp = smtp
        self._pending: set[asyncio.Task[None]] = set()
        self._sent = metrics.counter(
            "spaps_emails_total", "E-mails written to the outbox", ("kind",)
        )
        self._delivered = metrics.counter(
            "spaps_email_deliveries_total", "SMTP delivery attempts", ("outcome",)
        )

    @property
    def sender(self) -> str:
        """The From address used for outgoing messages."""
        return self._smtp.sender if self._smtp else DEFAULT_SENDER

    async def send(
        self,
        *,
        to: str,
        subject: str,
        text: str,
        html: str | None = None,
        kind: str = "generic",
        application_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        conn: AsyncConnection | None = None,
    ) -> MailMessage:
        """Store a message (and schedule SMTP delivery when configured); ``conn=`` writes it
        in the caller's transaction.

        ``kind`` names the purpose (``magic_link``, ``password_reset``, ``receipt``...);
        ``metadata`` holds machine-readable extras for tests, e.g. the raw token of a
        magic link, so tests need not parse the body.
        """
        if not is_email(to):
            raise InvalidError("Invalid recipient address", code=ErrorCode.INVALID_EMAIL)
        message = MailMessage(
            id=new_id("msg"),
            application_id=application_id,
            to_address=to,
            from_address=self.sender,
            subject=subject.replace("\r", " ").replace("\n", " "),
            text_body=text,
            html_body=html,
            kind=kind,
            metadata=dict(metadata or {}),
            created_at=self._now(),
        )
        await self._repo.insert(message, conn=conn)
        self._sent.inc(kind=kind)
        if self._smtp is not None:
            task = asyncio.get_running_loop().create_task(self._deliver(message, self._smtp))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        return message

    async def list(
        self,
        *,
        to: str | None = None,
        application_id: str | None = None,
        kind: str | None = None,
        limit: int = 100,
    ) -> list[MailMessage]:
        """Messages, newest first."""
        return await self._repo.list(
            to_address=to, application_id=application_id, kind=kind, limit=limit
        )

    async def get(self, message_id: str) -> MailMessage:
        """One message; ``NotFoundError`` if unknown."""
        message = await self._repo.get(message_id)
        if message is None:
            raise NotFoundError("No such message", code=ErrorCode.MESSAGE_NOT_FOUND)
        return message

    async def clear(self, *, application_id: str | None = None) -> int:
        """Delete messages; return how many were deleted."""
        return await self._repo.clear(application_id=application_id)

    async def drain(self) -> None:
        """Wait for every scheduled SMTP delivery to finish."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def _deliver(self, message: MailMessage, smtp: SmtpSettings) -> None:
        try:
            await asyncio.to_thread(_smtp_send, message, smtp)
        except (OSError, smtplib.SMTPException) as exc:
            # The reason is kept for the mailbox page; the body (which may hold a magic link)
            # is never logged.
            reason = f"{type(exc).__name__}: {exc}"[:500]
            logger.warning("SMTP delivery of %s failed: %s", message.id, reason)
            self._delivered.inc(outcome="failed")
            await self._repo.mark_delivery(message.id, delivered_at=None, error=reason)
            return
        self._delivered.inc(outcome="delivered")
        await self._repo.mark_delivery(message.id, delivered_at=self._now(), error=None)


def _smtp_send(message: MailMessage, smtp: SmtpSettings) -> None:
    email = EmailMessage()
    email["From"] = message.from_address
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = f"<{message.id}@spaps.local>"
    email.set_content(message.text_body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    client: smtplib.SMTP
    if smtp.use_ssl:
        client = smtplib.SMTP_SSL(
            smtp.host,
            smtp.port,
            timeout=smtp.timeout_seconds,
            context=ssl.create_default_context(),
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
    with client:
        if smtp.starttls and not smtp.use_ssl:
            client.starttls(context=ssl.create_default_context())
        if smtp.username and smtp.password:
            client.login(smtp.username, smtp.password)
        client.send_message(email)
