"""Delivery: HTTP POSTs and SMTP, with timeouts and retries, every destination in its own
thread so a slow or dead one never holds up the others.

A try is repeated (up to `Policy.tries`, waiting `backoff`, then twice as long, ...) after a
timeout, a connection error, a 5xx answer or 429 (asked to slow down), and an SMTP 4xx reply;
never after another 4xx answer or a permanent SMTP refusal. Reasons are written here, from the
kind of failure, so no address or credential can be in one.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import smtplib
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .settings import Smtp

SIGNATURE_HEADER = "X-Statuspage-Signature"


@dataclass(frozen=True)
class Policy:
    """How long to wait and how often to try."""

    timeout: float = 10.0
    """Seconds for connecting and for each read or write."""
    tries: int = 3
    backoff: float = 1.0
    """Seconds before the second try; each later wait is twice the one before."""


class Failed(Exception):
    """A try failed: `reason` says how (never with an address or secret), `again` whether
    another try may succeed."""

    def __init__(self, reason: str, again: bool) -> None:
        super().__init__(reason)
        self.reason, self.again = reason, again


@dataclass(frozen=True)
class Outcome:
    """How delivering one event to one destination went."""

    destination: str
    event: str
    ok: bool
    reason: str = ""
    tries: int = 1

    def line(self) -> str:
        """Return the delivery line: `destination  event  ok|failed: reason`."""
        if self.ok:
            return f"{self.destination}  {self.event}  ok"
        return f"{self.destination}  {self.event}  failed: {self.reason}"


Send = Callable[[], None]
"""One try at delivering one event; raises Failed."""


@dataclass(frozen=True)
class Job:
    """Everything one destination is to be sent, in order."""

    destination: str
    sends: Sequence[tuple[str, Send]]
    """(event label, send) pairs."""
    close: Callable[[], None] = lambda: None


def attempt(send: Send, policy: Policy, sleep: Callable[[float], None] = time.sleep
            ) -> tuple[bool, str, int]:
    """Return (ok, reason, tries) after trying `send` as the policy allows."""
    wait = policy.backoff
    for tries in range(1, policy.tries + 1):
        try:
            send()
            return True, "", tries
        except Failed as failure:
            if not failure.again:
                return False, failure.reason, tries
            if tries == policy.tries:
                suffix = "" if tries == 1 else f" (after {tries} tries)"
                return False, failure.reason + suffix, tries
            reason = failure.reason
        except Exception as exc:
            # Only the kind of error: its text could quote an address or a secret.
            return False, f"unexpected error ({type(exc).__name__})", tries
        sleep(wait)
        wait *= 2
    return False, reason, policy.tries  # (not reached: the loop returns)


def run_jobs(jobs: Sequence[Job], policy: Policy, report: Callable[[Outcome], None]
             ) -> list[Outcome]:
    """Deliver every job, the destinations side by side; call `report` as each delivery ends
    (one at a time) and return every outcome, in the order of the jobs."""
    lock = threading.Lock()

    def one(job: Job) -> list[Outcome]:
        found = []
        try:
            for label, send in job.sends:
                ok, reason, tries = attempt(send, policy)
                outcome = Outcome(job.destination, label, ok, reason, tries)
                found.append(outcome)
                with lock:
                    report(outcome)
        finally:
            job.close()
        return found

    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(one, jobs))
    return [outcome for found in results for outcome in found]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a delivery (as Statuspage counts 3xx as a failure)."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def signature(secret: str, body: bytes) -> str:
    """Return the signature header's value: 'sha256=' and the HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    """POST the JSON `body` to `url`; raise Failed unless the answer is 2xx."""
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "statuspage-notify",
        **headers})
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            answer.read(65536)
            code = answer.status
    except urllib.error.HTTPError as exc:
        code = exc.code
    except (urllib.error.URLError, OSError) as exc:
        raise Failed(network_reason(exc), again=True) from None
    except (http.client.HTTPException, ValueError):
        # Their text can quote the address, token and all: none of it is shown.
        raise Failed("not a valid address, or not an HTTP answer", again=False) from None
    if not 200 <= code < 300:
        raise Failed(f"HTTP {code}", again=code >= 500 or code == 429)


def network_reason(exc: BaseException) -> str:
    """Return what went wrong on the network, in a few words (no address)."""
    reason: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, ssl.SSLError):
        return f"TLS error ({reason.reason or 'handshake failed'})"
    if isinstance(reason, TimeoutError | socket.timeout) or "timed out" in str(reason):
        return "timed out"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, ConnectionResetError):
        return "connection reset"
    if isinstance(reason, socket.gaierror):
        return "host not found"
    return f"connection error ({type(reason).__name__})"


class Mailer:
    """One SMTP session, opened at the first message and again after a failed try."""

    def __init__(self, smtp: Smtp, user: str | None, password: str | None,
                 timeout: float) -> None:
        self.smtp, self.user, self.password, self.timeout = smtp, user, password, timeout
        self.session: smtplib.SMTP | None = None

    def send(self, mail: EmailMessage) -> None:
        """Send one message; raise Failed."""
        try:
            if self.session is None:
                self.session = self._open()
            refused = self.session.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = sorted({code for code, _text in exc.recipients.values()})
            raise Failed(f"SMTP {codes[0] if codes else '550'}: every recipient refused",
                         again=bool(codes) and all(400 <= c < 500 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            what = "login refused" if isinstance(exc, smtplib.SMTPAuthenticationError) \
                else "refused"
            raise Failed(f"SMTP {exc.smtp_code}: {what}",
                         again=400 <= exc.smtp_code < 500) from None
        except smtplib.SMTPNotSupportedError:
            self.close()
            raise Failed("the server does not offer STARTTLS or login", again=False) from None
        except ssl.SSLError as exc:
            self.close()
            raise Failed(network_reason(exc), again=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise Failed(network_reason(exc) if isinstance(exc, OSError)
                         else "the server closed the connection", again=True) from None
        if refused:
            raise Failed(f"SMTP: {len(refused)} recipient(s) refused", again=False)

    def _open(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        session: smtplib.SMTP
        if self.smtp.tls:
            session = smtplib.SMTP_SSL(self.smtp.host, self.smtp.port, timeout=self.timeout,
                                       context=context)
        else:
            session = smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=self.timeout)
        try:
            if self.smtp.starttls:
                session.starttls(context=context)
            if self.user is not None and self.password is not None:
                session.login(self.user, self.password)
        except BaseException:
            session.close()
            raise
        return session

    def close(self) -> None:
        """End the session, if one is open."""
        session, self.session = self.session, None
        if session is not None:
            try:
                session.quit()
            except (smtplib.SMTPException, OSError):
                session.close()
