"""The re-probe's rules: the last complete network check, the comparison with it, the stored probe.

"Complete" means the network step connected and the server's signed record came back, so both
the addresses and the round trip are the server's own. The probe keeps one row per participant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, select

from ..checks import Finding
from ..models import CheckResult, CheckRun, NetworkProbe, Participant, utcnow
from ..netrules import fingerprint as fp
from ..profiles import PROBE_THRESHOLDS as T
from ..results import values as V

# A participant has at most MAX_RUNS_PER_PARTICIPANT runs; looking at the latest few is enough.
LOOK_BACK = 20
# Probe states that say nothing about the network: the browser has no WebRTC (or gathers no
# address at all, as an extension or a policy that disables WebRTC does), or this server was full
# or refused the probe. Only a probe that tried the network and failed ("failed") looks worse.
NOT_ABOUT_THE_NETWORK = frozenset({"unsupported", "no_candidates", "busy", "rejected"})


@dataclass
class Baseline:
    """The last complete network check: its run and its fingerprint (figures merged in)."""

    run: CheckRun
    fingerprint: dict


@dataclass
class Comparison:
    """The server's judgement of a probe against the baseline."""

    changed: bool | None  # different network; None when it cannot tell
    worse: list[str] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        """Something looks worse than at the last complete check."""
        return bool(self.worse)


def last_complete(session: Session, participant_id: int) -> Baseline | None:
    """The participant's latest network result that connected with a verified server record."""
    rows = session.exec(
        select(CheckResult, CheckRun)
        .join(CheckRun, CheckResult.run_id == CheckRun.id)
        .where(CheckRun.participant_id == participant_id, CheckResult.check == "network")
        .order_by(CheckResult.updated_at.desc(), CheckResult.id.desc())
        .limit(LOOK_BACK)
    ).all()
    for result, run in rows:
        found, stored = V.details(result.values), V.fingerprint(result.values)
        if found.get("state") == "connected" and found.get("server_measured") and stored.get("http"):
            return Baseline(run, stored)
    return None


def due(baseline: Baseline | None, now: datetime) -> bool:
    """Offer a re-probe: there is a complete check, and it is older than the offer delay."""
    return baseline is not None and now - baseline.run.updated_at > timedelta(minutes=T.offer_after_min.value)


def probe_fingerprint(finding: Finding) -> dict:
    """A judged probe's fingerprint with its figures (the round trip; no rate is measured)."""
    return V.fingerprint({"metrics": finding.metrics, "details": finding.details})


def compare(baseline: Baseline, finding: Finding) -> Comparison:
    """Same network or not, and what looks worse, from the probe's judged network finding."""
    now = probe_fingerprint(finding)
    state = finding.details.get("state")
    if state in NOT_ABOUT_THE_NETWORK:
        return Comparison(changed=None)
    if state != "connected":
        return Comparison(changed=None, worse=["no_connection"])
    same = fp.same_network(baseline.fingerprint, now)
    worse = fp.worse(baseline.fingerprint, now, T.rtt_ratio.value, T.rtt_added_ms.value, T.rate_ratio.value)
    return Comparison(changed=None if same is None else not same, worse=worse)


def store(session: Session, participant: Participant, baseline: Baseline, finding: Finding, result: Comparison):
    """Keep this probe as the participant's latest (replacing the previous one)."""
    probe = session.exec(select(NetworkProbe).where(NetworkProbe.participant_id == participant.id)).first()
    if probe is None:
        probe = NetworkProbe(participant_id=participant.id)
        session.add(probe)
    probe.compared_run_id = baseline.run.id
    probe.created_at = utcnow()
    probe.fingerprint = probe_fingerprint(finding)
    probe.changed = result.changed
    probe.worse = list(result.worse)
    probe.regressed = result.regressed
    session.flush()
    return probe
