"""Property-based test of the attempt → certificate → rights state machine, on the pure rules."""
from datetime import datetime, timedelta, timezone

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from app.certificates.rules import CertificationRule, HeldCertificate, eligibility, expiry
from app.rights.policy import RightRule
from app.rights.rules import Suspension, decide_right

CORE = CertificationRule("core", ("phi", "consent"), ())
INSTAGRAM = CertificationRule("instagram", ("instagram",), ("core",))
RULES = (CORE, INSTAGRAM)
POST_INSTAGRAM = RightRule("post-instagram", "Post on Instagram", ("core", "instagram"), "instagram")
WINDOW = timedelta(days=30)
VALIDITY = 365


class Training(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.now = datetime(2026, 1, 1, tzinfo=timezone.utc)
        self.completions: dict[str, datetime] = {}
        self.held: list[HeldCertificate] = []
        self.suspended = False

    def _issue_earned(self):
        """What issue_earned_certificates does: in course order, issue whatever is now earned."""
        for certification in RULES:
            if eligibility(certification, self.completions, self.held, self.now, WINDOW).earned:
                mine = [c for c in self.held if c.slug == certification.slug and c.valid_at(self.now)]
                assert all(c.expires_at - self.now <= WINDOW for c in mine), "replaced a certificate too early"
                self.held.append(HeldCertificate(certification.slug, self.now, expiry(self.now, VALIDITY)))

    @rule(module=st.sampled_from(["phi", "consent", "instagram"]))
    def pass_module(self, module):
        self.now += timedelta(minutes=1)
        self.completions[module] = self.now
        self._issue_earned()

    @rule(days=st.integers(1, 400))
    def time_passes(self, days):
        self.now += timedelta(days=days)

    @rule()
    def revoke_latest_core(self):
        cores = [c for c in self.held if c.slug == "core" and c.revoked_at is None]
        if cores:
            latest = max(cores, key=lambda c: c.issued_at)
            self.held[self.held.index(latest)] = HeldCertificate("core", latest.issued_at, latest.expires_at, self.now)

    @rule()
    def toggle_suspension(self):
        self.suspended = not self.suspended

    @invariant()
    def right_matches_the_oracle(self):
        suspensions = [Suspension(None, "review", "Mona", self.now)] if self.suspended else []
        decision = decide_right(POST_INSTAGRAM, self.held, suspensions, True, self.now)
        valid = {c.slug for c in self.held if c.issued_at <= self.now and c.valid_at(self.now)}
        assert decision.allowed == ({"core", "instagram"} <= valid and not self.suspended)
        if decision.allowed:
            assert decision.expires_at > self.now
        else:
            assert decision.reason

    @invariant()
    def cycles_never_overlap_outside_the_window(self):
        for slug in ("core", "instagram"):
            mine = sorted((c for c in self.held if c.slug == slug), key=lambda c: c.issued_at)
            for before, after in zip(mine, mine[1:]):
                assert after.issued_at >= before.expires_at - WINDOW or before.revoked_at is not None


TestTraining = Training.TestCase
TestTraining.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
