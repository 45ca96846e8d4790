"""Forms for the public pages. Every POST carries a CSRF token (Flask-WTF)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import LRUCache
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from seminars.models import Question, QuestionKind, Registration, Seminar
from seminars.signup import Attendee
from seminars.text import says_something_about_health
from seminars.web.fields import (
    multi_line,
    no_control_characters,
    no_invisible_characters,
    one_line,
    valid_email,
)
from seminars.web.public.session_fields import SessionChoiceFields

# An optional choice can be left or made unanswered, also without JavaScript.
NO_ANSWER = ("", _l("No answer"))


@dataclass(frozen=True)
class AskedQuestion:
    """A question as a cached form asks it: a copy that outlives the database session."""

    id: int
    text: str
    help_text: str
    kind: str
    choice_list: tuple[str, ...]
    required: bool
    sensitive: bool

    @classmethod
    def of(cls, question: Question | AskedQuestion) -> AskedQuestion:
        if isinstance(question, AskedQuestion):
            return question
        return cls(
            id=question.id,
            text=question.text,
            help_text=question.help_text,
            kind=question.kind,
            choice_list=tuple(question.choice_list),
            required=question.required,
            sensitive=question.sensitive,
        )

    @property
    def field_name(self) -> str:
        return f"q{self.id}"


# Form classes per app by (class, seminar, content version), least recently used dropped.
MAX_FORM_CLASSES = 512


def _question_field(question: Question | AskedQuestion) -> Field:
    label = question.text
    description = question.help_text
    required = question.required and not question.sensitive
    presence = [InputRequired(_l("Answer this question."))] if required else [Optional()]
    if question.kind == QuestionKind.LONG_TEXT:
        return TextAreaField(
            label, presence + [Length(max=2000)], filters=[multi_line], description=description
        )
    if question.kind in (QuestionKind.CHOICE, QuestionKind.YES_NO):
        if question.kind == QuestionKind.CHOICE:
            choices = [(choice, choice) for choice in question.choice_list]
        else:
            choices = [("yes", _l("Yes")), ("no", _l("No"))]
        return RadioField(
            label,
            presence,
            choices=choices if required else [*choices, NO_ANSWER],
            default=None if required else "",
            validate_choice=True,
            description=description,
        )
    return StringField(
        label,
        presence + [Length(max=300), no_control_characters],
        filters=[one_line],
        description=description,
    )


def _mode_field() -> RadioField:
    return RadioField(
        _l("How will you take part?"),
        [InputRequired(_l("Choose on site or online."))],
        choices=[("onsite", _l("On site")), ("online", _l("Online"))],
    )


class AttendeeDetailsForm(FlaskForm):
    """Name, organisation and the seminar's own questions; shared by signup and edit."""

    name = StringField(
        _l("Name"),
        [
            DataRequired(_l("Enter your name.")),
            Length(max=200),
            no_control_characters,
            no_invisible_characters,
        ],
        filters=[one_line],
        render_kw={"autocomplete": "name"},
    )
    organization = StringField(
        _l("Organisation"),
        [Optional(), Length(max=200), no_control_characters, no_invisible_characters],
        filters=[one_line],
        render_kw={"autocomplete": "organization"},
    )
    health_consent = BooleanField(
        _l(
            "I agree that the organiser may use my answers about diet or accessibility, "
            "which can be health information, only to arrange this seminar."
        ),
        description=_l("Needed only when an answer tells something, not for “none” or no answer."),
    )

    questions: list[Question] | list[AskedQuestion] = []

    @classmethod
    def for_seminar(cls, seminar: Seminar, *, hybrid: bool = False, **kwargs):
        """A form with one field per custom question, named q<id> (and, with `hybrid`, the
        field `mode`)."""
        return cls._built(list(seminar.questions), seminar.id, hybrid=hybrid)(**kwargs)

    @classmethod
    def _built(cls, questions: list, seminar_id: int, *, hybrid: bool):
        form_class = cls._with_questions(questions)
        if hybrid:
            form_class = type(cls.__name__, (form_class,), {"mode": _mode_field()})
        return cls._with_sessions(form_class, seminar_id)

    @classmethod
    def for_registration(cls, registration: Registration):
        """The form filled in with what the registration holds (its owner's page, and the
        organiser's page about the person)."""
        seminar = registration.seminar
        answers = registration.answers
        return cls.for_seminar(
            seminar,
            data={
                "name": registration.name,
                "organization": registration.organization,
                "health_consent": any(
                    says_something_about_health(answers.get(str(q.id), ""))
                    for q in seminar.questions
                    if q.sensitive
                ),
                **{f"q{question_id}": answer for question_id, answer in answers.items()},
            },
        )

    @classmethod
    def for_version(
        cls,
        seminar_id: int,
        content_version: int,
        load: Callable[[], list[Question] | list[AskedQuestion]],
        *,
        hybrid: bool = False,
    ):
        """The form class of a seminar's questions at `content_version` (see pagecache.py),
        built once per worker: a public signup need not read or rebuild its questions.
        `load` is called only when this worker has no such class yet. `hybrid`: the form
        asks how the person takes part (DESIGN: the field `mode`)."""
        classes, lock = current_app.extensions.setdefault(
            "seminars.form_classes", (LRUCache(maxsize=MAX_FORM_CLASSES), threading.Lock())
        )
        key = (cls, seminar_id, content_version, hybrid)
        with lock:
            form_class = classes.get(key)
        if form_class is None:
            form_class = cls._built(
                [AskedQuestion.of(q) for q in load()], seminar_id, hybrid=hybrid
            )
            with lock:
                classes[key] = form_class
        return form_class

    @classmethod
    def _with_questions(cls, questions: list):
        fields = {q.field_name: _question_field(q) for q in questions}
        form_class = type(cls.__name__, (cls,), fields)
        form_class.questions = questions
        return form_class

    @classmethod
    def _with_sessions(cls, form_class, seminar_id: int):
        """The signup form adds the seminar's parallel sessions; the details form has none."""
        return form_class

    def question_fields(self) -> list[tuple[Question, Field]]:
        return [(q, self[q.field_name]) for q in self.questions]

    @property
    def asks_sensitive(self) -> bool:
        return any(q.sensitive for q in self.questions)

    def validate_health_consent(self, field: Field) -> None:
        gave_health_data = any(
            says_something_about_health(self[q.field_name].data or "")
            for q in self.questions
            if q.sensitive
        )
        if gave_health_data and not field.data:
            raise ValidationError(
                _l("Tick the consent box, or leave the diet and accessibility answers empty.")
            )

    def answers(self) -> dict[str, str]:
        """Answers keyed by question id; answers about health only with consent."""
        answers = {}
        for question, field in self.question_fields():
            value = (field.data or "").strip()
            if question.sensitive and not self.health_consent.data:
                value = "" if says_something_about_health(value) else value
            if value:
                answers[str(question.id)] = value
        return answers


