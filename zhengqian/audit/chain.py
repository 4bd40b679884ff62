"""Verifying the hash chain of the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from zhengqian.audit.models import ChainHead, Event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
        }


def verify_chain(*, chunk_size: int = 5000) -> ChainReport:
    """Walk the whole chain in sequence order and name the first event that breaks it.

    An altered event no longer matches its own hash; a deleted one leaves a gap in the sequence
    (or a head that points past the last event); one inserted out of turn does not carry the
    hash of its predecessor.
    """
    expected_seq = 1
    prev_hash = ""
    checked = 0
    for event in Event.objects.order_by("seq").iterator(chunk_size=chunk_size):
        if event.seq != expected_seq:
            return ChainReport(
                False,
                checked,
                expected_seq,
                _("Event #%(seq)d is missing (deleted): the next event is #%(next)d.")
                % {"seq": expected_seq, "next": event.seq},
            )
        if event.prev_hash != prev_hash:
            return ChainReport(
                False,
                checked,
                event.seq,
                _("Event #%(seq)d does not follow its predecessor (inserted out of turn).")
                % {"seq": event.seq},
            )
        if event.compute_hash() != event.hash:
            return ChainReport(
                False,
                checked,
                event.seq,
                _("Event #%(seq)d was altered after it was written.") % {"seq": event.seq},
            )
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = ChainHead.objects.filter(pk=1).first()
    last_seq, last_hash = (head.last_seq, head.last_hash) if head else (0, "")
    if last_seq != checked or last_hash != prev_hash:
        return ChainReport(
            False,
            checked,
            checked + 1,
            _("The chain ends at event #%(have)d but %(want)d events were written (deleted).")
            % {"have": checked, "want": last_seq},
        )
    return ChainReport(True, checked)
