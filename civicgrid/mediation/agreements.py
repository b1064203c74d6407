"""The 人民调解协议书: a template per dispute type (what the form starts from) and the printable PDF.

A template gives the terms' usual clauses for the type; the mediator edits them with the parties.
The PDF carries the parties' full names (it is the document they sign), so printing it is an
unmasked view of their data and is logged (views.py) like any other.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from civicgrid.core import printing

from .workflow import DisputeType, PartyKind, PartySide

# The usual clauses of each type's agreement (中文 legal usage; the mediator fills the blanks).
TERMS = {
    DisputeType.NEIGHBOURS: gettext_lazy(
        "1. The respondent repairs the cause of the nuisance by the date below and bears the cost.\n"
        "2. Both parties respect each other's use of the shared parts of the building.\n"
        "3. With this agreement performed, neither party raises the matter again."
    ),
    DisputeType.FAMILY: gettext_lazy(
        "1. The duties of support and care agreed: who does what, and when.\n"
        "2. Payments between the parties: amount, dates and how they are made.\n"
        "3. The parties treat each other with respect and settle new differences by talking first."
    ),
    DisputeType.PROPERTY: gettext_lazy(
        "1. The property company carries out the service or repair named below by the date agreed.\n"
        "2. The owner pays the fees in arrears as set out in the schedule.\n"
        "3. Both parties keep to the property service contract from now on."
    ),
    DisputeType.LABOUR: gettext_lazy(
        "1. The employer pays the wages in arrears of ____ yuan to the employee by the date below.\n"
        "2. The employee's social insurance is settled up to the day the work ended.\n"
        "3. With payment made, the parties' labour relationship is settled."
    ),
    DisputeType.LAND: gettext_lazy(
        "1. The compensation and resettlement agreed: amount, housing and dates.\n"
        "2. The land or house is handed over on the date below.\n"
        "3. With this agreement performed, the parties raise no further claims on this matter."
    ),
    DisputeType.CONSUMER: gettext_lazy(
        "1. The business refunds / replaces / repairs the goods or service by the date below.\n"
        "2. Compensation of ____ yuan is paid to the consumer.\n"
        "3. With this agreement performed, the matter is settled."
    ),
    DisputeType.TRAFFIC: gettext_lazy(
        "1. Liability as determined by the traffic police: ____.\n"
        "2. The liable party pays medical costs, lost income and repair costs of ____ yuan by the date below.\n"
        "3. With payment made, the parties raise no further claims from this accident."
    ),
    DisputeType.MEDICAL: gettext_lazy(
        "1. The hospital pays compensation of ____ yuan by the date below.\n"
        "2. The patient's follow-up treatment is arranged as follows: ____.\n"
        "3. With this agreement performed, the parties raise no further claims on this treatment."
    ),
    DisputeType.OTHER: gettext_lazy(
        "1. What each party undertakes to do, and by when.\n2. With this agreement performed, the matter is settled."
    ),
}


def template_for(dispute) -> dict:
    """Initial text for the agreement form: the facts from the intake, the type's usual terms."""
    return {"facts": dispute.facts or dispute.summary, "terms": str(TERMS[DisputeType(dispute.dispute_type)])}


def _party_line(p) -> str:
    kind = pgettext("mediation party", "organisation") if p.kind == PartyKind.ORGANISATION else _("person")
    line = f"{p.name}（{kind}）"
    if p.phone:
        line += f" {p.phone}"
    return line


def pdf(dispute) -> bytes:
    """The agreement as a printable PDF, Chinese fonts embedded where installed."""
    agreement = dispute.agreement
    parties = list(dispute.parties.all())
    applicants = [p for p in parties if p.side == PartySide.APPLICANT]
    respondents = [p for p in parties if p.side == PartySide.RESPONDENT]
    confirmed = {c.party_id: c for c in agreement.confirmations.all()}
    confirmed_word = _("confirmed")
    mediators = [a.mediator.name for a in dispute.assignments.select_related("mediator")]
    schedule = [[i["date"], i["what"]] for i in agreement.schedule or []]
    blocks = [
        printing.Table(
            [
                [_("Applicant"), "\n".join(_party_line(p) for p in applicants)],
                [_("Respondent"), "\n".join(_party_line(p) for p in respondents)],
                [_("Type of dispute"), DisputeType(dispute.dispute_type).label],
                [_("Mediators"), "、".join(mediators)],
            ],
            (0.22, 0.78),
        ),
        printing.Heading(_("Facts and the matter in dispute")),
        printing.Text(agreement.facts),
        printing.Heading(_("Terms agreed")),
        printing.Text(agreement.terms),
    ]
    if schedule:
        blocks += [
            printing.Heading(_("Performance schedule")),
            printing.Table([[_("Date"), _("What is due")], *schedule], (0.25, 0.75)),
        ]
    blocks += [
        printing.Text(
            _(
                "This agreement was reached voluntarily by the parties through people's mediation. It is "
                "legally binding and the parties shall perform it. The parties may apply jointly to the "
                "people's court for judicial confirmation within 30 days of its taking effect."
            )
        ),
        printing.Heading(_("Signatures")),
        printing.Signatures(
            [
                f"{p.name}"
                + (
                    f"（{confirmed_word} {timezone.localtime(confirmed[p.pk].at):%Y-%m-%d}）"
                    if p.pk in confirmed
                    else ""
                )
                for p in parties
            ]
            + [
                _("Mediator") + "：" + "、".join(mediators),
                _("Mediation centre (seal)") + "：" + dispute.centre.name,
            ]
        ),
    ]
    agreed = agreement.agreed_at or agreement.drafted_at
    return printing.render(
        title=_("People's Mediation Agreement"),
        subtitle=f"{dispute.centre.name} · {dispute.ref} · {timezone.localtime(agreed):%Y-%m-%d}",
        blocks=blocks,
        footer=_("Made in as many copies as there are parties, plus one kept by the mediation centre."),
    )
