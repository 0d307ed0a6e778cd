"""The words of a notice, in the site's language: what chat messages and e-mails say."""

from __future__ import annotations

from dataclasses import dataclass

from ..i18n import N_, Formats, translations
from ..outputs.templating import LABELS
from .events import Event, Kind, parse_time

_LEADS = {
    Kind.INCIDENT_CREATED: N_("New incident"),
    Kind.INCIDENT_UPDATE: N_("Incident update"),
    Kind.MAINTENANCE_SCHEDULED: N_("Maintenance scheduled"),
    Kind.MAINTENANCE_UPDATE: N_("Maintenance update"),
    Kind.MAINTENANCE_STARTED: N_("Maintenance started"),
    Kind.MAINTENANCE_COMPLETED: N_("Maintenance completed"),
    Kind.COMPONENT_UPDATE: N_("Component status changed"),
    Kind.POSTMORTEM_PUBLISHED: N_("Postmortem published"),
}


@dataclass(frozen=True)
class Notice:
    """One event in words."""

    site: str
    kind_text: str
    """What happened, such as 'New incident'."""
    status: str
    """The status it is in now, such as 'Identified' or 'Partial outage'."""
    title: str
    """What it is about: an incident's or maintenance's name, or a component's."""
    headline: str
    """'<status>: <title>', or '<component>: <old> → <new>'."""
    body: str
    """The update's text, or a sentence saying what happened."""
    facts: tuple[tuple[str, str], ...]
    """Short labelled values: when, which components, the window."""
    link: str
    link_text: str
    page_status: str
    """The whole page's status sentence, such as 'Partial System Outage'."""


class Words:
    """Makes notices in one language."""

    def __init__(self, language: str) -> None:
        catalog = translations(language)
        self._ = catalog.gettext
        self.formats = Formats(language, catalog)

    def label(self, status: object) -> str:
        """Return a status in words, such as 'Partial outage'."""
        text = LABELS.get(str(status))
        return self._(text) if text else str(status).replace("_", " ")

    def notice(self, event: Event) -> Notice:
        """Return the notice telling `event`."""
        _ = self._
        site = str(event.page.get("name", ""))
        facts: list[tuple[str, str]] = []
        if event.component is not None:
            name = str(event.component.get("name", ""))
            old, new = self.label(event.old_status), self.label(event.component.get("status"))
            return Notice(site, _(_LEADS[event.kind]), new, name, f"{name}: {old} → {new}",
                          _("%(component)s changed from %(old)s to %(new)s.") % {
                              "component": name, "old": old, "new": new},
                          ((_("When"), self.formats.moment(event.at)),), event.link,
                          _("View the status page"), str(event.status.get("description", "")))
        item = event.item
        assert item is not None
        title = str(item.get("name", ""))
        if event.kind in (Kind.MAINTENANCE_SCHEDULED, Kind.MAINTENANCE_UPDATE,
                          Kind.MAINTENANCE_STARTED, Kind.MAINTENANCE_COMPLETED):
            title = _("Maintenance: %(title)s") % {"title": title}
            start, end = parse_time(item.get("scheduled_for")), parse_time(
                item.get("scheduled_until"))
            facts.append((_("Window"), f"{self.formats.moment(start)} – "
                                       f"{self.formats.moment(end)}"))
        status_value = event.update.get("status") if event.update else item.get("status")
        if event.kind is Kind.POSTMORTEM_PUBLISHED:
            status_text = _("Postmortem")
            body = _("The postmortem of this incident is published: what happened, why, "
                     "and what we are changing.")
        elif event.kind is Kind.MAINTENANCE_STARTED:
            status_text = self.label("in_progress")
            body = _("The maintenance window has started.")
        elif event.kind is Kind.MAINTENANCE_COMPLETED:
            status_text = self.label("completed")
            body = _("The maintenance window has ended.")
        else:
            status_text = self.label(status_value)
            body = str(event.update.get("body", "")) if event.update else ""
        if event.kind is not Kind.MAINTENANCE_SCHEDULED:  # (its window says when)
            facts.insert(0, (_("When"), self.formats.moment(event.at)))
        names = [str(c.get("name", "")) for c in item.get("components", [])]
        if names:
            facts.append((_("Components"), ", ".join(names)))
        link_text = _("Read the postmortem") if event.kind is Kind.POSTMORTEM_PUBLISHED \
            else _("View on the status page")
        return Notice(site, _(_LEADS[event.kind]), status_text, title,
                      f"{status_text}: {title}", body, tuple(facts), event.link, link_text,
                      str(event.status.get("description", "")))
