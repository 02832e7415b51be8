"""Every model, imported in one place so the metadata (and Alembic) sees them all."""
from app.accounts.invitations import Invitation  # noqa: F401
from app.accounts.models import Department, PersonPlacement, User  # noqa: F401
from app.api.models import ApiToken  # noqa: F401
from app.assignments.models import (  # noqa: F401
    Assignment,
    AssignmentWithdrawal,
    PlatformRequest,
    PlatformRequestDecision,
    RequirementRule,
    RequirementRuleEnd,
)
from app.audit.models import AuditEvent  # noqa: F401
from app.certificates.models import (  # noqa: F401
    Certificate,
    CertificateNotice,
    CertificatePdf,
    CertificateRevocation,
)
from app.courses.models import (  # noqa: F401
    Certification,
    Course,
    CourseVersion,
    Lesson,
    LessonView,
    Module,
    ModuleCompletion,
    Question,
    QuestionOption,
)
from app.policy.models import PolicyAttestation, PolicyVersion  # noqa: F401
from app.postcheck.models import PostCheckCount, SavedPostCheck  # noqa: F401
from app.quizzes.models import Answer, AnswerDraft, Attempt, AttemptQuestion, Reread, Submission  # noqa: F401
from app.reminders.models import ReminderSent  # noqa: F401
from app.rights.models import RightsSuspension, RightsSuspensionLift  # noqa: F401
from app.sso.models import SamlAssertionSeen, SsoIdentity  # noqa: F401
from app.webhooks.models import (  # noqa: F401
    AnnouncedRight,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
