"""One way the supervisor's form and the panel's form say why a finding was not saved (issue 12 item 8).

Both forms keep what the user typed whatever happens; this turns the refusal into the one line the
form shows. A database that cannot be written (locked by a colleague's long write, a network drive
gone, a full disk) is a refusal too, never a crash that loses the text.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

from stopsearch_app.i18n import _
from stopsearch_app.store.reviews import FindingInvalid, NoFinding, NothingChanged, NothingToUndo

REFUSALS = (FindingInvalid, NothingChanged, NothingToUndo, NoFinding, OperationalError, DBAPIError, ValueError)


def refusal_text(error: BaseException) -> str:
    """The form's one-line message for an error of :data:`REFUSALS` (the caller re-raises anything else)."""
    if isinstance(error, FindingInvalid):
        return _("Not saved: ") + "; ".join(error.problems)
    if isinstance(error, (OperationalError, DBAPIError)):
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        return (_("Not saved: the database could not be written") + f" ({reason}). "
                + _("Your text is kept in the form: try Save again in a moment."))
    return _("Not saved: ") + str(error)
