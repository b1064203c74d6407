"""Resident deliberation (协商议事): procedures as data, councils, topics and everything a topic
goes through: supports, comments, research, meetings and votes, legality review, publication and
objections, follow-up tasks; the compounds' joint meetings; the figures' rollup table.

Links to cases are kept here (TopicCase, Task.case), never on the case. Rows that belong to an area
carry `jurisdiction` and the community's `path` for scope checks.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Area, Compound, Household
from civicgrid.core.models import JurisdictionModel
from civicgrid.people.models import Department

from .workflow import (
    Action,
    JointParty,
    Majority,
    SeatKind,
    StepKind,
    TopicSource,
    TopicStatus,
    VoteChoice,
)

USER = settings.AUTH_USER_MODEL


class Bilingual(models.Model):
    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Procedure(Bilingual):
    """A deliberation procedure: a sequence of steps. Built-ins come from procedures.py; a district
    adds its own here (jurisdiction = its district code; empty = available everywhere)."""

    code = models.SlugField(pgettext_lazy("deliberation", "code"), max_length=40, unique=True)
    description = models.TextField(pgettext_lazy("deliberation", "description"), blank=True)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=12, blank=True, db_index=True)
    for_villages = models.BooleanField(_("for villages"), default=False)
    support_threshold = models.PositiveSmallIntegerField(_("supports a resident's topic needs"), default=10)
    builtin = models.BooleanField(_("built in"), default=False, editable=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")


class ProcedureStep(Bilingual):
    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="steps", verbose_name=_("procedure")
    )
    order = models.PositiveSmallIntegerField(pgettext_lazy("deliberation", "order"))
    code = models.SlugField(pgettext_lazy("deliberation", "code"), max_length=40)
    kind = models.CharField(_("kind"), max_length=12, choices=StepKind.choices)
    # What may be done while this step is current (workflow.Action values).
    allows = models.JSONField(_("allows"), default=list)
    # Meetings of this step: the quorum (present / entitled ≥ num/den, or > when strict) and majority.
    quorum_num = models.PositiveSmallIntegerField(_("quorum numerator"), default=1)
    quorum_den = models.PositiveSmallIntegerField(_("quorum denominator"), default=2)
    quorum_strict = models.BooleanField(_("quorum: more than (not at least)"), default=True)
    majority = models.CharField(
        _("majority"), max_length=20, choices=Majority.choices, default=Majority.HALF_PRESENT
    )
    publication_days = models.PositiveSmallIntegerField(_("publication days"), default=7)

    class Meta:
        ordering = ["procedure", "order"]
        verbose_name = _("procedure step")
        verbose_name_plural = _("procedure steps")
        constraints = [
            models.UniqueConstraint(fields=["procedure", "order"], name="delib_step_order_unique"),
            models.UniqueConstraint(fields=["procedure", "code"], name="delib_step_code_unique"),
            models.CheckConstraint(condition=Q(quorum_den__gt=0), name="delib_step_quorum_den"),
        ]

    def allows_action(self, action: str) -> bool:
        return action == Action.ADVANCE or action in (self.allows or [])


class Council(JurisdictionModel):
    """A community's deliberation council (1+7+X) and the procedure its topics follow."""

    community = models.OneToOneField(
        Area,
        on_delete=models.PROTECT,
        related_name="deliberation_council",
        verbose_name=_("community"),
        limit_choices_to={"level": "community"},
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="councils", verbose_name=_("procedure")
    )

    class Meta:
        ordering = ["path"]
        verbose_name = _("council")
        verbose_name_plural = _("councils")

    def __str__(self) -> str:
        return str(self.community.name)

    def save(self, *args, **kwargs):
        self.path = self.community.path
        self.jurisdiction = self.jurisdiction or self.community.jurisdiction
        super().save(*args, **kwargs)


