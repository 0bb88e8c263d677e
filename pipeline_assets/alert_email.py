"""A failure alert by email, with the standard library: one message, one SMTP session."""

import smtplib
import ssl
from email.message import EmailMessage

from pipeline_assets.alert_message import FailureAlert
from pipeline_assets.alert_settings import EmailSettings

SMTP_TIMEOUT_SECONDS = 30


class AlertDeliveryError(RuntimeError):
    """An alert that could not be sent; its message names the channel and never a secret."""


def email_message(alert: FailureAlert, settings: EmailSettings) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message.set_content(alert.text)
    return message


def send_email(alert: FailureAlert, settings: EmailSettings, password: str | None) -> None:
    """Send ``alert``; a refused or unreachable server raises naming the server, not the password."""
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.user is not None:
                smtp.login(settings.user, password or "")
            refused = smtp.send_message(email_message(alert, settings))
    except (smtplib.SMTPException, OSError) as error:
        # `from None`: the traceback of an SMTP failure holds nothing the message does not, and
        # the chained exception's text is not ours to vouch for (it is redacted here instead).
        detail = redacted(f"{type(error).__name__}: {error}", password)
        raise AlertDeliveryError(
            f"email alert for run {alert.run_id} via {settings.host}:{settings.port} failed: {detail}"
        ) from None
    if refused:
        raise AlertDeliveryError(
            f"email alert for run {alert.run_id}: {settings.host}:{settings.port} refused {', '.join(sorted(refused))}"
        )


def redacted(text: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