class SignupForm(SessionChoiceFields, AttendeeDetailsForm):
    class Meta:
        # CSRFProtect checks the token of every POST before a view runs; this form's own
        # token field would only sign a fresh token on every signup. The page prints
        # csrf_token() itself.
        csrf = False

    email = StringField(
        _l("Email"),
        [DataRequired(_l("Enter your email address.")), Length(max=254), valid_email],
        filters=[one_line],
        render_kw={"autocomplete": "email", "type": "email", "inputmode": "email"},
    )
    # Honeypot: hidden from people (CSS, aria-hidden, out of the tab order), filled by naive bots.
    website = StringField(
        _l("Leave this empty"), render_kw={"autocomplete": "off", "tabindex": "-1"}
    )

    def chosen_mode(self) -> str | None:
        """On site or online, when the seminar is hybrid and the form asks."""
        return self.mode.data if "mode" in self else None

    def attendee(self, language: str) -> Attendee:
        return Attendee(
            name=self.name.data,
            email=self.email.data,
            organization=self.organization.data or "",
            answers=self.answers(),
            language=language,
        )


class EmailForm(FlaskForm):
    """A corrected address for a registration (the organiser's, or the attendee's own)."""

    email = StringField(
        _l("New email address"),
        [DataRequired(_l("Enter the new email address.")), Length(max=254), valid_email],
        filters=[one_line],
        render_kw={"autocomplete": "off", "type": "email", "inputmode": "email"},
    )