class CouncilSeat(models.Model):
    council = models.ForeignKey(
        Council, on_delete=models.CASCADE, related_name="seats", verbose_name=_("council")
    )
    kind = models.CharField(_("seat"), max_length=24, choices=SeatKind.choices)
    user = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="council_seats",
        verbose_name=pgettext_lazy("deliberation", "member"),
    )
    # How the seat is named in the minutes ("宝石社区居委会主任"); never a phone or an ID number.
    holder = models.CharField(_("held by"), max_length=60)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=pgettext_lazy("deliberation", "department"),
    )
    # X seats belong to one topic.
    topic = models.ForeignKey(
        "Topic",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="x_seats",
        verbose_name=pgettext_lazy("deliberation", "topic"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["council", "id"]
        verbose_name = _("council seat")
        verbose_name_plural = _("council seats")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.holder}"


class Topic(JurisdictionModel):
    """A matter for the residents to deliberate (议题), from raised to carried out."""

    number = models.PositiveIntegerField(_("number"), editable=False)
    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="deliberation_topics", verbose_name=_("community")
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    compound = models.ForeignKey(
        Compound,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("compound"),
    )
    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="topics", verbose_name=_("procedure")
    )
    title = models.CharField(pgettext_lazy("deliberation", "title"), max_length=120)
    description = models.TextField(pgettext_lazy("deliberation", "description"))
    source = models.CharField(_("source"), max_length=16, choices=TopicSource.choices)
    proposed_by = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    joint_meeting = models.ForeignKey(
        "JointMeeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="topics",
        verbose_name=_("raised at joint meeting"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=TopicStatus.choices, default=TopicStatus.OPEN, db_index=True
    )
    # The current step's code and order, kept by the services for lists and filters (TopicStep rules).
    step_code = models.CharField(_("current step"), max_length=40, editable=False)
    step_order = models.PositiveSmallIntegerField(_("current step number"), default=1, editable=False)
    supports_count = models.PositiveIntegerField(_("supports"), default=0, editable=False)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0, editable=False)
    raised_at = models.DateTimeField(_("raised"), default=timezone.now, db_index=True)
    taken_up_at = models.DateTimeField(_("taken up"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined"), null=True, blank=True)
    decision_reason = models.TextField(_("reason given"), blank=True)
    resolved_at = models.DateTimeField(_("resolution adopted"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    carried_out_at = models.DateTimeField(_("carried out"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = pgettext_lazy("deliberation", "topic")
        verbose_name_plural = pgettext_lazy("deliberation", "topics")
        constraints = [
            models.UniqueConstraint(fields=["community", "number"], name="delib_topic_number_unique"),
            models.CheckConstraint(
                condition=Q(carried_out_at__isnull=True) | Q(status=TopicStatus.CARRIED_OUT),
                name="delib_topic_carried_out_status",
            ),
        ]
        indexes = [models.Index(fields=["path", "status"], name="delib_topic_path_status")]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def ref(self) -> str:
        return f"YT-{self.community.code[-6:] if self.community_id else ''}-{self.number:03d}"

    @property
    def is_open(self) -> bool:
        return self.status == TopicStatus.OPEN


class TopicStep(models.Model):
    """One step a topic is or was in. The current one has no end; a partial unique index makes
    sure a topic never has two."""

    topic = models.ForeignKey(
        Topic,
        on_delete=models.CASCADE,
        related_name="steps",
        verbose_name=pgettext_lazy("deliberation", "topic"),
    )
    step = models.ForeignKey(
        ProcedureStep, on_delete=models.PROTECT, related_name="+", verbose_name=_("step")
    )
    started_at = models.DateTimeField(_("started"))
    started_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        ordering = ["topic", "started_at", "id"]
        verbose_name = _("topic step")
        verbose_name_plural = _("topic steps")
        constraints = [
            models.UniqueConstraint(
                fields=["topic"], condition=Q(ended_at__isnull=True), name="delib_one_current_step"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="delib_step_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic_id} · {self.step}"


class TopicEvent(JurisdictionModel):
    """The history of a topic: every action, with actor, step and note."""

    topic = models.ForeignKey(
        Topic,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=pgettext_lazy("deliberation", "topic"),
    )
    step = models.ForeignKey(
        TopicStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("step")
    )
    action = models.CharField(_("action"), max_length=30)
    actor = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.TextField(pgettext_lazy("deliberation", "note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    public = models.BooleanField(_("public"), default=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("topic event")
        verbose_name_plural = _("topic history")

    def __str__(self) -> str:
        return f"{self.topic_id} · {self.action}"


class Support(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="delib_support_once")]

    def __str__(self) -> str:
        return f"{self.topic_id} · {self.user_id}"


class Comment(models.Model):
    """The residents' forum (居民议事园) on a topic. Public pages show no author."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="comments")
    step = models.ForeignKey(TopicStep, on_delete=models.SET_NULL, null=True, related_name="+")
    author = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(pgettext_lazy("deliberation", "comment"))
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = pgettext_lazy("deliberation", "comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return self.text[:40]


class TopicCase(models.Model):
    """A case linked to a topic: the concentrated cases that raised it, or others linked later."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="case_links")
    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="deliberation_link", verbose_name=_("case")
    )
    raised = models.BooleanField(_("raised the topic"), default=True)
    linked_at = models.DateTimeField(default=timezone.now)
    linked_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    closed_at = models.DateTimeField(_("closed with the topic"), null=True, blank=True)
    close_note = models.CharField(_("closing note"), max_length=300, blank=True)

    class Meta:
        ordering = ["topic", "id"]
        verbose_name = _("linked case")
        verbose_name_plural = _("linked cases")

    def __str__(self) -> str:
        return f"{self.topic_id} · {self.case_id}"


class ResearchKind(models.TextChoices):
    VISIT = "visit", _("visit")
    DOCUMENT = "document", _("document")
    PHOTO = "photo", _("photo")
    NOTE = "note", pgettext_lazy("deliberation", "note")


class ResearchNote(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="research_notes")
    step = models.ForeignKey(TopicStep, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=ResearchKind.choices)
    text = models.TextField(pgettext_lazy("deliberation", "note"))
    photo = models.FileField(_("photo"), upload_to="deliberation/%Y/%m/", blank=True)
    content_type = models.CharField(max_length=40, blank=True)
    by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("research note")
        verbose_name_plural = _("research notes")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.text[:40]}"


class Survey(models.Model):
    """A short questionnaire to the affected households. Answers are counted; public pages never
    show who answered what."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="surveys")
    # [{"text": "…", "options": ["…", "…"]}, …]
    questions = models.JSONField(_("questions"))
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["topic", "id"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return f"{self.topic_id} · {len(self.questions or [])}"


class SurveyAnswer(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    choices = models.JSONField(_("choices"))  # one option index per question
    by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("questionnaire answer")
        verbose_name_plural = _("questionnaire answers")
        constraints = [models.UniqueConstraint(fields=["survey", "household"], name="delib_answer_once")]

    def __str__(self) -> str:
        return f"{self.survey_id} · {self.household_id}"


class Meeting(JurisdictionModel):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="meetings")
    step = models.ForeignKey(TopicStep, on_delete=models.CASCADE, related_name="meetings")
    title = models.CharField(pgettext_lazy("deliberation", "title"), max_length=120)
    place = models.CharField(_("place"), max_length=120, blank=True)
    scheduled_at = models.DateTimeField(_("scheduled for"))
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    closed_at = models.DateTimeField(pgettext_lazy("meeting", "closed"), null=True, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["scheduled_at", "id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None and self.closed_at is None


class Invitation(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    seat = models.ForeignKey(CouncilSeat, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    user = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    label = models.CharField(_("invited"), max_length=80)
    votes = models.BooleanField(_("entitled to vote"), default=True)
    attended = models.BooleanField(_("attended"), null=True, blank=True)

    class Meta:
        ordering = ["meeting", "id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "seat"], condition=Q(seat__isnull=False), name="delib_invite_seat_once"
            )
        ]

    def __str__(self) -> str:
        return self.label


class Motion(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="motions")
    text = models.TextField(_("motion"))
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    votes_for = models.PositiveSmallIntegerField(default=0)
    votes_against = models.PositiveSmallIntegerField(default=0)
    abstentions = models.PositiveSmallIntegerField(default=0)
    present = models.PositiveSmallIntegerField(default=0)
    entitled = models.PositiveSmallIntegerField(default=0)
    quorum_met = models.BooleanField(null=True)
    passed = models.BooleanField(null=True)

    class Meta:
        ordering = ["meeting", "id"]
        verbose_name = _("motion")
        verbose_name_plural = _("motions")

    def __str__(self) -> str:
        return self.text[:60]


class Vote(models.Model):
    """One council member's vote on a motion: shown only to the council and in the minutes."""

    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="votes")
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="cast_votes")
    choice = models.CharField(_("vote"), max_length=8, choices=VoteChoice.choices)
    recorded_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["motion", "invitation"], name="delib_vote_once")]

    def __str__(self) -> str:
        return f"{self.motion_id} · {self.invitation_id}"


class LegalReview(models.Model):
    """The legality review (法治副书记 / legal steward) of a resolution, before it is published."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="legal_reviews")
    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="legal_reviews")
    reviewer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    lawful = models.BooleanField(_("lawful"))
    opinion = models.TextField(_("opinion"))
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["topic", "at"]
        verbose_name = _("legality review")
        verbose_name_plural = _("legality reviews")

    def __str__(self) -> str:
        return f"{self.topic_id} · {self.lawful}"


class Publication(models.Model):
    """公示: the resolution on the community's public page for a number of days."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="publications")
    step = models.ForeignKey(TopicStep, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("resolution"))
    starts_at = models.DateTimeField(_("published from"))
    ends_at = models.DateTimeField(_("published until"))

    class Meta:
        ordering = ["topic", "starts_at"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")

    def __str__(self) -> str:
        return f"{self.topic_id} · {self.starts_at:%Y-%m-%d}"


class Objection(models.Model):
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="objections")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="objections")
    by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(_("objection"))
    at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return self.text[:40]


class Task(models.Model):
    """A follow-up task (跟踪落实) with an owner and milestones; its progress rolls up to the topic."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=120)
    owner = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    owner_label = models.CharField(_("owner"), max_length=60)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    done_at = models.DateTimeField(pgettext_lazy("deliberation", "done"), null=True, blank=True)
    # A case that closes when this task is done.
    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="deliberation_tasks"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["topic", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="delib_task_progress_max"),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(progress=100), name="delib_task_done_is_full"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=120)
    due_on = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(pgettext_lazy("deliberation", "done"), null=True, blank=True)

    class Meta:
        ordering = ["task", "due_on", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return self.title


class JointMeeting(JurisdictionModel):
    """The compound's joint meeting (四位一体): branch, police office, owners' committee, property
    company; at least once a quarter."""

    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, related_name="+", verbose_name=_("compound")
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    scheduled_for = models.DateField(_("scheduled for"))
    held_on = models.DateField(_("held on"), null=True, blank=True)
    parties = models.JSONField(_("parties present"), default=list)  # JointParty values
    minutes = models.TextField(_("minutes"), blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-scheduled_for", "id"]
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")

    def __str__(self) -> str:
        return f"{self.compound_id} · {self.scheduled_for}"

    def save(self, *args, **kwargs):
        self.path = self.compound.community.path
        self.jurisdiction = self.jurisdiction or self.compound.jurisdiction
        super().save(*args, **kwargs)

    def parties_labels(self) -> list[str]:
        return [str(JointParty(p).label) for p in self.parties if p in JointParty.values]


class JointMeetingReminder(JurisdictionModel):
    """A reminder sent for a compound whose quarter has no joint meeting yet (one per quarter)."""

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=255, db_index=True)
    quarter = models.CharField(_("quarter"), max_length=7)  # "2026Q1"
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("joint meeting reminder")
        verbose_name_plural = _("joint meeting reminders")
        constraints = [models.UniqueConstraint(fields=["compound", "quarter"], name="delib_reminder_once")]

    def __str__(self) -> str:
        return f"{self.compound_id} · {self.quarter}"


class TopicRollup(JurisdictionModel):
    """Figures per area (community and every level above it) and month raised, kept by the services;
    `rollups.rebuild()` recomputes them from the topics."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    raised = models.IntegerField(default=0)
    taken_up = models.IntegerField(default=0)
    declined = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    carried_out = models.IntegerField(default=0)
    days_to_carried_out = models.IntegerField(default=0)  # summed over the topics carried out

    class Meta:
        verbose_name = _("topic figures")
        verbose_name_plural = _("topic figures")
        constraints = [models.UniqueConstraint(fields=["area", "month"], name="delib_rollup_unique")]

    def __str__(self) -> str:
        return f"{self.area_id} · {self.month}"
